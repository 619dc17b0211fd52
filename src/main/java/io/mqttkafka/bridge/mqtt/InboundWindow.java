package io.mqttkafka.bridge.mqtt;

import java.util.ArrayDeque;
import java.util.Optional;

import org.jboss.logging.Logger;

import com.hivemq.client.mqtt.MqttClientConnectionConfig;

import io.netty.channel.Channel;

/**
 * Bounds the QoS 1/2 messages the subscriber holds, whatever the broker sends, by pushing back through TCP: while
 * {@link #high} messages are held the connection's socket is not read (Netty's auto-read off), and it is read again
 * once no more than {@link #low} are held. The broker's writes then wait in the TCP buffers and in the broker.
 *
 * <p>Why not the broker's flow control alone: MQTT 5's Receive Maximum works only with a broker that keeps it, and
 * Mosquitto before 2.0.13 does not (each in-order PUBACK lets up to a whole window of queued messages into flight, so
 * under a backlog it sends everything it holds; MQTT 3.1.1 has no such limit at all). The MQTT client then either
 * closes the connection (MQTT 5, Receive Maximum exceeded, again after every reconnect) or buffers without bound. So
 * the subscriber announces the largest Receive Maximum (see {@link #ANNOUNCED_RECEIVE_MAXIMUM}) and keeps the
 * configured window here; a broker that keeps its window never reaches it.
 *
 * <p>A message is held from its arrival until it and every message received before it are acknowledged: the client
 * sends acknowledgements strictly in arrival order and keeps each message (with its payload) until its own
 * acknowledgement is sent, so one slow message holds back the release of the later ones, as it holds back their
 * PUBACKs. QoS 0 messages are counted only with {@code bridge.kafka.qos0-overload: push-back}, in a window of their own
 * ({@code qos0-max-in-flight}, reading again at half of it), each from its arrival until the pipeline is done with it,
 * in any order; by default the pipeline bounds them itself by dropping.
 *
 * <p>Overrun: switching auto-read off stops the next socket read, not the one being decoded. One read is at most
 * 64 KiB (Netty's adaptive receive buffer), and when it ends in a partial packet the decoder asks for one more read
 * to complete it, so at most about 128 KiB of packets arrive after the window is full: about 440 messages of 256
 * bytes, 32 of 4 KiB, 16,384 of the smallest QoS 1 packet (8 bytes). The window is therefore capped at
 * {@value #MAX_WINDOW}, so that the client's own Receive Maximum check ({@value #ANNOUNCED_RECEIVE_MAXIMUM}) can
 * never trip.
 *
 * <p>The channel is not public API of hivemq-mqtt-client; it is reached as {@link FlushCoalescing} reaches it, and
 * {@code InboundWindowPushbackTest} fails when a client version no longer lets us. Without it the window only counts,
 * and the connection falls back to what the client does (closing the connection when the broker overruns).
 */
final class InboundWindow {

    private static final Logger LOG = Logger.getLogger(InboundWindow.class);

    /** What the subscriber announces as its MQTT 5 Receive Maximum: the largest the protocol allows. */
    static final int ANNOUNCED_RECEIVE_MAXIMUM = 65_535;
    /** Largest window: the announced maximum less two 64 KiB reads of the smallest QoS 1 packets. */
    static final int MAX_WINDOW = ANNOUNCED_RECEIVE_MAXIMUM - 2 * 65_536 / 8;

    private final int high;
    private final int low;
    /** Most QoS 0 messages held before reading stops; 0 when they are not counted. */
    private final int qos0High;
    private final int qos0Low;
    private int qos0Held;
    /** Arrival order of the held messages; a slot leaves from the head once it and all before it are released. */
    private final ArrayDeque<Slot> held = new ArrayDeque<>();
    /** The current connection's channel, or null. */
    private Channel channel;
    private boolean paused;
    /** How often reading was stopped since start; for tests and the log. */
    private long pauses;
    private int maxHeld;

    /**
     * @param window most QoS 1/2 messages held before the socket is no longer read ({@code bridge.mqtt.receive-maximum},
     *        capped at {@value #MAX_WINDOW}); reading resumes at half of it
     * @param qos0Window most QoS 0 messages held before the socket is no longer read, reading again at half of it; 0
     *        when QoS 0 messages are not counted
     */
    InboundWindow(int window, int qos0Window) {
        this.high = Math.max(1, Math.min(window, MAX_WINDOW));
        this.low = high / 2;
        this.qos0High = Math.max(0, qos0Window);
        this.qos0Low = qos0High / 2;
    }

    /** Whether QoS 0 messages are counted ({@code bridge.kafka.qos0-overload: push-back}). */
    boolean countsQos0() {
        return qos0High > 0;
    }

    /**
     * Takes the channel of a new connection and applies the current state to it (reading stays off while the window
     * is still full of messages of the previous connection). Called on the connection's event loop, before the
     * session's first message is handed on.
     */
    synchronized void attach(MqttClientConnectionConfig connectionConfig) {
        Optional<Channel> reachable = FlushCoalescing.channelOf(connectionConfig);
        if (reachable.isEmpty()) {
            LOG.warnf("This MQTT client version (connection config %s) does not expose its channel: the bridge cannot "
                    + "stop reading when it holds %d unacknowledged messages, and a broker that ignores the Receive "
                    + "Maximum makes the client close the connection", connectionConfig.getClass().getName(), high);
            channel = null;
            return;
        }
        channel = reachable.get();
        channel.config().setAutoRead(!paused);
    }

    /** Counts a QoS 1/2 message that arrived; stops reading when the window is full. Event loop only. */
    synchronized Slot received() {
        Slot slot = new Slot(false);
        held.addLast(slot);
        maxHeld = Math.max(maxHeld, held.size());
        pauseIfFull();
        return slot;
    }

    /** Counts a QoS 0 message that arrived ({@link #countsQos0()} only); stops reading at the QoS 0 limit. */
    synchronized Slot receivedQos0() {
        Slot slot = new Slot(true);
        qos0Held++;
        pauseIfFull();
        return slot;
    }

    private void pauseIfFull() {
        if (!paused && (held.size() >= high || (qos0High > 0 && qos0Held >= qos0High))) {
            paused = true;
            pauses++;
            setAutoRead(false);
        }
    }

    private synchronized void released(Slot slot) {
        slot.released = true;
        if (slot.qos0) {
            qos0Held--;
        } else {
            Slot head;
            while ((head = held.peekFirst()) != null && head.released) {
                held.pollFirst();
            }
        }
        if (paused && held.size() <= low && qos0Held <= qos0Low) {
            paused = false;
            setAutoRead(true);
        }
    }

    private void setAutoRead(boolean on) {
        if (channel != null) {
            channel.config().setAutoRead(on); // thread-safe; switching on schedules a read on the event loop
        }
    }

    /** QoS 1/2 messages held now. */
    synchronized int held() {
        return held.size();
    }

    /** QoS 0 messages held now (0 unless {@link #countsQos0()}). */
    synchronized int qos0Held() {
        return qos0Held;
    }

    /** Most messages held at once so far. */
    synchronized int maxHeld() {
        return maxHeld;
    }

    /** How often the window filled and reading stopped. */
    synchronized long pauses() {
        return pauses;
    }

    int high() {
        return high;
    }

    /** One held message; {@link #release()} once it is acknowledged (idempotent). */
    final class Slot {
        private final boolean qos0;
        private boolean released;

        private Slot(boolean qos0) {
            this.qos0 = qos0;
        }

        void release() {
            synchronized (InboundWindow.this) {
                if (released) {
                    return;
                }
            }
            released(this);
        }
    }
}
