package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.KafkaTestConsumer.header;
import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Hostile MQTT levels, Kafka keys and Kafka headers through a running bridge and real brokers (issue 19): each one is
 * dead-lettered with its reason, nothing reaches a Kafka topic or an MQTT topic other than those the mappings name for
 * the good neighbours, and the good neighbours pass. The property tests in the mapping package cover the rendering
 * rules over many generated values; this checks that the pipelines act on them end to end.
 *
 * <p>MQTT levels with {@code +}, {@code #}, U+0000 or a lone surrogate, and MQTT topics over 65535 bytes, cannot be
 * published at all (the client refuses them, as would the broker), so they cannot reach the bridge over MQTT; a Kafka
 * key or header can carry every one of them.
 */
class HostileInputTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static String bootstrap() {
        return SharedBrokers.kafka().bootstrapServers();
    }

    @Test
    void hostileLevelsKeysAndHeadersAreDeadLetteredAndGoNowhereElse() throws Exception {
        String root = SharedBrokers.unique("hostile");
        String out = SharedBrokers.unique("hostile-out");
        String whole = SharedBrokers.unique("hostile-whole");
        String in = SharedBrokers.unique("hostile-in");
        String inByKey = SharedBrokers.unique("hostile-in-by-key");
        String deadLetters = SharedBrokers.unique("hostile-dlq");
        for (String topic : List.of(in, inByKey, deadLetters)) {
            KafkaTestProducer.createTopic(bootstrap(), topic, 1);
        }
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.dead-letter-topic", deadLetters)
                .mapping("readings", root + "/{site}/data", 1, out + ".{site}", "{site}")
                .mapping("whole", root + "/whole/{name}", 1, "{name}", null)
                .mapping("tree", root + "/tree/#", 1, out + ".tree.{1}", null)
                .reverseMapping("commands", in, root + "/cmd/{key}/{header:kind}", 1, false, null)
                .reverseMapping("by-key", inByKey, "{key}/cmd", 1, false, null)
                // Here a key spans levels by choice; in 'commands' (the default) a '/' in a value is refused.
                .set("bridge.kafka-to-mqtt[1].multi-level-values", "true");
        String bridgeId = configs.build().id();

        // MQTT → Kafka: the payload names the case; the value is the dead-letter reason it must get.
        Map<String, String> hostileLevels = new LinkedHashMap<>();
        hostileLevels.put(root + "/$SYS/data", "contains illegal character '$'");
        hostileLevels.put(root + "/a b/data", "contains illegal character U+0020");
        hostileLevels.put(root + "/\u00e9/data", "contains illegal character U+00E9");
        hostileLevels.put(root + "/" + "x".repeat(250) + "/data", "is " + (out.length() + 251) + " characters long");
        hostileLevels.put(root + "/whole/..", "must not be '.' or '..'");
        hostileLevels.put(root + "/whole/.", "must not be '.' or '..'");
        hostileLevels.put(root + "/tree/a/b", "contains illegal character '/'");
        Map<String, String> goodLevels = Map.of(
                root + "/plant-1/data", out + ".plant-1",
                root + "/whole/" + whole, whole,
                root + "/tree/leaf", out + ".tree.leaf");

        // Kafka → MQTT: key, header "kind" (null: none), and the reason's text; or, for good ones, the MQTT topic.
        List<HostileRecord> hostileRecords = List.of(
                new HostileRecord(in, utf8("+"), utf8("open"), "contains wildcard '+'"),
                new HostileRecord(in, utf8("a/#"), utf8("open"), "contains wildcard '#'"),
                new HostileRecord(in, utf8("valve-1"), utf8("#"), "contains wildcard '#'"),
                new HostileRecord(in, utf8("a\u0000b"), utf8("open"), "contains U+0000"),
                // Disallowed by MQTT 5 § 1.5.4; the broker would close the bridge's connection over it.
                new HostileRecord(in, utf8("bell\u0007"), utf8("open"), "contains U+0007"),
                new HostileRecord(in, utf8("valve-1"), utf8("\uFFFF"), "contains U+FFFF"),
                new HostileRecord(in, utf8("a//b"), utf8("open"), "has an empty level"),
                new HostileRecord(in, utf8("site-1/valve-2"), utf8("close"), "{key} contains '/', which would add "
                        + "levels to MQTT topic template"),
                new HostileRecord(in, utf8("valve-1"), utf8("open/../x"), "{header:kind} contains '/'"),
                new HostileRecord(in, utf8(""), utf8("open"), "has an empty level ({key} is empty)"),
                new HostileRecord(in, new byte[] {(byte) 0xC0, (byte) 0xAF}, utf8("open"),
                        "the record key is not valid UTF-8"),
                new HostileRecord(in, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, utf8("open"),
                        "the record key is not valid UTF-8"),
                new HostileRecord(in, utf8("valve-1"), new byte[] {(byte) 0xFF}, "header 'kind' is not valid UTF-8"),
                new HostileRecord(in, utf8("valve-1"), null, "the record has no header 'kind'"),
                new HostileRecord(in, null, utf8("open"), "the record has no key"),
                new HostileRecord(in, utf8("x".repeat(65_535)), utf8("open"), "bytes long in UTF-8; the maximum is 65535"),
                new HostileRecord(inByKey, utf8("$SYS/broker"), null, "starts with '$'"));
        Map<String, GoodRecord> goodRecords = new LinkedHashMap<>();
        // Its header "note" has a newline, which MQTT cannot carry: left out of the user properties, the rest goes.
        goodRecords.put("good-valve", new GoodRecord(in, "valve-1", "open", "line 1\nline 2", root + "/cmd/valve-1/open"));
        // '..' is just a level name in MQTT; it lands where the template puts it.
        goodRecords.put("good-dots", new GoodRecord(in, "..", "open", null, root + "/cmd/../open"));
        // With multi-level-values a key with '/' spans levels (the README's templates section), without empty levels.
        goodRecords.put("good-by-key", new GoodRecord(inByKey, root + "/valve-3", null, null, root + "/valve-3/cmd"));

        Set<String> topicsBefore = kafkaTopics();
        try (MqttTestSubscriber everything = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1, "#");
                BridgeRuntime bridge = start(configs.build());
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5);
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap())) {
            for (String topic : hostileLevels.keySet()) {
                publisher.publish(topic, utf8("hostile " + topic), 1).get(30, TimeUnit.SECONDS);
            }
            for (String topic : goodLevels.keySet()) {
                publisher.publish(topic, utf8("good " + topic), 1).get(30, TimeUnit.SECONDS);
            }
            for (int i = 0; i < hostileRecords.size(); i++) {
                HostileRecord record = hostileRecords.get(i);
                producer.send(record.topic(), record.key(), utf8("hostile-" + i), record.headers())
                        .get(30, TimeUnit.SECONDS);
            }
            for (Map.Entry<String, GoodRecord> good : goodRecords.entrySet()) {
                GoodRecord record = good.getValue();
                producer.send(record.topic(), record.key(), utf8(good.getKey()), record.headers())
                        .get(30, TimeUnit.SECONDS);
            }

            // Good neighbours pass, each to the one topic its mapping names.
            for (Map.Entry<String, String> good : goodLevels.entrySet()) {
                assertThat(KafkaTestConsumer.readAtLeast(bootstrap(), good.getValue(), 1, TIMEOUT))
                        .extracting(r -> text(r.value())).containsExactly("good " + good.getKey());
            }
            Awaitility.await("good records published").atMost(TIMEOUT).until(() -> fromBridge(everything, bridgeId)
                    .size() >= goodRecords.size());

            // Every hostile one is dead-lettered once, with its reason, and named by the topic it would have had.
            int hostile = hostileLevels.size() + hostileRecords.size();
            List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestConsumer.readAtLeast(bootstrap(), deadLetters, hostile,
                    TIMEOUT);
            assertThat(dead).hasSize(hostile);
            for (Map.Entry<String, String> level : hostileLevels.entrySet()) {
                ConsumerRecord<byte[], byte[]> letter = dead.stream()
                        .filter(r -> text(r.value()).equals("hostile " + level.getKey())).findFirst()
                        .orElseThrow(() -> new AssertionError("no dead letter for " + level.getKey()));
                assertThat(header(letter, BridgeHeaders.DLQ_REASON)).as(level.getKey())
                        .startsWith("invalid-topic: rendered Kafka topic '").contains(level.getValue());
                assertThat(header(letter, BridgeHeaders.MQTT_TOPIC)).isEqualTo(level.getKey());
            }
            for (int i = 0; i < hostileRecords.size(); i++) {
                String payload = "hostile-" + i;
                ConsumerRecord<byte[], byte[]> letter = dead.stream().filter(r -> text(r.value()).equals(payload))
                        .findFirst().orElseThrow(() -> new AssertionError("no dead letter for " + payload));
                HostileRecord record = hostileRecords.get(i);
                assertThat(header(letter, BridgeHeaders.DLQ_REASON)).as("%s: key %s", payload, record.key() == null
                        ? null : text(record.key())).startsWith("invalid-mqtt-topic: ").contains(record.reason());
                assertThat(letter.key()).isEqualTo(record.key());
                assertThat(header(letter, BridgeHeaders.DLQ_SOURCE_TOPIC)).isEqualTo(record.topic());
            }

            // Nothing else anywhere: the bridge published only the good records, each exactly where expected; every
            // other MQTT message is one the test published itself (retained ones are earlier tests' state).
            Awaitility.await("no more dead letters or publishes").during(Duration.ofSeconds(2)).atMost(TIMEOUT)
                    .until(() -> fromBridge(everything, bridgeId).size() == goodRecords.size());
            Map<String, String> published = new LinkedHashMap<>();
            for (MqttTestSubscriber.Received received : fromBridge(everything, bridgeId)) {
                published.put(received.text(), received.topic());
            }
            Map<String, String> expectedPublished = new LinkedHashMap<>();
            goodRecords.forEach((payload, record) -> expectedPublished.put(payload, record.mqttTopic()));
            assertThat(published).isEqualTo(expectedPublished);
            assertThat(fromBridge(everything, bridgeId)).allSatisfy(received ->
                    assertThat(received.userProperties()).doesNotContainKey("note"));
            assertThat(bridge.metrics().headersSkippedCount()).as("the header with a newline").isEqualTo(1);
            Set<String> ownPublishes = new HashSet<>(hostileLevels.keySet());
            ownPublishes.addAll(goodLevels.keySet());
            // The bridges' status messages (issue 20) are on their own topics and beside the point here.
            assertThat(everything.received()).filteredOn(r -> !r.retain())
                    .filteredOn(r -> !r.topic().startsWith("mqtt-kafka-bridge/"))
                    .filteredOn(r -> !bridgeId.equals(r.userProperties().get(BridgeHeaders.ORIGIN)))
                    .extracting(MqttTestSubscriber.Received::topic).containsExactlyInAnyOrderElementsOf(ownPublishes);

            Set<String> created = kafkaTopics();
            created.removeAll(topicsBefore);
            assertThat(created).as("Kafka topics the run created").containsExactlyInAnyOrderElementsOf(goodLevels.values());
            assertThat(bridge.metrics().deadLetteredCount("invalid-topic")).isEqualTo(hostileLevels.size());
            assertThat(bridge.metrics().deadLetteredCount("invalid-mqtt-topic")).isEqualTo(hostileRecords.size());
            assertThat(bridge.isAlive()).isTrue();
        }
    }

    private record HostileRecord(String topic, byte[] key, byte[] kind, String reason) {

        org.apache.kafka.common.header.Header[] headers() {
            return kind == null ? new org.apache.kafka.common.header.Header[0]
                    : new org.apache.kafka.common.header.Header[] {new RecordHeader("kind", kind)};
        }
    }

    private record GoodRecord(String topic, String key, String kind, String note, String mqttTopic) {

        org.apache.kafka.common.header.Header[] headers() {
            List<org.apache.kafka.common.header.Header> headers = new ArrayList<>();
            if (kind != null) {
                headers.add(KafkaTestProducer.header("kind", kind));
            }
            if (note != null) {
                headers.add(KafkaTestProducer.header("note", note));
            }
            return headers.toArray(org.apache.kafka.common.header.Header[]::new);
        }
    }

    private static List<MqttTestSubscriber.Received> fromBridge(MqttTestSubscriber subscriber, String bridgeId) {
        List<MqttTestSubscriber.Received> out = new ArrayList<>();
        for (MqttTestSubscriber.Received received : subscriber.received()) {
            if (bridgeId.equals(received.userProperties().get(BridgeHeaders.ORIGIN))) {
                out.add(received);
            }
        }
        return out;
    }

    private static Set<String> kafkaTopics() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()))) {
            return new HashSet<>(admin.listTopics().names().get(30, TimeUnit.SECONDS));
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }
}
