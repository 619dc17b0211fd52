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
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.jboss.logging.Logger;

import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.kafka.TopicPresence;
import io.mqttkafka.bridge.metrics.BridgeMetrics;

/**
 * Writes dead-letter records for both directions. The message a dead letter stands for is acknowledged (MQTT) or
 * committed (Kafka) only once the dead letter is written, so how a failed write ends decides whether a direction
 * keeps moving:
 * <ul>
 * <li>Kafka refuses the payload itself (too large): the record is written again without it, keeping the evidence.</li>
 * <li>Kafka cannot be reached: an outage, retried with backoff for as long as it lasts (readiness says so).</li>
 * <li>The cluster answers and still refuses (the topic is gone, the principal may not write, the partition takes
 * no writes): retrying changes nothing. After {@link #ATTEMPTS_WHILE_ANSWERED} attempts (at once when the cluster
 * says the topic does not exist) the future fails with {@link UnwritableException}; the caller then stops its
 * direction, leaving the message unacknowledged, so that health reports it instead of the direction stalling in
 * silence behind a message that can never be acknowledged.</li>
 * </ul>
 *
 * <p>Sends run on the writer's own thread: a send can block on metadata, and callers are producer callback
 * or MQTT client threads that must not block.
 */
public final class DeadLetterWriter implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DeadLetterWriter.class);
    /** Failed attempts, while the cluster answers, after which a dead letter is declared unwritable. */
    static final int ATTEMPTS_WHILE_ANSWERED = 3;

    private final Producer<byte[], byte[]> producer;
    private final TopicPresence topicPresence;
    private final BridgeMetrics metrics;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> daemon(r, "dead-letter-sender"));
    private final ScheduledExecutorService retryTimer = Executors.newSingleThreadScheduledExecutor(
            r -> daemon(r, "dead-letter-retry"));
    private volatile boolean closed;

    public DeadLetterWriter(Producer<byte[], byte[]> producer, TopicPresence topicPresence, BridgeMetrics metrics) {
        this.producer = producer;
        this.topicPresence = topicPresence;
        this.metrics = metrics;
    }

    /**
     * Writes {@code record}; the future completes once Kafka acknowledged it (counted under {@code reasonCode}),
     * fails with {@link UnwritableException} when the cluster keeps refusing it, and stays incomplete when the
     * bridge stops first.
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
                } else {
                    onFailure(record, reasonCode, written, attempt, failure);
                }
            });
        } catch (RuntimeException failure) {
            onFailure(record, reasonCode, written, attempt, failure);
        }
    }

    private void onFailure(ProducerRecord<byte[], byte[]> record, String reasonCode, CompletableFuture<Void> written,
            int attempt, Throwable failure) {
        if ((failure instanceof RecordTooLargeException || failure instanceof RecordBatchTooLargeException)
                && record.value() != null) {
            submit(() -> send(withoutPayload(record), reasonCode, written, 0));
            return;
        }
        switch (FailureKind.classify(failure)) {
            case POSSIBLY_MISSING_TOPIC -> topicPresence.checkMissing(record.topic()).thenAccept(missing -> {
                if (missing) {
                    giveUp(record, written, "it does not exist and is not auto-created", failure);
                } else {
                    retryOrGiveUp(record, reasonCode, written, attempt, failure);
                }
            });
            case POISON -> retryOrGiveUp(record, reasonCode, written, attempt, failure);
            case TRANSIENT -> {
                if (topicPresence.isClusterReachable()) {
                    retryOrGiveUp(record, reasonCode, written, attempt, failure);
                } else {
                    retry(record, reasonCode, written, attempt, failure);
                }
            }
        }
    }

    private void retryOrGiveUp(ProducerRecord<byte[], byte[]> record, String reasonCode, CompletableFuture<Void> written,
            int attempt, Throwable failure) {
        if (attempt + 1 >= ATTEMPTS_WHILE_ANSWERED) {
            giveUp(record, written, "Kafka refused it " + (attempt + 1) + " times while the cluster answered", failure);
        } else {
            retry(record, reasonCode, written, attempt, failure);
        }
    }

    private void giveUp(ProducerRecord<byte[], byte[]> record, CompletableFuture<Void> written, String why,
            Throwable failure) {
        written.completeExceptionally(new UnwritableException("the dead letter cannot be written to topic '"
                + record.topic() + "' (bridge.dead-letter-topic): " + why + "; last error "
                + failure.getClass().getSimpleName() + ": " + failure.getMessage(), failure));
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

    /** A dead letter the cluster keeps refusing: the message it stands for can be neither written nor let go. */
    public static final class UnwritableException extends RuntimeException {
        UnwritableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
