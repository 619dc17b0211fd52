package io.mqttkafka.bridge.failure;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import io.mqttkafka.bridge.kafka.BridgeHeaders;

/**
 * Builds dead-letter records. A dead-letter record keeps the original key, payload and headers (so it
 * can be replayed) and adds why, for which mapping, for which target topic and when.
 */
public final class DeadLetterRecords {

    private final String deadLetterTopic;

    public DeadLetterRecords(String deadLetterTopic) {
        this.deadLetterTopic = deadLetterTopic;
    }

    public String topic() {
        return deadLetterTopic;
    }

    /**
     * @param reasonCode  short stable word (also the metric tag), e.g. {@code record-too-large}
     * @param reason      human-readable explanation
     * @param failure     the exception behind it, or null
     * @param withPayload false when the payload itself cannot be written (too large): the record then
     *                    carries the metadata and the payload size only
     */
    public ProducerRecord<byte[], byte[]> create(byte[] key, byte[] payload, Header[] originalHeaders, long timestamp,
            String mapping, String targetTopic, String reasonCode, String reason, Throwable failure, boolean withPayload) {
        List<Header> headers = new ArrayList<>(originalHeaders.length + 6);
        headers.addAll(Arrays.asList(originalHeaders));
        headers.add(header(BridgeHeaders.DLQ_REASON, reasonCode + ": " + reason));
        if (failure != null) {
            headers.add(header(BridgeHeaders.DLQ_EXCEPTION, failure.getClass().getName()));
        }
        headers.add(header(BridgeHeaders.DLQ_MAPPING, mapping));
        headers.add(header(BridgeHeaders.DLQ_TARGET_TOPIC, targetTopic));
        headers.add(header(BridgeHeaders.DLQ_TIME, Instant.now().toString()));
        if (!withPayload) {
            headers.add(header(BridgeHeaders.DLQ_PAYLOAD_OMITTED_SIZE, Integer.toString(payload == null ? 0 : payload.length)));
        }
        return new ProducerRecord<>(deadLetterTopic, null, timestamp, key, withPayload ? payload : null, headers);
    }

    private static Header header(String name, String value) {
        return new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
