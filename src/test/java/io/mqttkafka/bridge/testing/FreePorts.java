package io.mqttkafka.bridge.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntFunction;

/**
 * Loopback ports for test brokers, chosen so that nothing takes them between the test choosing one and the broker
 * binding it, or while a broker restarts on it.
 *
 * <p>A port the kernel hands out for {@code bind(0)} comes from its ephemeral range, from which it also picks the
 * local port of every outgoing connection: released for a broker to bind, or while a broker restarts, it can become
 * the local end of some client's connection, and the broker then fails to bind. So ports are chosen below the
 * ephemeral range (read from {@code /proc/sys/net/ipv4/ip_local_port_range}), where the kernel never assigns one on
 * its own, at random, and never twice in one JVM. What is left (another process choosing the same port in the same
 * instant) is handled by {@link #startOnFreePort}, which tries another port when the chosen one was taken.
 */
public final class FreePorts {

    /** Lowest port chosen: above the registered ports most local services use. */
    private static final int LOWEST = 20_000;
    /** The kernel's default first ephemeral port, where the range cannot be read. */
    private static final int DEFAULT_EPHEMERAL_START = 32_768;
    private static final int ATTEMPTS = 5;
    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private FreePorts() {
    }

    /** A loopback port nobody listens on now, outside the kernel's ephemeral range. */
    public static synchronized int next() {
        int end = ephemeralStart();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = random.nextInt(LOWEST, end);
            if (HANDED_OUT.contains(port)) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                HANDED_OUT.add(port);
                return socket.getLocalPort();
            } catch (IOException taken) {
                // someone listens there: try another
            }
        }
        throw new UncheckedIOException(new IOException("No free loopback port between " + LOWEST + " and " + end));
    }

    /**
     * Starts something that listens on a port from {@link #next()}, choosing another port (up to {@value #ATTEMPTS}
     * times) when it fails and the port turns out to be held by someone else: brokers report a taken port each in
     * their own way (HiveMQ with a bare {@code UnrecoverableException}, a Kafka process by exiting), so the port is
     * asked, not the failure. Any other failure is thrown at once.
     */
    public static <T> T startOnFreePort(IntFunction<T> start) {
        for (int attempt = 1;; attempt++) {
            int port = next();
            try {
                return start.apply(port);
            } catch (RuntimeException e) {
                if (attempt == ATTEMPTS || isFree(port)) {
                    throw e;
                }
            }
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int ephemeralStart() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            int start = Integer.parseInt(range.split("\\s+")[0]);
            return start > LOWEST + 1_000 ? start : DEFAULT_EPHEMERAL_START;
        } catch (IOException | RuntimeException e) {
            return DEFAULT_EPHEMERAL_START;
        }
    }
}
