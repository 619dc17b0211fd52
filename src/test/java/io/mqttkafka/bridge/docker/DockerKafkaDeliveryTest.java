package io.mqttkafka.bridge.docker;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * The delivery test against Kafka in a container, for machines with Docker (e.g. to try other Kafka
 * versions). Skipped, and reported as skipped, where no Docker engine runs; the in-process suite covers
 * the same ground everywhere.
 */
@Testcontainers(disabledWithoutDocker = true)
class DockerKafkaDeliveryTest {

    @Container
    static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.2");

    @ParameterizedTest(name = "QoS {0}")
    @ValueSource(ints = {0, 1, 2})
    void deliversToContainerisedKafka(int qos) {
        String root = SharedBrokers.unique("docker");
        String kafkaTopic = SharedBrokers.unique("docker-out");
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.kafka.bootstrap-servers", KAFKA.getBootstrapServers())
                .mapping("docker", root + "/{device}", qos, kafkaTopic, "{device}")
                .build();
        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            publisher.publish(root + "/d1", "hello".getBytes(StandardCharsets.UTF_8), qos).join();

            List<ConsumerRecord<byte[], byte[]>> records = KafkaTestConsumer.readAtLeast(KAFKA.getBootstrapServers(),
                    kafkaTopic, 1, Duration.ofSeconds(60));
            assertThat(records).hasSize(1);
            assertThat(new String(records.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("d1");
            assertThat(new String(records.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("hello");
        }
    }
}
