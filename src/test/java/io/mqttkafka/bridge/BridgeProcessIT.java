package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.mqttkafka.bridge.testing.BridgeProcess;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;

/**
 * The packaged application as a real process: no loss across a SIGKILL (acceptance 4) or a SIGTERM, and a
 * bad configuration failing startup with a message naming the key (acceptance 7).
 */
class BridgeProcessIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private static String config(String clientId, String root, String qos1Topic, String qos2Topic) {
        return BridgeProcess.connectionYaml("process-bridge", clientId, SharedBrokers.kafka().bootstrapServers()) + """
                  mqtt-to-kafka:
                    - name: at-least-once
                      filter: %s/q1/+
                      qos: 1
                      kafka-topic: %s
                    - name: exactly-once-ish
                      filter: %s/q2/+
                      qos: 2
                      kafka-topic: %s
                """.formatted(root, qos1Topic, root, qos2Topic);
    }

    @ParameterizedTest(name = "killed={0}")
    @ValueSource(booleans = {true, false})
    void losesNothingWhenTheProcessIsKilledOrStoppedMidStream(boolean killed) throws Exception {
        String root = SharedBrokers.unique("proc");
        String qos1Topic = SharedBrokers.unique("proc-q1");
        String qos2Topic = SharedBrokers.unique("proc-q2");
        List<String> expected = new ArrayList<>();
        try (BridgeProcess bridge = BridgeProcess.prepare(
                config(SharedBrokers.unique("proc-client"), root, qos1Topic, qos2Topic), Map.of()).start();
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            bridge.awaitSubscribed(2);

            // A stream, QoS 1 and QoS 2 interleaved, that is still being bridged when the process goes away.
            List<String> stream = labels("stream", 20_000);
            expected.addAll(stream);
            CompletableFuture<Void> streaming = CompletableFuture.runAsync(() -> publish(publisher, root, stream));
            Awaitility.await("bridge mid-stream at QoS 1 and QoS 2").atMost(TIMEOUT).until(() ->
                    bridged(qos1Topic) >= 300 && bridged(qos2Topic) >= 300);
            if (killed) {
                bridge.kill();
            } else {
                bridge.stop();
            }
            for (String topic : List.of(qos1Topic, qos2Topic)) {
                assertThat(bridged(topic)).as("the bridge went away mid-stream: %s has some of the stream, not all", topic)
                        .isBetween(300, stream.size() - 1);
            }
            streaming.get(120, TimeUnit.SECONDS);

            List<String> whileDown = labels("down", 500);
            expected.addAll(whileDown);
            publish(publisher, root, whileDown);

            bridge.start().awaitSubscribed(2);
            List<String> after = labels("after", 200);
            expected.addAll(after);
            publish(publisher, root, after);

            for (String topic : List.of(qos1Topic, qos2Topic)) {
                List<ConsumerRecord<byte[], byte[]>> records = KafkaTestConsumer.readUntil(
                        SharedBrokers.kafka().bootstrapServers(), topic,
                        read -> payloads(read).containsAll(expected), TIMEOUT);
                Map<String, Long> copies = payloads(records).stream()
                        .collect(Collectors.groupingBy(p -> p, Collectors.counting()));
                assertThat(copies.keySet()).as("nothing lost in %s", topic).containsAll(expected);
                long duplicates = copies.values().stream().mapToLong(c -> c - 1).sum();
                System.out.printf("%s, %s: %d messages, %d duplicates%n", killed ? "SIGKILL" : "SIGTERM", topic,
                        expected.size(), duplicates);
                if (!killed) {
                    assertThat(duplicates).as("graceful stop acknowledges what Kafka has: no redelivery").isZero();
                }
            }
        }
    }

    @Test
    void badConfigurationFailsStartupNamingTheKey() {
        String yaml = """
                bridge:
                  mqtt:
                    port: %d
                  kafka:
                    bootstrap-servers: %s
                  mqtt-to-kafka:
                    - name: temperatures
                      filter: sensors/{site}/{device}/temperature
                      qos: 1
                      kafka-topic: iot.temperature.{sitee}
                """.formatted(SharedBrokers.mqtt().port(), SharedBrokers.kafka().bootstrapServers());
        try (BridgeProcess bridge = BridgeProcess.prepare(yaml, Map.of()).start()) {
            int exitCode = bridge.awaitExit(Duration.ofSeconds(60));

            assertThat(exitCode).isNotZero();
            assertThat(bridge.log()).contains("bridge.mqtt-to-kafka[0].kafka-topic")
                    .contains("unknown placeholder {sitee}");
        }
    }

    private static List<String> labels(String label, int count) {
        return IntStream.range(0, count).mapToObj(i -> label + "-" + i).toList();
    }

    /** Records in {@code topic} now (duplicates included). */
    private static int bridged(String topic) {
        return KafkaTestConsumer.readAvailable(SharedBrokers.kafka().bootstrapServers(), topic, Duration.ofMillis(200))
                .size();
    }

    /**
     * Publishes each label at QoS 1, then at QoS 2, label after label, so that both streams are in flight at once,
     * and waits for the broker's acknowledgements.
     */
    private static void publish(MqttTestClient publisher, String root, List<String> labels) {
        List<CompletableFuture<?>> acks = new ArrayList<>();
        for (String label : labels) {
            byte[] payload = label.getBytes(StandardCharsets.UTF_8);
            int device = label.hashCode() & 3;
            acks.add(publisher.publish(root + "/q1/t" + device, payload, 1));
            acks.add(publisher.publish(root + "/q2/t" + device, payload, 2));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).orTimeout(120, TimeUnit.SECONDS).join();
    }

    private static List<String> payloads(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }
}
