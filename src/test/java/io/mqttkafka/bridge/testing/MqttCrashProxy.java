package io.mqttkafka.bridge.testing;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Supplier;

/**
 * A loopback TCP proxy between one MQTT client and a broker that freezes the client's side of the protocol
 * at a chosen point and then makes the client vanish as a killed process does: packets of the given types
 * from the client are swallowed (so the broker never sees them), and {@link #crash()} resets every connection
 * and refuses new ones. What the broker holds for that client afterwards is exactly what a {@code kill -9}
 * between two packets leaves behind, which a real kill only hits by chance.
 *
 * <p>{@link #dropConnections()} is the milder fault: the connection is lost, the client reconnects.
 *
 * <p>It reads whole MQTT packets (fixed header, remaining length, body) in both directions and counts them
 * by type, so a test can wait until the broker has answered what the client sent.
 */
public final class MqttCrashProxy implements AutoCloseable {

    public static final int PUBLISH = 3;
    public static final int PUBREC = 5;
    public static final int PUBREL = 6;
    public static final int PUBCOMP = 7;

    private final ServerSocket server;
    private final int brokerPort;
    private volatile Set<Integer> swallowedFromClient;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicIntegerArray fromClient = new AtomicIntegerArray(16);
    private final AtomicIntegerArray fromBroker = new AtomicIntegerArray(16);
    private volatile boolean crashed;

    private MqttCrashProxy(ServerSocket server, int brokerPort, Set<Integer> swallowedFromClient) {
        this.server = server;
        this.brokerPort = brokerPort;
        this.swallowedFromClient = Set.copyOf(swallowedFromClient);
    }

    /** Listens on a free loopback port and forwards to the broker at {@code brokerPort}. */
    public static MqttCrashProxy start(int brokerPort, Set<Integer> swallowedFromClient) {
        try {
            ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            MqttCrashProxy proxy = new MqttCrashProxy(server, brokerPort, swallowedFromClient);
            Thread acceptor = new Thread(proxy::accept, "mqtt-crash-proxy-accept");
            acceptor.setDaemon(true);
            acceptor.start();
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the proxy's port", e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Packets of {@code type} the client sent (swallowed ones included). */
    public int fromClient(int type) {
        return fromClient.get(type);
    }

    /** Packets of {@code type} the broker sent to the client. */
    public int fromBroker(int type) {
        return fromBroker.get(type);
    }

    /** From now on swallows packets of these types from the client (an empty set forwards everything). */
    public void swallowFromClient(Set<Integer> types) {
        swallowedFromClient = Set.copyOf(types);
    }

    /**
     * The network drops every connection (reset, no DISCONNECT) but new connections are accepted: what a client
     * sees when a broker fails over or a NAT forgets it, and then reconnects.
     */
    public void dropConnections() {
        for (Socket socket : sockets) {
            reset(socket);
        }
        sockets.clear();
    }

    /**
     * The client vanishes: every connection is reset (no DISCONNECT, as after SIGKILL) and new connections are
     * refused, so a reconnecting client cannot repair what the broker holds.
     */
    public void crash() {
        crashed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket socket : sockets) {
            reset(socket);
        }
    }

    @Override
    public void close() {
        crash();
    }

    private void accept() {
        while (!crashed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException closed) {
                return;
            }
            try {
                Socket broker = new Socket();
                broker.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), brokerPort), 5_000);
                sockets.add(client);
                sockets.add(broker);
                if (crashed) {
                    reset(client);
                    reset(broker);
                    return;
                }
                pump(client, broker, fromClient, () -> swallowedFromClient, "client-to-broker");
                pump(broker, client, fromBroker, Set::of, "broker-to-client");
            } catch (IOException brokerUnreachable) {
                reset(client);
            }
        }
    }

    private void pump(Socket from, Socket to, AtomicIntegerArray counts, Supplier<Set<Integer>> swallowed, String name) {
        Thread thread = new Thread(() -> {
            try {
                DataInputStream in = new DataInputStream(from.getInputStream());
                OutputStream out = to.getOutputStream();
                while (true) {
                    byte[] packet = readPacket(in);
                    int type = (packet[0] & 0xff) >> 4;
                    counts.incrementAndGet(type);
                    if (!swallowed.get().contains(type)) {
                        out.write(packet);
                        out.flush();
                    }
                }
            } catch (IOException ended) {
                reset(from);
                reset(to);
            }
        }, "mqtt-crash-proxy-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** One whole MQTT packet: the fixed header byte, the variable-length remaining length, and the rest. */
    private static byte[] readPacket(DataInputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            throw new EOFException();
        }
        byte[] header = new byte[5];
        header[0] = (byte) first;
        int length = 0;
        int headerLength = 1;
        int multiplier = 1;
        int digit;
        do {
            digit = readByte(in);
            header[headerLength++] = (byte) digit;
            length += (digit & 0x7f) * multiplier;
            multiplier *= 128;
        } while ((digit & 0x80) != 0 && headerLength < 5);
        byte[] packet = new byte[headerLength + length];
        System.arraycopy(header, 0, packet, 0, headerLength);
        in.readFully(packet, headerLength, length);
        return packet;
    }

    private static int readByte(InputStream in) throws IOException {
        int value = in.read();
        if (value < 0) {
            throw new EOFException();
        }
        return value;
    }

    private static void reset(Socket socket) {
        try {
            // Linger 0: the close sends a RST, as the kernel does for a killed process with unread data.
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
    }
}
