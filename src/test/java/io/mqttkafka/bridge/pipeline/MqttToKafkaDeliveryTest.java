package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.KafkaTestConsumer.header;
import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/** Acceptance 1: every QoS, both MQTT versions, exact bytes, keys and headers, against real brokers. */
class MqttToKafkaDeliveryTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @ParameterizedTest(name = "MQTT {0}, QoS {1}")
    @CsvSource({"5,0", "5,1", "5,2", "3,0", "3,1", "3,2"})
    void deliversExactPayloadsWithKeyAndHeaders(int protocolVersion, int qos) {
        String root = SharedBrokers.unique("plant");
        String kafkaTopic = SharedBrokers.unique("telemetry");
        // Created up front: a QoS 0 record that races the topic's auto-creation may be dropped (at most once),
        // which is allowed for QoS 0 but not what this test is about.
        KafkaTestProducer.createTopic(SharedBrokers.kafka().bootstrapServers(), kafkaTopic, 3);
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.protocol-version", Integer.toString(protocolVersion))
                .mapping("telemetry", root + "/{device}/data", qos, kafkaTopic, "{device}");
        BridgeConfig config = configs.build();
        byte[] binary = new byte[1024];
        new Random(qos * 31L + protocolVersion).nextBytes(binary);
        byte[] large = new byte[256 * 1024];
        new Random(7).nextBytes(large);
        List<byte[]> payloads = List.of(binary, new byte[0], large);

        long before = System.currentTimeMillis();
        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), protocolVersion)) {
            publisher.publishAll(List.of(root + "/dev-1/data", root + "/dev-1/data", root + "/dev-1/data"), payloads, qos);

            List<ConsumerRecord<byte[], byte[]>> records = KafkaTestConsumer.readAtLeast(
                    SharedBrokers.kafka().bootstrapServers(), kafkaTopic, 3, TIMEOUT);

            assertThat(records).hasSize(3);
            for (int i = 0; i < 3; i++) {
                ConsumerRecord<byte[], byte[]> record = records.get(i);
                assertThat(record.value()).as("payload %d byte for byte", i).isEqualTo(payloads.get(i));
                assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("dev-1");
                assertThat(header(record, BridgeHeaders.MQTT_TOPIC)).isEqualTo(root + "/dev-1/data");
                assertThat(header(record, BridgeHeaders.MQTT_QOS)).isEqualTo(Integer.toString(qos));
                assertThat(header(record, BridgeHeaders.MQTT_RETAIN)).isEqualTo("false");
                assertThat(header(record, BridgeHeaders.ORIGIN)).isEqualTo(config.id());
                assertThat(record.timestamp()).isBetween(before, System.currentTimeMillis());
            }
        }
    }

    @ParameterizedTest(name = "QoS {0}")
    @ValueSource(ints = {1, 2})
    void carriesMqtt5PropertiesAsHeaders(int qos) {
        String topic = SharedBrokers.unique("props") + "/cmd";
        String kafkaTopic = SharedBrokers.unique("props-out");
        BridgeConfig config = TestConfigs.forSharedBrokers().mapping("props", topic, qos, kafkaTopic, null).build();
        byte[] correlation = {0, 1, 2, (byte) 0xff};
        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            publisher.publish5(topic, "{\"on\":true}".getBytes(StandardCharsets.UTF_8), qos, p -> p
                    .contentType("application/json")
                    .responseTopic("replies/42")
                    .correlationData(correlation)
                    .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
                    .messageExpiryInterval(3600)
                    .userProperties().add("site", "plant-1").add("unit", "C").applyUserProperties()).join();

            ConsumerRecord<byte[], byte[]> record = KafkaTestConsumer.readAtLeast(
                    SharedBrokers.kafka().bootstrapServers(), kafkaTopic, 1, TIMEOUT).get(0);

            assertThat(new String(record.key(), StandardCharsets.UTF_8)).as("default key is the MQTT topic").isEqualTo(topic);
            assertThat(header(record, BridgeHeaders.MQTT_CONTENT_TYPE)).isEqualTo("application/json");
            assertThat(header(record, BridgeHeaders.MQTT_RESPONSE_TOPIC)).isEqualTo("replies/42");
            assertThat(record.headers().lastHeader(BridgeHeaders.MQTT_CORRELATION_DATA).value()).isEqualTo(correlation);
            assertThat(header(record, BridgeHeaders.MQTT_PAYLOAD_FORMAT)).isEqualTo("1");
            assertThat(Long.parseLong(header(record, BridgeHeaders.MQTT_MESSAGE_EXPIRY))).isBetween(3590L, 3600L);
            assertThat(header(record, "site")).isEqualTo("plant-1");
            assertThat(header(record, "unit")).isEqualTo("C");
        }
    }

    @ParameterizedTest(name = "retained-empty-as-tombstone={0}")
    @ValueSource(booleans = {true, false})
    void emptyRetainedMessageBecomesTombstoneWhenSwitchedOn(boolean tombstone) {
        String topic = SharedBrokers.unique("state") + "/valve";
        String kafkaTopic = SharedBrokers.unique("state-out");
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .mapping("state", topic, 1, kafkaTopic, "{topic}")
                .set("bridge.mqtt-to-kafka[0].retained-empty-as-tombstone", Boolean.toString(tombstone))
                .build();
        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            publisher.publish(topic, "open".getBytes(StandardCharsets.UTF_8), 1, true).join();
            publisher.publish(topic, new byte[0], 1, true).join();

            List<ConsumerRecord<byte[], byte[]>> records = KafkaTestConsumer.readAtLeast(
                    SharedBrokers.kafka().bootstrapServers(), kafkaTopic, 2, TIMEOUT);

            assertThat(records).hasSize(2);
            assertThat(records.get(0).value()).isEqualTo("open".getBytes(StandardCharsets.UTF_8));
            assertThat(header(records.get(0), BridgeHeaders.MQTT_RETAIN)).isEqualTo("true");
            assertThat(records.get(1).key()).isEqualTo(records.get(0).key());
            assertThat(header(records.get(1), BridgeHeaders.MQTT_RETAIN)).isEqualTo("true");
            if (tombstone) {
                assertThat(records.get(1).value()).as("tombstone").isNull();
            } else {
                assertThat(records.get(1).value()).isEmpty();
            }
        }
    }
}
