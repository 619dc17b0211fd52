package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.DeadLetterAssertions.assertDeadLetterHeaders;
import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * The dead-letter reason {@code invalid-timestamp}, caused for real. The bridge stamps a record with the time it received
 * the message (README, "Kafka record"); no MQTT property sets it. A topic with {@code message.timestamp.type=CreateTime}
 * and {@code message.timestamp.before.max.ms=0} refuses any record stamped before the broker's clock, and a record
 * always reaches the broker some milliseconds after the bridge received its message (at least the producer's
 * {@code linger.ms}, 5 by default), so Kafka refuses every record to that topic with {@code INVALID_TIMESTAMP}.
 */
class InvalidTimestampDeadLetterTest {

    /** Generous for a few messages on local brokers (they take well under a second here). */
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long AFTER_MAX_MS = 60_000;
    /** Kafka's message for a refused timestamp: the record's, then the range [broker now - before, broker now + after]. */
    private static final Pattern KAFKA_MESSAGE = Pattern.compile(
            "Timestamp (\\d+) of message with offset 0 is out of range\\. The timestamp should be within \\[(\\d+), (\\d+)\\]");

    @Test
    void aRecordTheTopicRefusesForItsTimestampIsDeadLetteredWithTheReasonAndNeighboursGoThrough() throws Exception {
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        String root = SharedBrokers.unique("timestamps");
        String prefix = SharedBrokers.unique("ts");
        String deadLetterTopic = SharedBrokers.unique("ts-dlq");
        String strict = prefix + "-strict";
        KafkaTestProducer.createTopic(bootstrap, prefix + "-good", 1);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(strict, 1, (short) 1).configs(Map.of(
                    TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "CreateTime",
                    TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG, "0",
                    TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG, Long.toString(AFTER_MAX_MS))))).all().get(30, TimeUnit.SECONDS);
        }
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.dead-letter-topic", deadLetterTopic)
                .mapping("by-kind", root + "/{kind}/data", 1, prefix + "-{kind}", "{kind}");
        String bridgeId = configs.build().id();

        try (BridgeRuntime bridge = start(configs.build());
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            Instant since = Instant.now();
            publisher.publish(root + "/good/data", bytes("before"), 1).get(30, TimeUnit.SECONDS);
            publisher.publish5(root + "/strict/data", bytes("too old"), 1, p -> p.userProperties()
                    .add("site", "plant-1").applyUserProperties()).get(30, TimeUnit.SECONDS);
            publisher.publish(root + "/good/data", bytes("after"), 1).get(30, TimeUnit.SECONDS);

            assertThat(KafkaTestConsumer.readAtLeast(bootstrap, prefix + "-good", 2, TIMEOUT))
                    .extracting(r -> text(r.value())).containsExactly("before", "after");
            ConsumerRecord<byte[], byte[]> deadLetter = KafkaTestConsumer.readAtLeast(bootstrap, deadLetterTopic, 1, TIMEOUT)
                    .stream().reduce((a, b) -> {
                        throw new AssertionError("more than one dead letter");
                    }).orElseThrow();
            assertThat(text(deadLetter.key())).isEqualTo("strict");
            assertThat(text(deadLetter.value())).isEqualTo("too old");
            String reason = assertDeadLetterHeaders(deadLetter, List.of(
                    Map.entry(BridgeHeaders.MQTT_TOPIC, root + "/strict/data"),
                    Map.entry(BridgeHeaders.MQTT_QOS, "1"),
                    Map.entry(BridgeHeaders.MQTT_RETAIN, "false"),
                    Map.entry(BridgeHeaders.ORIGIN, bridgeId),
                    Map.entry("site", "plant-1")), InvalidTimestampException.class, "by-kind", strict, since);
            assertThat(reason).startsWith("invalid-timestamp: ");
            Matcher kafkaMessage = KAFKA_MESSAGE.matcher(reason.substring("invalid-timestamp: ".length()));
            assertThat(kafkaMessage.matches()).as("Kafka's own message in %s", reason).isTrue();
            long stamped = Long.parseLong(kafkaMessage.group(1));
            long brokerNow = Long.parseLong(kafkaMessage.group(2));
            assertThat(deadLetter.timestamp()).as("the dead letter keeps the record's timestamp").isEqualTo(stamped);
            assertThat(stamped).isLessThan(brokerNow);
            assertThat(Long.parseLong(kafkaMessage.group(3)) - brokerNow).as("the topic's after.max.ms").isEqualTo(AFTER_MAX_MS);

            Awaitility.await("all acknowledged").atMost(TIMEOUT).until(() -> bridge.mqttToKafkaInFlight() == 0);
            assertThat(bridge.metrics().deadLetteredCount("invalid-timestamp")).isEqualTo(1);
            assertThat(bridge.metrics().writtenCount("by-kind")).isEqualTo(2);
            assertThat(bridge.isAlive()).isTrue();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }
}
