package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/** Acceptance 2: templates and filters end to end, and overlapping mappings writing once each. */
class MappingTemplatesTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void rendersNamedPositionalMultiLevelAndWholeTopicPlaceholders() {
        String root = SharedBrokers.unique("tpl");
        String named = SharedBrokers.unique("named");
        String rest = SharedBrokers.unique("rest");
        BridgeConfig config = TestConfigs.forSharedBrokers()
                // named levels in topic and key
                .mapping("named", root + "/n/{site}/{device}/temp", 1, named + ".{site}", "{device}@{site}")
                // positional wildcards and '#', which yields the remaining levels joined by '/'
                .mapping("rest", root + "/r/+/#", 1, rest + "-{1}", "{2}|{topic}")
                .build();
        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            publisher.publish(root + "/n/plant-1/dev-9/temp", bytes("21.5"), 1).join();
            publisher.publish(root + "/r/site-2/a/b/c", bytes("x"), 1).join();
            publisher.publish(root + "/r/site-2", bytes("parent"), 1).join();

            ConsumerRecord<byte[], byte[]> namedRecord = KafkaTestConsumer.readAtLeast(
                    SharedBrokers.kafka().bootstrapServers(), named + ".plant-1", 1, TIMEOUT).get(0);
            assertThat(text(namedRecord.key())).isEqualTo("dev-9@plant-1");
            assertThat(text(namedRecord.value())).isEqualTo("21.5");

            List<ConsumerRecord<byte[], byte[]>> restRecords = KafkaTestConsumer.readAtLeast(
                    SharedBrokers.kafka().bootstrapServers(), rest + "-site-2", 2, TIMEOUT);
            Map<String, String> keyByPayload = restRecords.stream()
                    .collect(Collectors.toMap(r -> text(r.value()), r -> text(r.key())));
            assertThat(keyByPayload).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "x", "a/b/c|" + root + "/r/site-2/a/b/c",
                    // '#' also matches the parent level, with an empty remainder
                    "parent", "|" + root + "/r/site-2"));
        }
    }

    @Test
    void sharedSubscriptionFilterDeliversWithNamedLevels() {
        String root = SharedBrokers.unique("shared");
        String kafkaTopic = SharedBrokers.unique("shared-out");
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .mapping("shared", "$share/" + SharedBrokers.unique("group") + "/" + root + "/{device}/evt", 2,
                        kafkaTopic, "{device}")
                .build();
        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            publisher.publish(root + "/d1/evt", bytes("e1"), 2).join();
            publisher.publish(root + "/d2/evt", bytes("e2"), 2).join();

            List<ConsumerRecord<byte[], byte[]>> records = KafkaTestConsumer.readAtLeast(
                    SharedBrokers.kafka().bootstrapServers(), kafkaTopic, 2, TIMEOUT);
            assertThat(records).extracting(r -> text(r.key()) + "=" + text(r.value()))
                    .containsExactlyInAnyOrder("d1=e1", "d2=e2");
            assertThat(records).allSatisfy(r ->
                    assertThat(KafkaTestConsumer.header(r, BridgeHeaders.MQTT_TOPIC)).startsWith(root + "/"));
        }
    }

    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(ints = {5, 3})
    void overlappingMappingsWriteOncePerMapping(int protocolVersion) {
        String root = SharedBrokers.unique("overlap");
        String narrow = SharedBrokers.unique("narrow");
        String wide = SharedBrokers.unique("wide");
        String same = SharedBrokers.unique("same");
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.protocol-version", Integer.toString(protocolVersion))
                .mapping("narrow", root + "/+/temp", 1, narrow, null)
                .mapping("wide", root + "/#", 1, wide, null)
                // a third mapping rendering into the same topic as the second: still one record per mapping
                .mapping("wide-again", root + "/{device}/temp", 1, wide, "again-{device}")
                .build();
        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), protocolVersion)) {
            for (int i = 0; i < 5; i++) {
                publisher.publish(root + "/d" + i + "/temp", bytes("t" + i), 1).join();
            }
            publisher.publish(root + "/d0/humidity", bytes("h0"), 1).join();

            assertThat(KafkaTestConsumer.readAtLeast(SharedBrokers.kafka().bootstrapServers(), narrow, 5, TIMEOUT))
                    .extracting(r -> text(r.value())).containsExactlyInAnyOrder("t0", "t1", "t2", "t3", "t4");
            List<ConsumerRecord<byte[], byte[]>> wideRecords = KafkaTestConsumer.readAtLeast(
                    SharedBrokers.kafka().bootstrapServers(), wide, 11, TIMEOUT);
            assertThat(wideRecords).as("5 temps via 'wide', 5 via 'wide-again', 1 humidity via 'wide'").hasSize(11);
            assertThat(wideRecords.stream().filter(r -> text(r.key()).startsWith("again-")).count()).isEqualTo(5);
            assertThat(KafkaTestConsumer.readAvailable(SharedBrokers.kafka().bootstrapServers(), narrow,
                    Duration.ofMillis(500))).as("no duplicates in the narrow mapping").hasSize(5);
        }
    }
}
