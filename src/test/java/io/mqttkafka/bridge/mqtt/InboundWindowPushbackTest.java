package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Pins what the subscriber's flow control relies on in hivemq-mqtt-client, which its public API does not offer: the
 * connection's Netty channel, reached through the internal {@code com.hivemq.client.internal.mqtt.MqttClientConnectionConfig}
 * ({@link FlushCoalescing#channelOf}), and that switching its auto-read off stops the messages from reaching the
 * application (the client reads nothing ahead of the socket and buffers nothing of its own beyond what Netty has
 * read). A client version that changes either fails here.
 *
 * <p>Against a real broker (the installed Mosquitto; the in-process HiveMQ CE sends a subscriber only a few messages
 * at a time, so it never fills the window), MQTT 5 and 3.1.1: the subscriber announces the largest Receive Maximum
 * (MQTT 3.1.1: Mosquitto's window is its {@code max_inflight_messages}, 1000 here), so the broker sends far more than
 * the window; the bridge holds at most the window plus what one socket
 * read (64 KiB, and one more to complete a packet cut in two) decodes at once, stays connected, and receives every
 * message as it acknowledges.
 */
class InboundWindowPushbackTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int WINDOW = 100;
    private static final int MESSAGES = 3_000;
    private static final int PAYLOAD = 256;

    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(ints = {5, 3})
    void theSocketIsNotReadWhileTheWindowIsFull(int protocolVersion) throws Exception {
        String topic = SharedBrokers.unique("window") + "/device";
        MosquittoProcess.assumeInstalledUnlessCi("the flow-control pin runs against Mosquitto.");
        try (MosquittoProcess broker = MosquittoProcess.start()) {
            BridgeConfig config = TestConfigs.forSharedBrokers()
                    .set("bridge.mqtt.port", Integer.toString(broker.port()))
                    .set("bridge.mqtt.protocol-version", Integer.toString(protocolVersion))
                    .set("bridge.mqtt.clean-start", "true")
                    .set("bridge.mqtt.receive-maximum", Integer.toString(WINDOW))
                    .build();
            List<InboundMessage> received = new CopyOnWriteArrayList<>();
            MqttConnection connection = MqttConnection.subscriber(config.mqtt(),
                    MqttClientSettings.of(config.mqtt(), "127.0.0.1", broker.port(), name -> null),
                    SharedBrokers.unique("window-bridge"), List.of(new MqttSubscription(topic, 1)), received::add, 0);
            connection.start();
            try {
                Awaitility.await().atMost(TIMEOUT).until(connection::isSubscribed);
                assertThat(connection.channel()).as("the client's channel, through its internal connection config")
                        .isPresent();
                publish(broker.port(), topic);

                // Packet: fixed header 3, topic length 2, topic, packet id 2, (MQTT 5) properties length 1, payload.
                int packet = 3 + 2 + topic.length() + 2 + (protocolVersion == 5 ? 1 : 0) + PAYLOAD;
                int overrunBound = 2 * 65_536 / packet;
                Set<String> payloads = new HashSet<>();
                int acknowledged = 0;
                int rounds = 0;
                while (acknowledged < MESSAGES) {
                    int before = acknowledged;
                    // The window fills (or the rest of the messages arrive), then nothing more comes while none is
                    // acknowledged: reading has stopped.
                    Awaitility.await().atMost(TIMEOUT).until(() -> received.size() >= Math.min(WINDOW, MESSAGES - before));
                    AtomicInteger lastSeen = new AtomicInteger(-1);
                    Awaitility.await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(100))
                            .during(Duration.ofMillis(500)).until(() -> {
                                int size = received.size();
                                return lastSeen.getAndSet(size) == size;
                            });
                    int held = received.size();
                    assertThat(held).as("messages held while none is acknowledged (window %d, one read's overrun "
                            + "at most %d)", WINDOW, overrunBound).isLessThanOrEqualTo(WINDOW + overrunBound);
                    List<InboundMessage> batch = new ArrayList<>(received);
                    received.removeAll(batch);
                    for (InboundMessage message : batch) {
                        payloads.add(new String(message.payload(), StandardCharsets.UTF_8).trim());
                        message.acknowledge();
                    }
                    acknowledged += batch.size();
                    rounds++;
                }
                assertThat(acknowledged).isEqualTo(MESSAGES);
                assertThat(payloads).hasSize(MESSAGES);
                assertThat(connection.inboundWindow().maxHeld()).isBetween(WINDOW, WINDOW + overrunBound);
                assertThat(connection.inboundWindow().pauses()).as("reading stopped when the window was full")
                        .isGreaterThanOrEqualTo(MESSAGES / (WINDOW + overrunBound));
                assertThat(connection.inboundWindow().held()).isZero();
                assertThat(connection.isConnected()).isTrue();
                System.out.printf("MQTT %d: %d messages in %d rounds, at most %d held (window %d, bound %d)%n",
                        protocolVersion, MESSAGES, rounds, connection.inboundWindow().maxHeld(), WINDOW,
                        WINDOW + overrunBound);
            } finally {
                connection.disconnect(Duration.ofSeconds(5));
            }
        }
    }

    private static void publish(int port, String topic) throws Exception {
        try (MqttTestClient publisher = MqttTestClient.connect(port, 5)) {
            List<CompletableFuture<?>> acks = new ArrayList<>();
            for (int i = 0; i < MESSAGES; i++) {
                byte[] payload = new byte[PAYLOAD];
                Arrays.fill(payload, (byte) ' ');
                byte[] label = Integer.toString(i).getBytes(StandardCharsets.UTF_8);
                System.arraycopy(label, 0, payload, 0, label.length);
                acks.add(publisher.publish(topic, payload, 1));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        }
    }
}
