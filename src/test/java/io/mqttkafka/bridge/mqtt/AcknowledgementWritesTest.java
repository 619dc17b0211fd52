package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.dev.EmbeddedMqttBroker;
import io.mqttkafka.bridge.testing.FreePorts;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * Acknowledgements that become due together leave the bridge in one write, on the first connection and after a
 * reconnect, with MQTT 5 and 3.1.1. The bridge acknowledges from the Kafka producer's callback thread while the MQTT
 * client's event loop is busy reading; the client queues one task per acknowledgement, and each of those used to
 * flush its PUBACK with its own write system call.
 *
 * <p>Real broker (in-process); the test holds the client's event loop with a task of its own while it acknowledges,
 * which is the situation of a loop busy with a socket read, and counts the flushes that reach the socket.
 */
class AcknowledgementWritesTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int MESSAGES = 20;
    /** Published beyond {@link #MESSAGES}, to be acknowledged one by one until MESSAGES are held together. */
    private static final int SPARE = 5;

    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(ints = {5, 3})
    void acknowledgementsDueTogetherAreFlushedOnceOnEveryConnection(int protocolVersion) throws Exception {
        String topic = SharedBrokers.unique("acks") + "/device";
        try (EmbeddedMqttBroker broker = FreePorts.startOnFreePort(EmbeddedMqttBroker::start)) {
            BridgeConfig config = TestConfigs.forSharedBrokers()
                    .set("bridge.mqtt.port", Integer.toString(broker.port()))
                    .set("bridge.mqtt.protocol-version", Integer.toString(protocolVersion))
                    // A new session after the restart: nothing of the first round can come again in the second.
                    .set("bridge.mqtt.clean-start", "true")
                    .build();
            List<InboundMessage> received = new CopyOnWriteArrayList<>();
            MqttConnection connection = MqttConnection.subscriber(config.mqtt(),
                    MqttClientSettings.of(config.mqtt(), "127.0.0.1", broker.port(), name -> null),
                    SharedBrokers.unique("acks-bridge"), List.of(new MqttSubscription(topic, 1)), received::add, 0);
            connection.start();
            try {
                Awaitility.await().atMost(TIMEOUT).until(connection::isSubscribed);
                assertOneFlushForAllAcknowledgements(connection, broker, topic, received, protocolVersion);

                Channel first = connection.channel().orElseThrow();
                broker.stop();
                broker.startAgain();
                Awaitility.await().atMost(TIMEOUT).until(() -> connection.isConnected()
                        && connection.channel().filter(channel -> channel != first).isPresent());
                assertOneFlushForAllAcknowledgements(connection, broker, topic, received, protocolVersion);
            } finally {
                connection.disconnect(Duration.ofSeconds(5));
            }
        }
    }

    private static void assertOneFlushForAllAcknowledgements(MqttConnection connection, EmbeddedMqttBroker broker,
            String topic, List<InboundMessage> received, int protocolVersion) throws InterruptedException {
        received.clear();
        // The in-process broker (HiveMQ CE) sends a subscriber one message and queues the rest until that one is
        // acknowledged, then sends what it has queued. How much that is depends on how far it got with queuing the
        // publisher's messages (it acknowledges a publish before the subscriber's queue has it), so publish a few more
        // than MESSAGES and acknowledge the oldest until MESSAGES wait unacknowledged together.
        try (MqttTestClient publisher = MqttTestClient.connect(broker.port(), protocolVersion)) {
            for (int i = 0; i < MESSAGES + SPARE; i++) {
                publisher.publishAll(List.of(topic), List.of(("reading-" + i).getBytes(StandardCharsets.UTF_8)), 1);
            }
        }
        Awaitility.await().atMost(TIMEOUT).until(() -> !received.isEmpty());
        for (int acknowledged = 0; received.size() < MESSAGES; acknowledged++) {
            assertThat(acknowledged).as("messages acknowledged one by one to get %d held", MESSAGES).isLessThan(SPARE);
            received.remove(0).acknowledge();
            try {
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() >= MESSAGES);
            } catch (ConditionTimeoutException fewerSent) {
                // The broker had queued fewer: acknowledge the next oldest, which releases the rest.
            }
        }
        List<InboundMessage> held = List.copyOf(received);

        Channel channel = connection.channel().orElseThrow();
        SocketWrites writes = new SocketWrites();
        // First in the pipeline, next to the socket: it sees what leaves, after any coalescing.
        channel.pipeline().addFirst(writes);
        CountDownLatch loopHeld = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        channel.eventLoop().execute(() -> {
            loopHeld.countDown();
            try {
                release.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            assertThat(loopHeld.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            held.forEach(InboundMessage::acknowledge);
        } finally {
            release.countDown();
        }

        Awaitility.await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(writes.buffers).as("PUBACKs written").hasValue(held.size());
            assertThat(writes.flushes).as("flushes").hasPositiveValue();
        });
        assertThat(writes.flushes)
                .as("flushes for %d PUBACKs acknowledged while the event loop was busy", held.size())
                .hasValue(1);
        channel.pipeline().remove(writes);
    }

    /** Counts the buffers written to the socket and the flushes that push them out. */
    private static final class SocketWrites extends ChannelOutboundHandlerAdapter {

        final AtomicInteger buffers = new AtomicInteger();
        final AtomicInteger flushes = new AtomicInteger();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof ByteBuf) {
                buffers.incrementAndGet();
            }
            super.write(ctx, msg, promise);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) throws Exception {
            flushes.incrementAndGet();
            super.flush(ctx);
        }
    }
}
