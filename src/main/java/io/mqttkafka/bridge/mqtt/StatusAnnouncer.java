package io.mqttkafka.bridge.mqtt;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.jboss.logging.Logger;

/**
 * Keeps the bridge's retained status right on the status connection ({@link MqttConnection#status}):
 *
 * <ul>
 * <li>every connection attempt gets a new timestamp, which its last will (registered by {@link MqttClientSettings})
 * and the {@code online} published once it is established both carry;</li>
 * <li>{@code online} is published, retained, on every (re)connect;</li>
 * <li>the connection subscribes to its own status topic, and whenever an {@code offline} arrives while it is up and
 * not shutting down, it publishes {@code online} again. That {@code offline} is stale: the will of an earlier
 * connection with the same client id, which a broker may publish after our {@code online} when the new connection
 * takes the session over (a fast restart, or a reconnect before the broker noticed the old connection was gone), or
 * the retained state left by the previous run;</li>
 * <li>a graceful shutdown publishes {@code offline} itself, and waits for the broker to have it, before the normal
 * DISCONNECT (which makes the broker discard the will).</li>
 * </ul>
 */
public final class StatusAnnouncer {

    private static final Logger LOG = Logger.getLogger(StatusAnnouncer.class);

    private final BridgeStatus status;
    private final LongSupplier clock;
    /** The last timestamp handed out: each is later than the one before, even if the wall clock steps back. */
    private final AtomicLong lastTimestamp = new AtomicLong();
    /** The timestamp of the connection attempt whose will is registered now (the current or next connection). */
    private volatile long connectionTimestamp;
    private volatile boolean stopping;
    private volatile MqttConnection connection;

    public StatusAnnouncer(BridgeStatus status) {
        this(status, System::currentTimeMillis);
    }

    /** A seam for tests: {@code clock} reads epoch milliseconds. */
    StatusAnnouncer(BridgeStatus status, LongSupplier clock) {
        this.status = status;
        this.clock = clock;
    }

    public BridgeStatus status() {
        return status;
    }

    void attach(MqttConnection connection) {
        this.connection = connection;
    }

    /** A timestamp for the next connection attempt, whose will is being built now. */
    long nextConnection() {
        long timestamp = nextTimestamp();
        connectionTimestamp = timestamp;
        return timestamp;
    }

    private long nextTimestamp() {
        return lastTimestamp.updateAndGet(previous -> Math.max(previous + 1, clock.getAsLong()));
    }

    /** The connection is established (on the client's thread): announce {@code online} with its timestamp. */
    void onConnected() {
        if (!stopping) {
            publish(BridgeStatus.State.ONLINE, connectionTimestamp);
        }
    }

    /**
     * A message on the status topic (on the client's thread; must not block). An {@code offline} while this
     * connection is up is stale and is answered with {@code online}; our own {@code online} coming back is ignored.
     */
    void onMessage(InboundMessage message) {
        message.acknowledge();
        if (stopping || !connection.isConnected()) {
            return;
        }
        byte[] payload = message.payload();
        Optional<BridgeStatus.State> state = BridgeStatus.stateOf(payload);
        if (state.equals(Optional.of(BridgeStatus.State.OFFLINE))) {
            LOG.infof("The status topic %s says 'offline' (timestamp %d) while this bridge is connected (timestamp %d): "
                    + "a will or shutdown message of an earlier connection; publishing 'online' again", status.topic(),
                    BridgeStatus.timestampOf(payload), connectionTimestamp);
            publish(BridgeStatus.State.ONLINE, connectionTimestamp);
        }
    }

    /**
     * Graceful shutdown: from now on nothing is corrected, and {@code offline} (timestamp now) is published and waited
     * for, at most {@code timeout}. When the connection is down, the broker has published its will already.
     */
    public void announceOffline(Duration timeout) {
        stopping = true;
        MqttConnection current = connection;
        if (current == null || !current.isConnected()) {
            LOG.infof("Not connected at shutdown: the status on %s is the last will's 'offline'", status.topic());
            return;
        }
        try {
            current.send(status.message(BridgeStatus.State.OFFLINE, nextTimestamp()))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            LOG.infof("Published status 'offline' on %s", status.topic());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warnf("Could not publish status 'offline' on %s (%s); the broker publishes the last will only if the "
                    + "connection ends abnormally", status.topic(), e.getCause() != null ? e.getCause() : e);
        }
    }

    private void publish(BridgeStatus.State state, long timestamp) {
        MqttConnection current = connection;
        current.send(status.message(state, timestamp)).whenComplete((done, failure) -> {
            if (failure != null) {
                // The next connection publishes it again.
                LOG.warnf("Could not publish status '%s' on %s: %s", state.text(), status.topic(), failure);
            } else {
                LOG.debugf("Published status '%s' on %s (timestamp %d)", state.text(), status.topic(), timestamp);
            }
        });
    }
}
