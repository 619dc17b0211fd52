package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.Endpoints;
import io.mqttkafka.bridge.testing.LogCapture;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.StatusWatch;
import io.mqttkafka.bridge.testing.StatusWatch.Status;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * The bridge's status in one JVM against the embedded HiveMQ: a stale {@code offline} that arrives while the bridge is
 * up (as a will of an earlier connection can, after a takeover) is answered with {@code online}; the configured topic
 * and QoS are used; an empty topic turns the status off. The process-level behaviour (SIGKILL, SIGTERM, restart,
 * takeover, Mosquitto) is in {@code BridgeStatusIT}.
 */
class BridgeStatusTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** "unknown" for classes from the build directory, unless a Quarkus test in this JVM configured one. */
    private static final String VERSION = BridgeRuntime.version();

    private static int port() {
        return SharedBrokers.mqtt().port();
    }

    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(ints = {5, 3})
    void aStaleOfflineWhileConnectedIsAnsweredWithOnline(int protocolVersion) throws Exception {
        TestConfigs configs = TestConfigs.forSharedBrokers().set("bridge.mqtt.protocol-version",
                Integer.toString(protocolVersion));
        BridgeConfig config = configs.build();
        String clientId = config.mqtt().clientId().orElseThrow();
        String topic = "mqtt-kafka-bridge/" + clientId + "/status";
        try (MqttTestSubscriber live = MqttTestSubscriber.subscribe(port(), protocolVersion, 1, topic);
                LogCapture log = LogCapture.of("io.mqttkafka.bridge.mqtt.StatusAnnouncer");
                BridgeRuntime bridge = BridgeRuntime.started(config, Endpoints.from(config),
                        new SimpleMeterRegistry());
                MqttTestClient other = MqttTestClient.connect(port(), protocolVersion)) {
            Status online = StatusWatch.awaitSeen(live, "online", Status::online, TIMEOUT);
            String staleWill = StatusWatch.json("offline", config.id(), clientId, VERSION, online.timestamp() - 5_000);

            // What a broker does when it publishes an earlier connection's will after our online.
            other.publish(topic, staleWill.getBytes(StandardCharsets.UTF_8), 1, true).get(30, TimeUnit.SECONDS);

            Awaitility.await("online again, with the connection's timestamp").atMost(TIMEOUT)
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> StatusWatch.latest(live).map(Status::json).orElse(""),
                            online.json()::equals);
            assertThat(StatusWatch.seen(live)).extracting(Status::json)
                    .containsExactly(online.json(), staleWill, online.json());
            assertThat(StatusWatch.retained(port(), protocolVersion, topic).json()).isEqualTo(online.json());
            assertThat(log.containing("publishing 'online' again")).hasSize(1);
        }
    }

    /**
     * After the broker restarts (Mosquitto without persistence: sessions and retained messages gone), the status
     * connection reconnects, announces {@code online} again with the new connection's timestamp, and has its
     * subscription back: a stale {@code offline} is still answered.
     */
    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(ints = {5, 3})
    void afterAReconnectOnlineIsAnnouncedAgainAndStaleOfflinesAreStillAnswered(int protocolVersion) throws Exception {
        MosquittoProcess.assumeInstalledUnlessCi("This test restarts a Mosquitto of its own under the bridge.");
        try (MosquittoProcess mosquitto = MosquittoProcess.start()) {
            BridgeConfig config = TestConfigs.forSharedBrokers()
                    .set("bridge.mqtt.port", Integer.toString(mosquitto.port()))
                    .set("bridge.mqtt.protocol-version", Integer.toString(protocolVersion))
                    .build();
            String clientId = config.mqtt().clientId().orElseThrow();
            String topic = "mqtt-kafka-bridge/" + clientId + "/status";
            try (BridgeRuntime bridge = BridgeRuntime.started(config, Endpoints.from(config), new SimpleMeterRegistry())) {
                Status first;
                try (MqttTestSubscriber live = MqttTestSubscriber.subscribe(mosquitto.port(), protocolVersion, 1, topic)) {
                    first = StatusWatch.awaitSeen(live, "online", Status::online, TIMEOUT);
                }

                mosquitto.restart();

                try (MqttTestSubscriber live = MqttTestSubscriber.subscribe(mosquitto.port(), protocolVersion, 1, topic);
                        MqttTestClient other = MqttTestClient.connect(mosquitto.port(), protocolVersion)) {
                    Status again = StatusWatch.awaitSeen(live, "online after the reconnect",
                            status -> status.online() && status.timestamp() > first.timestamp(), TIMEOUT);
                    assertThat(again.json()).isEqualTo(StatusWatch.json("online", config.id(), clientId, VERSION,
                            again.timestamp()));

                    String staleWill = StatusWatch.json("offline", config.id(), clientId, VERSION, first.timestamp());
                    other.publish(topic, staleWill.getBytes(StandardCharsets.UTF_8), 1, true).get(30, TimeUnit.SECONDS);

                    Awaitility.await("online again after the stale will").atMost(TIMEOUT)
                            .pollInterval(Duration.ofMillis(20))
                            .until(() -> StatusWatch.latest(live).map(Status::json).orElse(""), again.json()::equals);
                    assertThat(StatusWatch.seen(live)).extracting(Status::json).endsWith(staleWill, again.json());
                    assertThat(StatusWatch.retained(mosquitto.port(), protocolVersion, topic).json())
                            .isEqualTo(again.json());
                }
            }
        }
    }

    @Test
    void theConfiguredTopicAndQosAreUsedWithMqtt5Properties() throws Exception {
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.status.topic", "bridges/{id}/{client-id}/state")
                .set("bridge.status.qos", "2")
                .build();
        String clientId = config.mqtt().clientId().orElseThrow();
        String topic = "bridges/" + config.id() + "/" + clientId + "/state";
        try (MqttTestSubscriber live = MqttTestSubscriber.subscribe(port(), 5, 2, topic)) {
            BridgeRuntime bridge = BridgeRuntime.started(config, Endpoints.from(config),
                    new SimpleMeterRegistry());
            boolean closed = false;
            try {
                Awaitility.await("online").atMost(TIMEOUT).until(() -> live.count() > 0);
                MqttTestSubscriber.Received received = live.received().get(0);

                assertThat(received.topic()).isEqualTo(topic);
                assertThat(received.qos()).isEqualTo(2);
                assertThat(received.contentType()).isEqualTo("application/json");
                assertThat(received.payloadFormatUtf8()).isTrue();
                Status online = StatusWatch.parse(received);
                assertThat(online.json()).isEqualTo(StatusWatch.json("online", config.id(), clientId, VERSION,
                        online.timestamp()));

                closed = true;
                bridge.close();
                Status offline = StatusWatch.awaitSeen(live, "offline on close", Status::offline, TIMEOUT);
                assertThat(offline.timestamp()).isGreaterThan(online.timestamp());
                assertThat(StatusWatch.retained(port(), 5, topic).json()).isEqualTo(offline.json());
            } finally {
                if (!closed) {
                    bridge.close();
                }
            }
        }
    }

    @Test
    void anEmptyTopicTurnsTheStatusOff() {
        BridgeConfig config = TestConfigs.forSharedBrokers().set("bridge.status.topic", "").build();
        String clientId = config.mqtt().clientId().orElseThrow();
        try (LogCapture log = LogCapture.of(BridgeRuntime.class.getName());
                BridgeRuntime bridge = BridgeRuntime.started(config, Endpoints.from(config),
                        new SimpleMeterRegistry())) {
            assertThat(log.containing("Starting bridge")).singleElement().asString()
                    .contains("MQTT client ids [], ").endsWith("status off)");
            assertThat(log.all()).doesNotContain(clientId + "-status");
        }
    }
}
