package io.mqttkafka.bridge.failure;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.jboss.logging.Logger;

import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.metrics.BridgeMetrics;

/**
 * Writes dead-letter records for both directions. A dead-letter write must not fail for good: the message
 * it stands for is acknowledged (MQTT) or committed (Kafka) only once it is written. So transient failures
 * are retried with backoff until it is written or the bridge stops, and when Kafka refuses the payload
 * itself (too large) the record is written without it, keeping the evidence.
 *
 * <p>Sends run on the writer's own thread: a send can block on metadata, and callers are producer callback
 * or MQTT client threads that must not block.
 */
public final class DeadLetterWriter implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DeadLetterWriter.class);

    private final Producer<byte[], byte[]> producer;
    private final BridgeMetrics metrics;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> daemon(r, "dead-letter-sender"));
    private final ScheduledExecutorService retryTimer = Executors.newSingleThreadScheduledExecutor(
            r -> daemon(r, "dead-letter-retry"));
    private volatile boolean closed;

    public DeadLetterWriter(Producer<byte[], byte[]> producer, BridgeMetrics metrics) {
        this.producer = producer;
        this.metrics = metrics;
    }

    /**
     * Writes {@code record}; the future completes once Kafka acknowledged it (counted under
     * {@code reasonCode}). It never completes exceptionally; it stays incomplete when the bridge stops first.
     */
    public CompletableFuture<Void> write(ProducerRecord<byte[], byte[]> record, String reasonCode) {
        CompletableFuture<Void> written = new CompletableFuture<>();
        submit(() -> send(record, reasonCode, written, 0));
        return written;
    }

    private void send(ProducerRecord<byte[], byte[]> record, String reasonCode, CompletableFuture<Void> written,
            int attempt) {
        try {
            producer.send(record, (metadata, failure) -> {
                if (failure == null) {
                    metrics.deadLettered(reasonCode);
                    written.complete(null);
                } else if (FailureKind.classify(failure) == FailureKind.POISON && record.value() != null) {
                    submit(() -> send(withoutPayload(record), reasonCode, written, 0));
                } else {
                    retry(record, reasonCode, written, attempt, failure);
                }
            });
        } catch (RuntimeException failure) {
            retry(record, reasonCode, written, attempt, failure);
        }
    }

    private void retry(ProducerRecord<byte[], byte[]> record, String reasonCode, CompletableFuture<Void> written,
            int attempt, Throwable failure) {
        if (closed) {
            return;
        }
        long delay = Backoff.delayMillis(attempt);
        if (Backoff.worthLogging(attempt)) {
            LOG.warnf("Write to dead-letter topic %s failed (%s: %s); retrying in %d ms, the message stays "
                    + "unacknowledged", record.topic(), failure.getClass().getSimpleName(), failure.getMessage(), delay);
        }
        try {
            retryTimer.schedule(() -> submit(() -> send(record, reasonCode, written, attempt + 1)), delay,
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopped) {
            // closing: the message stays unacknowledged and comes back after restart
        }
    }

    private void submit(Runnable task) {
        try {
            sender.execute(task);
        } catch (RejectedExecutionException stopped) {
            // closing
        }
    }

    private static ProducerRecord<byte[], byte[]> withoutPayload(ProducerRecord<byte[], byte[]> record) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add(BridgeHeaders.DLQ_PAYLOAD_OMITTED_SIZE,
                Integer.toString(record.value().length).getBytes(StandardCharsets.UTF_8));
        return new ProducerRecord<>(record.topic(), null, record.timestamp(), record.key(), null, headers);
    }

    @Override
    public void close() {
        closed = true;
        retryTimer.shutdownNow();
        sender.shutdownNow();
    }

    private static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }
}
