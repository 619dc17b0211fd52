package io.mqttkafka.bridge.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import io.mqttkafka.bridge.kafka.BridgeHeaders;

/** Checks a dead-letter record's headers as the README's "Dead letters" section promises them. */
public final class DeadLetterAssertions {

    private DeadLetterAssertions() {
    }

    /**
     * Asserts the headers exactly and in order: the message's own ({@code original}), then {@code dlq.reason},
     * {@code dlq.exception} (the class name of {@code exception}), {@code dlq.mapping}, {@code dlq.target-topic} and
     * {@code dlq.time} (an ISO-8601 instant from {@code since} to now). Returns {@code dlq.reason}, whose text is the
     * failure's own, for the caller to check.
     */
    public static String assertDeadLetterHeaders(ConsumerRecord<byte[], byte[]> deadLetter,
            List<Map.Entry<String, String>> original, Class<? extends Throwable> exception, String mapping,
            String targetTopic, Instant since) {
        List<Map.Entry<String, String>> headers = KafkaTestConsumer.headers(deadLetter);
        assertThat(headers).as("headers of the dead letter").hasSize(original.size() + 5);
        String reason = headers.get(original.size()).getValue();
        Instant time = Instant.parse(headers.get(headers.size() - 1).getValue());
        List<Map.Entry<String, String>> expected = new ArrayList<>(original);
        expected.add(Map.entry(BridgeHeaders.DLQ_REASON, reason));
        expected.add(Map.entry(BridgeHeaders.DLQ_EXCEPTION, exception.getName()));
        expected.add(Map.entry(BridgeHeaders.DLQ_MAPPING, mapping));
        expected.add(Map.entry(BridgeHeaders.DLQ_TARGET_TOPIC, targetTopic));
        expected.add(Map.entry(BridgeHeaders.DLQ_TIME, time.toString()));
        assertThat(headers).as("headers of the dead letter").containsExactlyElementsOf(expected);
        assertThat(time).as(BridgeHeaders.DLQ_TIME).isBetween(since, Instant.now());
        return reason;
    }
}
