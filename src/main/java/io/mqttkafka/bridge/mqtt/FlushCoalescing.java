package io.mqttkafka.bridge.mqtt;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jboss.logging.Logger;

import com.hivemq.client.mqtt.MqttClientConnectionConfig;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;

/**
 * Makes the MQTT client send the acknowledgements that are due together in one write instead of one write each.
 *
 * <p>Why: hivemq-mqtt-client turns every {@code acknowledge()} into its own task on the connection's event loop, and
 * that task writes and flushes the PUBACK or PUBREC at once; the client merges flushes only while it is reading from
 * the socket. The bridge acknowledges from the Kafka producer's callback thread, a produce response's worth of
 * messages at a time, so without this every acknowledgement costs a {@code write} system call of a few bytes (and on
 * a local broker the kernel's delivery of it too). Netty's {@link FlushConsolidationHandler}, first in the pipeline,
 * lets such a flush run once after the tasks already queued, and still flushes at the end of every socket read: no
 * acknowledgement waits for a timer or for later messages. Measured in {@code docs/benchmarks.md}.
 *
 * <p>The client's public API does not expose its channel. It is reached through the connection config, whose class
 * in hivemq-mqtt-client 1.3 is the internal one that holds it, for MQTT 5 and 3.1.1 alike. Should a later client
 * version hide it, the bridge logs that once and goes on with one write per acknowledgement, which is slower and
 * otherwise the same.
 */
final class FlushCoalescing {

    private static final Logger LOG = Logger.getLogger(FlushCoalescing.class);
    private static final String HANDLER_NAME = "bridge-flush-coalescing";
    private static final AtomicBoolean UNAVAILABLE_LOGGED = new AtomicBoolean();

    private FlushCoalescing() {
    }

    /**
     * Adds the coalescing handler to the connection's channel unless it is there. Called from the client's connected
     * listener, which runs on the channel's event loop before the session's first message is handed on.
     */
    static void install(MqttClientConnectionConfig connectionConfig) {
        Optional<Channel> channel = channelOf(connectionConfig);
        if (channel.isEmpty()) {
            if (UNAVAILABLE_LOGGED.compareAndSet(false, true)) {
                LOG.infof("This MQTT client version (connection config %s) does not expose its channel: every "
                        + "acknowledgement is sent with its own write", connectionConfig.getClass().getName());
            }
            return;
        }
        ChannelPipeline pipeline = channel.get().pipeline();
        if (pipeline.get(HANDLER_NAME) == null) {
            pipeline.addFirst(HANDLER_NAME, new FlushConsolidationHandler(
                    FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        }
    }

    /** The Netty channel of a live connection, if this client version lets us reach it. */
    static Optional<Channel> channelOf(MqttClientConnectionConfig connectionConfig) {
        return connectionConfig instanceof com.hivemq.client.internal.mqtt.MqttClientConnectionConfig internal
                ? Optional.of(internal.getChannel())
                : Optional.empty();
    }
}
