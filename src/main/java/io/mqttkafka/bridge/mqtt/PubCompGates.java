package io.mqttkafka.bridge.mqtt;

import java.util.Optional;

import io.netty.channel.Channel;

/**
 * Exactly-once QoS 2 on the subscriber connection: puts a fresh {@link PubCompGate} on every connection (a Netty handler
 * belongs to one channel) and tells the owner of the written-but-not-released table what it needs from the
 * connection: that a connection began, and whether the broker resumed the session; every PUBREL. {@link #release} goes
 * to the gate of the current connection; PUBCOMPs a gate held when its connection ended are dropped with it, and the
 * broker sends their PUBRELs again on the next connection (docs/design.md, "Exactly-once QoS 2").
 */
public final class PubCompGates {

    /** What the table's owner is told, on the connection's event loop; it must not block. */
    public interface Listener {

        /**
         * A connection is established, before the session's first packet is handed on.
         *
         * @param connection its number, counted from 1: the {@link InboundMessage#connection()} of its messages
         * @param sessionPresent whether the broker resumed the session (CONNACK); when it did not, nothing written
         *        before will be redelivered or released
         */
        void connected(int connection, boolean sessionPresent);

        /** A PUBREL arrived; its PUBCOMP is held until {@link PubCompGates#release} is called for its identifier. */
        void pubRel(int packetIdentifier);

        /**
         * The connection's channel cannot be reached (an MQTT client version without the internals this relies on):
         * PUBCOMPs cannot be held, so exactly-once cannot be kept on this connection.
         */
        void unavailable(String reason);
    }

    private final Listener listener;
    private volatile PubCompGate current;
    /** Connections so far; the event loop of each connection writes it before handing on its first message. */
    private volatile int connections;

    public PubCompGates(Listener listener) {
        this.listener = listener;
    }

    /**
     * Called from the connected listener, on the event loop, before the client decodes the session's next packet (so no
     * PUBREL of the new connection can pass before the gate is in place).
     */
    void connected(Optional<Channel> channel, boolean sessionPresent) {
        int connection = ++connections;
        if (channel.isEmpty()) {
            current = null;
            listener.unavailable("this MQTT client version does not expose the connection's channel, so PUBCOMPs "
                    + "cannot be held until the release of their message is committed");
            return;
        }
        PubCompGate gate = new PubCompGate(listener::pubRel);
        gate.install(channel.get());
        current = gate;
        listener.connected(connection, sessionPresent);
    }

    /** The number of the current connection (0 before the first). */
    int connection() {
        return connections;
    }

    /** Lets the held PUBCOMP for {@code packetIdentifier} of the current connection go, if it holds one. Any thread. */
    public void release(int packetIdentifier) {
        PubCompGate gate = current;
        if (gate != null) {
            gate.release(packetIdentifier);
        }
    }
}
