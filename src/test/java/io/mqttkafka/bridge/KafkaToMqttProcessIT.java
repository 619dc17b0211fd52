package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.mqttkafka.bridge.testing.BridgeProcess;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.PacedLoad;
import io.mqttkafka.bridge.testing.SharedBrokers;

/**
 * Kafka → MQTT acceptance 3, with the packaged application as a real process: killed (SIGKILL, no
 * shutdown hook) or stopped (SIGTERM) while 10,000 QoS 1 records are streaming through it, then restarted
 * with the same client id and group: every record reaches MQTT. After a kill, records published but not
 * yet committed are published again (duplicates, counted); a graceful stop commits what the broker
 * acknowledged, so nothing is repeated.
 */
class KafkaToMqttProcessIT {

    /**
     * Bound on each wait below. Measured: both cases together took 17.4 s in the clean-clone CI run of 2026-12-05 (2
     * cores); a wait also covers a process start (up to 90 s in BridgeProcess when the machine is loaded) and a
     * rebalance held for {@code revoke-timeout} (10 s by default), and 180 s covers both with room to spare.
     */
    private static final Duration TIMEOUT = Duration.ofSeconds(180);
    private static final int RECORDS = 10_000;
    private static final int BATCH = 50;

    @ParameterizedTest(name = "killed={0}")
    @ValueSource(booleans = {true, false})
    void everyRecordReachesMqttAcrossAKillOrStopMidStream(boolean killed) throws Exception {
        String root = SharedBrokers.unique("k2m-proc");
        String topic = SharedBrokers.unique("k2m-proc-commands");
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        KafkaTestProducer.createTopic(bootstrap, topic, 3);
        String bridgeId = SharedBrokers.unique("k2m-bridge");
        String yaml = BridgeProcess.connectionYaml(bridgeId, SharedBrokers.unique("k2m-client"), bootstrap) + """
                  kafka-to-mqtt:
                    - name: commands
                      kafka-topic: %s
                      mqtt-topic: %s/{key}
                      qos: 1
                """.formatted(topic, root);

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1, root + "/#");
                BridgeProcess bridge = BridgeProcess.prepare(yaml, Map.of()).start();
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap)) {
            bridge.awaitLog("assigned");
            // A steady stream of 10,000 records (about 2,000 per second) that is still flowing when the bridge goes.
            List<Future<RecordMetadata>> acks = new CopyOnWriteArrayList<>();
            PacedLoad produced = PacedLoad.start(RECORDS / BATCH, Duration.ofMillis(25), b -> {
                for (int i = b * BATCH; i < (b + 1) * BATCH; i++) {
                    acks.add(producer.send(topic, "device-" + (i % 20), ("r-" + i).getBytes(StandardCharsets.UTF_8)));
                }
            });

            Awaitility.await("bridge mid-stream").atMost(TIMEOUT)
                    .until(() -> KafkaGroups.committedTotal(bootstrap, bridgeId, topic) >= 1_000);
            if (killed) {
                bridge.kill();
            } else {
                int exitCode = bridge.stopGracefully(Duration.ofSeconds(60));
                System.out.printf("Kafka → MQTT bridge exit code after SIGTERM: %d%n", exitCode);
                assertThat(exitCode).as("exit code after SIGTERM (the JVM's 128 + 15)").isEqualTo(GRACEFUL_EXIT_CODE);
                assertThat(bridge.log()).as("graceful shutdown ran to its end").contains("Bridge '" + bridgeId + "' stopped");
                assertThat(bridge.log()).as("nothing in flight left unacknowledged").doesNotContain("were still waiting");
            }
            int deliveredBeforeRestart = subscriber.count();
            long committedBeforeRestart = KafkaGroups.committedTotal(bootstrap, bridgeId, topic);
            assertThat(produced.remainingBatches()).as("the bridge went away while records were still being produced")
                    .isPositive();
            assertThat(produced.await(Duration.ofSeconds(120))).as("all records produced").isTrue();
            produced.close();
            KafkaTestProducer.flushAndWait(acks);
            assertThat(committedBeforeRestart).as("the bridge went away mid-stream").isLessThan(RECORDS);

            bridge.start();
            Awaitility.await("every record on MQTT after the restart").atMost(TIMEOUT)
                    .until(() -> copies(subscriber).size() == RECORDS);
            long duplicates = copies(subscriber).values().stream().mapToLong(c -> c - 1).sum();
            System.out.printf("Kafka → MQTT %s mid-stream: %d records, %d on MQTT and %d committed when it went, "
                    + "all delivered after restart, %d duplicates%n", killed ? "SIGKILL" : "SIGTERM", RECORDS,
                    deliveredBeforeRestart, committedBeforeRestart, duplicates);
            if (!killed) {
                assertThat(duplicates).as("a graceful stop commits what the broker acknowledged").isZero();
            }
        }
    }

    /** What a JVM that ran its shutdown hooks after SIGTERM exits with. */
    private static final int GRACEFUL_EXIT_CODE = 143;

    private static Map<String, Long> copies(MqttTestSubscriber subscriber) {
        return subscriber.received().stream().map(MqttTestSubscriber.Received::text)
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }
}
