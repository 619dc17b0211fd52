package io.mqttkafka.bridge;

import static io.mqttkafka.bridge.testing.KafkaTestConsumer.header;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.dev.EmbeddedKafkaBroker;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * README, "Dead letters": a missing topic is remembered for 30 s. Meanwhile a message to it is dead-lettered at once,
 * without another metadata wait, even if the topic was created in the meantime; once the memory has expired, a topic
 * created meanwhile is written to. The bridge's production memory (30 s) is checked through its clock seam: the test
 * moves the clock forward instead of waiting.
 */
class MissingTopicMemoryTest {

    /** README: "a missing topic is remembered for 30 s". */
    private static final Duration MEMORY = Duration.ofSeconds(30);
    /** The metadata wait of the first message to a missing topic; "at once" is measured against it. */
    private static final Duration MAX_BLOCK = Duration.ofSeconds(3);
    /** Generous for a few messages on local brokers (they take well under a second here, apart from MAX_BLOCK). */
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private final EmbeddedKafkaBroker kafka = SharedBrokers.kafkaWithoutAutoCreation();

    @Test
    void aMissingTopicIsDeadLetteredAtOnceForThirtySecondsThenWrittenToOnceCreated() throws Exception {
        String root = SharedBrokers.unique("memory");
        String prefix = SharedBrokers.unique("memory");
        String late = prefix + "-late";
        String deadLetterTopic = SharedBrokers.unique("memory-dlq");
        KafkaTestProducer.createTopic(kafka.bootstrapServers(), deadLetterTopic, 1);
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.kafka.bootstrap-servers", kafka.bootstrapServers())
                .set("bridge.dead-letter-topic", deadLetterTopic)
                .set("bridge.kafka.properties.max.block.ms", Long.toString(MAX_BLOCK.toMillis()))
                .mapping("by-kind", root + "/{kind}/data", 1, prefix + "-{kind}", "{kind}").build();
        AtomicLong ahead = new AtomicLong();

        try (BridgeRuntime bridge = new BridgeRuntime(config, new SimpleMeterRegistry(),
                () -> System.nanoTime() + ahead.get());
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            bridge.start();
            Awaitility.await("bridge connected and subscribed").atMost(TIMEOUT).until(bridge::isReady);

            publisher.publish(root + "/late/data", bytes("first"), 1).get(30, TimeUnit.SECONDS);
            assertThat(deadLetters(deadLetterTopic, 1)).containsExactly("first");
            // The bridge remembered the topic as missing before it wrote this dead letter, so no later than now.
            long rememberedBy = System.nanoTime();
            KafkaTestProducer.createTopic(kafka.bootstrapServers(), late, 1);

            long sentAt = System.nanoTime();
            publisher.publish(root + "/late/data", bytes("while remembered"), 1).get(30, TimeUnit.SECONDS);
            Awaitility.await("second dead letter written").atMost(TIMEOUT).pollInterval(Duration.ofMillis(10))
                    .until(() -> bridge.metrics().deadLetteredCount("topic-missing") == 2);
            assertThat(Duration.ofNanos(System.nanoTime() - sentAt)).as("dead-lettered without a metadata wait")
                    .isLessThan(MAX_BLOCK);
            assertThat(deadLetters(deadLetterTopic, 2)).containsExactly("first", "while remembered");

            // 28 s after it was remembered (at most 2 s more: the time from remembering to the first dead letter being
            // read, plus this message's way): still remembered, although the topic exists now.
            ahead.set(rememberedBy + MEMORY.minusSeconds(2).toNanos() - System.nanoTime());
            publisher.publish(root + "/late/data", bytes("28 s later"), 1).get(30, TimeUnit.SECONDS);
            assertThat(deadLetters(deadLetterTopic, 3)).containsExactly("first", "while remembered", "28 s later");

            // Over 30 s after it was remembered: forgotten, and the topic created meanwhile is written to.
            ahead.set(rememberedBy + MEMORY.plusMillis(100).toNanos() - System.nanoTime());
            publisher.publish(root + "/late/data", bytes("30.1 s later"), 1).get(30, TimeUnit.SECONDS);
            assertThat(KafkaTestConsumer.readAtLeast(kafka.bootstrapServers(), late, 1, TIMEOUT))
                    .extracting(r -> text(r.value())).containsExactly("30.1 s later");

            Awaitility.await("all acknowledged").atMost(TIMEOUT).until(() -> bridge.mqttToKafkaInFlight() == 0);
            assertThat(bridge.metrics().deadLetteredCount("topic-missing")).isEqualTo(3);
            assertThat(bridge.metrics().writtenCount("by-kind")).isEqualTo(1);
            assertThat(KafkaTestConsumer.readAtLeast(kafka.bootstrapServers(), deadLetterTopic, 3, TIMEOUT))
                    .hasSize(3)
                    .allSatisfy(r -> assertThat(header(r, BridgeHeaders.DLQ_REASON))
                            .isEqualTo("topic-missing: Kafka topic '" + late + "' does not exist and is not auto-created"));
        }
    }

    /** Reads the dead-letter topic until it holds {@code count} records; their payloads, in order. */
    private List<String> deadLetters(String topic, int count) {
        return KafkaTestConsumer.readAtLeast(kafka.bootstrapServers(), topic, count, TIMEOUT).stream()
                .map(ConsumerRecord::value).map(MissingTopicMemoryTest::text).toList();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }
}
