package io.mqttkafka.bridge.pipeline;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Header;
import org.jboss.logging.Logger;

import io.mqttkafka.bridge.config.BridgeConfig.Kafka.Qos0Overload;
import io.mqttkafka.bridge.failure.Backoff;
import io.mqttkafka.bridge.failure.DeadLetterRecords;
import io.mqttkafka.bridge.failure.DeadLetterWriter;
import io.mqttkafka.bridge.failure.FailureKind;
import io.mqttkafka.bridge.failure.FailureStrategy;
import io.mqttkafka.bridge.kafka.KafkaProducers;
import io.mqttkafka.bridge.kafka.MqttHeaderCodec;
import io.mqttkafka.bridge.kafka.ProducerProfile;
import io.mqttkafka.bridge.kafka.TopicMetadataGate;
import io.mqttkafka.bridge.kafka.TopicPresence;
import io.mqttkafka.bridge.mapping.RouteTable;
import io.mqttkafka.bridge.mapping.RouteTarget;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.mqtt.InboundMessage;

/**
 * MQTT → Kafka: routes each incoming message, writes one record per matching mapping, and acknowledges
 * the message to MQTT as its {@link DeliveryPolicy} says.
 *
 * <p>Threads: {@link #accept} runs on the MQTT client's thread and only decides and hands over; all
 * {@code producer.send()} calls happen on one sender thread, because a send can block (a full buffer) and
 * the MQTT client's threads must never block. One sender thread also keeps records in arrival order, which
 * is what keeps per-topic order in Kafka. The one wait that depends on the message, for the metadata of a
 * topic the producer does not know yet (up to {@code max.block.ms} if it does not exist), happens off the
 * sender thread, so a message to a missing topic holds back no other topic. Acknowledgements happen on the
 * Kafka producer's callback thread; the MQTT client sends them in arrival order.
 *
 * <p>Memory stays bounded without a bounded queue: QoS 1/2 messages in flight are limited by the MQTT
 * receive maximum (the subscriber stops reading while it holds that many), and QoS 0 messages by
 * {@code qos0MaxInFlight}, beyond which they are dropped and counted, or with {@code qos0-overload: push-back} the
 * subscriber stops reading.
 */
public final class MqttToKafkaPipeline implements Consumer<InboundMessage> {

    private static final Logger LOG = Logger.getLogger(MqttToKafkaPipeline.class);
    private static final Comparator<Write> ARRIVAL_ORDER = Comparator.comparingLong(write -> write.sequence);
    /** Dead letters: one INFO line per mapping and reason every 10 s at most (the count is in the metrics). */
    private final LogThrottle deadLetterLines = new LogThrottle(TimeUnit.SECONDS.toNanos(10));

    private final RouteTable routes;
    private final String bridgeId;
    private final KafkaProducers producers;
    private final TopicPresence topicPresence;
    private final DeadLetterRecords deadLetters;
    private final DeadLetterWriter deadLetterWriter;
    private final Function<String, FailureStrategy> failureStrategies;
    private final MqttHeaderCodec headerCodec;
    private final BridgeMetrics metrics;
    /** {@code bridge.metrics.latency.enabled}: read the clock at receipt and record the latency at Kafka's ack. */
    private final boolean latencyEnabled;
    private final int qos0MaxInFlight;
    /**
     * {@code bridge.kafka.qos0-overload: push-back}: QoS 0 messages are acknowledged when done, not on receipt, which
     * frees their place in the subscriber's window (the connection stops reading at {@code qos0MaxInFlight}); none is
     * dropped for overload.
     */
    private final boolean qos0PushBack;
    /** Writes the records of exactly-once mappings in transactions; null when no mapping is exactly-once. */
    private final ExactlyOnceWriter exactlyOnce;

    private final ExecutorService sender = Executors.newSingleThreadExecutor(
            runnable -> daemon(runnable, "mqtt-to-kafka-sender"));
    private final ScheduledExecutorService retryTimer = Executors.newSingleThreadScheduledExecutor(
            runnable -> daemon(runnable, "mqtt-to-kafka-retry"));
    private final TopicMetadataGate metadataGate;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Topics with QoS 1/2 writes waiting to be retried; see {@link #retryInOrder}. */
    private final Map<LaneKey, PublishLane<Write>> retrying = new ConcurrentHashMap<>();
    /** Sender thread only. */
    private long nextWriteSequence;
    /** Sender thread only: the messages dispatched and not yet done, in arrival order (done ones until swept). */
    private final ArrayDeque<PendingMessage> arrivals = new ArrayDeque<>();
    /** When the oldest message not yet done was received (epoch ms), or -1; for health. */
    private volatile long oldestPendingReceivedAt = -1;
    private final AtomicInteger qos0InFlight = new AtomicInteger();
    private final Object drained = new Object();
    private volatile boolean accepting = true;
    private volatile boolean failed;
    private volatile String stopReason;

    public MqttToKafkaPipeline(RouteTable routes, String bridgeId, KafkaProducers producers,
            TopicPresence topicPresence, DeadLetterRecords deadLetters, DeadLetterWriter deadLetterWriter,
            Function<String, FailureStrategy> failureStrategies, BridgeMetrics metrics, int qos0MaxInFlight,
            Qos0Overload qos0Overload, ExactlyOnceWriter exactlyOnce) {
        this.exactlyOnce = exactlyOnce;
        this.routes = routes;
        this.bridgeId = bridgeId;
        this.producers = producers;
        this.topicPresence = topicPresence;
        this.metadataGate = new TopicMetadataGate(sender, topicPresence::exists);
        this.deadLetters = deadLetters;
        this.deadLetterWriter = deadLetterWriter;
        this.failureStrategies = failureStrategies;
        this.headerCodec = new MqttHeaderCodec(bridgeId);
        this.metrics = metrics;
        this.latencyEnabled = metrics.latencyEnabled();
        this.qos0MaxInFlight = qos0MaxInFlight;
        this.qos0PushBack = qos0Overload == Qos0Overload.PUSH_BACK;
        metrics.gauge("bridge.mqtt.to.kafka.in.flight", "MQTT messages handed to Kafka and not yet acknowledged",
                inFlight::get);
        metrics.gauge("bridge.mqtt.to.kafka.oldest.pending.seconds",
                "Age of the oldest MQTT message handed to Kafka and not yet acknowledged", () -> oldestPendingMillis() / 1000.0);
        // Sweeps also while no message arrives: that is when a message that never completes shows.
        retryTimer.scheduleWithFixedDelay(() -> {
            try {
                sender.execute(this::sweepArrivals);
            } catch (RejectedExecutionException stopped) {
                // shutting down
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    /** Called by the MQTT client for every message; never blocks. */
    @Override
    public void accept(InboundMessage message) {
        if (!accepting) {
            // Shutting down: not acknowledged, so the broker redelivers it to the next session.
            return;
        }
        long receivedNanos = latencyEnabled ? System.nanoTime() : 0;
        metrics.received(message.qos());
        DeliveryPolicy policy = DeliveryPolicy.forQos(message.qos());
        if (qos0PushBack && !policy.acknowledgeAfterKafka()) {
            qos0InFlight.incrementAndGet();
        } else if (!policy.acknowledgeAfterKafka()) {
            message.acknowledge();
            if (qos0InFlight.incrementAndGet() > qos0MaxInFlight) {
                qos0InFlight.decrementAndGet();
                metrics.dropped("overload");
                return;
            }
        }
        if (LoopGuard.isOwnMessage(message, bridgeId)) {
            metrics.loopSuppressed();
            finish(message, policy);
            return;
        }
        inFlight.incrementAndGet();
        try {
            sender.execute(() -> dispatch(message, policy, receivedNanos));
        } catch (RejectedExecutionException stopped) {
            inFlight.decrementAndGet();
        }
    }

    /** @param receivedNanos {@link System#nanoTime()} at receipt, or 0 when latency is not recorded */
    private void dispatch(InboundMessage message, DeliveryPolicy policy, long receivedNanos) {
        List<RouteTarget> targets = routes.route(message.topic(), message.deliveredFor());
        if (targets.isEmpty()) {
            metrics.unrouted();
            complete(message, policy);
            return;
        }
        Header[] headers = headerCodec.encode(message);
        PendingMessage pending = new PendingMessage(message, policy, targets.size(), receivedNanos);
        arrivals.addLast(pending);
        sweepArrivals();
        List<ExactlyOnceWriter.Part> transactional = null;
        for (RouteTarget target : targets) {
            byte[] key = target.keyBytes();
            String illegal = target.invalidKafkaTopicReason().orElse(null);
            if (illegal != null) {
                deadLetter(pending, target, key, headers, "invalid-topic",
                        "rendered Kafka topic '" + target.kafkaTopic() + "' is not legal: " + illegal, null);
            } else if (topicPresence.isKnownMissing(target.kafkaTopic())) {
                deadLetterMissingTopic(pending, target, key, headers, null);
            } else if (exactlyOnce != null
                    && DeliveryPolicy.forMapping(message.qos(), target.route().exactlyOnce()).writesInTransactions()) {
                if (transactional == null) {
                    transactional = new ArrayList<>(targets.size());
                }
                transactional.add(new TransactionalWrite(pending, target, key, headers));
            } else {
                submit(new Write(pending, target, key, headers, nextWriteSequence++));
            }
        }
        if (transactional != null) {
            exactlyOnce.write(message, transactional);
        }
    }

    /**
     * Sends now, or, while writes to the same topic wait to be retried, behind them: a topic's writes reach Kafka in
     * arrival order across retries (see {@link #retryInOrder}).
     */
    private void submit(Write write) {
        PublishLane<Write> lane = retrying.isEmpty() || !write.pending.policy.retriesTransientFailures() ? null
                : retrying.get(write.laneKey());
        if (lane == null) {
            send(write);
        } else {
            lane.submit(write);
        }
    }

    /**
     * Sends on the sender thread, once the producer knows the topic (a new topic's metadata is awaited off this
     * thread, see {@link TopicMetadataGate}); failures come back on the producer's thread.
     */
    private void send(Write write) {
        Producer<byte[], byte[]> producer = producers.get(write.pending.policy.producerProfile());
        metadataGate.whenReady(producer, write.topic(), () -> sendNow(producer, write),
                failure -> onFailure(write, failure, -1));
    }

    /** Sends a write again after a failure, unless its topic was found missing meanwhile. */
    private void resend(Write write) {
        if (topicPresence.isKnownMissing(write.topic())) {
            deadLetterMissingTopic(write.pending, write.target, write.key, write.headers, null);
        } else {
            send(write);
        }
    }

    /**
     * The record is built here and not kept: once the producer has serialised it into its (bounded) buffer,
     * only the MQTT client's copy of the payload stays alive until the acknowledgement. A retry builds it again.
     */
    private void sendNow(Producer<byte[], byte[]> producer, Write write) {
        try {
            producer.send(write.toRecord(), (metadata, failure) -> {
                if (failure == null) {
                    written(write.pending, write.target);
                    if (write.failures > 0) {
                        // Only a retried write's success ends its topic's backoff.
                        PublishLane<Write> lane = retrying.get(write.laneKey());
                        if (lane != null) {
                            lane.acknowledged();
                        }
                    }
                    write.pending.partDone();
                } else {
                    onFailure(write, failure, metadata == null ? -1 : metadata.partition());
                }
            });
        } catch (RuntimeException failure) {
            onFailure(write, failure, -1);
        }
    }

    /** Kafka has the record of {@code pending} for {@code target}: counted, and its latency recorded. */
    private void written(PendingMessage pending, RouteTarget target) {
        String mapping = target.route().name();
        metrics.written(mapping);
        if (latencyEnabled) {
            metrics.mqttToKafkaLatency(mapping, pending.message.qos(), System.nanoTime() - pending.receivedNanos);
        }
    }

    /** @param partition the partition the producer chose for the record, or -1 if it never got one */
    private void onFailure(Write write, Throwable failure, int partition) {
        if (!accepting && failure instanceof IllegalStateException) {
            return; // producer closed during shutdown; the message stays unacknowledged
        }
        write.failures++;
        PendingMessage pending = write.pending;
        RouteTarget target = write.target;
        FailureKind kind = FailureKind.classify(failure);
        if (kind == FailureKind.POSSIBLY_MISSING_TOPIC) {
            metadataGate.forget(producers.get(pending.policy.producerProfile()), write.topic());
        }
        switch (kind) {
            case POISON -> deadLetter(pending, target, write.key, write.headers, FailureKind.reasonCode(failure),
                    failure.getMessage(), failure);
            case POSSIBLY_MISSING_TOPIC -> {
                if (pending.policy.retriesTransientFailures()) {
                    // In line at once, so that no later write to the topic overtakes it while the cluster is asked;
                    // the answer is remembered, and a topic found missing is dead-lettered when its turn comes.
                    topicPresence.checkMissing(write.topic());
                    retryInOrder(write, failure);
                } else {
                    topicPresence.checkMissing(write.topic()).thenAccept(missing -> {
                        if (missing) {
                            deadLetterMissingTopic(pending, target, write.key, write.headers, failure);
                        } else {
                            drop(write);
                        }
                    });
                }
            }
            // A full buffer under load (e.g. while a partition changes leader) is not the producer giving up on the
            // partition: asking the cluster then could send healthy messages to the failure strategy long before
            // the delivery timeout.
            case BACK_PRESSURE -> retryOrDrop(write, failure);
            case TRANSIENT -> {
                if (gaveUpOnPartition(pending, failure, partition)) {
                    // The producer retried for the whole delivery timeout. Only the cluster can tell whether
                    // this partition refuses writes (a property of the destination: failure strategy) or the
                    // cluster is down or overloaded (an outage: retry without bound).
                    topicPresence.unwritableReason(write.topic(), partition).thenAccept(unwritable -> {
                        if (unwritable.isPresent()) {
                            deadLetter(pending, target, write.key, write.headers, "partition-unwritable",
                                    unwritable.get(), failure);
                        } else {
                            retryOrDrop(write, failure);
                        }
                    });
                } else {
                    retryOrDrop(write, failure);
                }
            }
        }
    }

    private boolean gaveUpOnPartition(PendingMessage pending, Throwable failure, int partition) {
        return pending.policy.retriesTransientFailures() && partition >= 0 && failure instanceof RetriableException
                && topicPresence.isClusterReachable();
    }

    private void retryOrDrop(Write write, Throwable failure) {
        if (write.pending.policy.retriesTransientFailures()) {
            retryInOrder(write, failure);
        } else {
            drop(write);
        }
    }

    private void drop(Write write) {
        metrics.dropped("kafka-unavailable");
        write.pending.partDone();
    }

    /**
     * Retries a QoS 1/2 write after a backoff, in its topic's arrival order. Writes that fail one by one and are
     * retried each after its own backoff would reach Kafka shuffled, and the writes arriving meanwhile (or a new
     * metadata lookup of theirs) would overtake them all. So a topic's first failure stops its {@link PublishLane}:
     * later writes to the topic are held, later failures collected, and after the backoff the failed ones are sent
     * again in arrival order, then the held ones. The backoff grows until a retried write succeeds. Lanes exist only
     * while a topic has writes to retry.
     */
    private void retryInOrder(Write write, Throwable failure) {
        metrics.retried();
        LaneKey key = write.laneKey();
        boolean[] stoppedIt = new boolean[1];
        PublishLane<Write> lane = retrying.compute(key, (k, existing) -> {
            PublishLane<Write> current = existing != null ? existing : new PublishLane<>(this::resend, ARRIVAL_ORDER);
            stoppedIt[0] = current.failed(write);
            return current;
        });
        if (stoppedIt[0]) {
            int attempt = lane.backoffAttempt();
            retryLater(attempt, "Kafka write to " + write.topic(), failure, () -> {
                lane.resume();
                retrying.computeIfPresent(key, (k, current) -> current == lane && lane.isIdle() ? null : current);
            });
        }
    }

    /** A record whose topic a broker said does not exist (and is not auto-created). */
    private void deadLetterMissingTopic(PendingMessage pending, RouteTarget target, byte[] key, Header[] headers,
            Throwable failure) {
        deadLetter(pending, target, key, headers, "topic-missing",
                "Kafka topic '" + target.kafkaTopic() + "' does not exist and is not auto-created", failure);
    }

    /** A record that can never be written as it is: the mapping's failure strategy decides. */
    private void deadLetter(PendingMessage pending, RouteTarget target, byte[] key, Header[] headers,
            String reasonCode, String reason, Throwable failure) {
        String mapping = target.route().name();
        switch (failureStrategies.apply(mapping)) {
            case IGNORE -> {
                metrics.ignored(reasonCode);
                LOG.debugf("Ignoring message from MQTT topic %s for mapping %s: %s", pending.message.topic(), mapping, reason);
                pending.partDone();
            }
            case FAIL -> fail(mapping, reason);
            case DEAD_LETTER -> writeDeadLetter(pending, target, key, headers, reasonCode, reason, failure);
        }
    }

    /** {@code failure-strategy: fail}: stop taking messages; this one and all later ones stay with the broker. */
    private void fail(String mapping, String reason) {
        stop("mapping " + mapping + " (failure-strategy fail) could not write a message: " + reason);
    }

    /**
     * Stops taking messages, for good: the message that could not be written stays unacknowledged, and so does
     * every later one, so the broker keeps them all for the next start. Liveness reports {@code reason}.
     */
    private synchronized void stop(String reason) {
        if (!failed) {
            stopReason = reason;
            failed = true;
            accepting = false;
            LOG.errorf("The MQTT → Kafka direction stops taking messages: %s. Unacknowledged messages stay with the "
                    + "broker until the bridge is restarted", reason);
        }
    }

    private void writeDeadLetter(PendingMessage pending, RouteTarget target, byte[] key, Header[] headers,
            String reasonCode, String reason, Throwable failure) {
        ProducerRecord<byte[], byte[]> record = deadLetters.create(key, pending.message.payload(), headers,
                pending.message.receivedAtMillis(), target.route().name(), target.kafkaTopic(), reasonCode, reason,
                failure, true);
        deadLetterWriter.write(record, reasonCode).whenComplete((written, unwritable) -> {
            if (unwritable == null) {
                long heldBack = deadLetterLines.admit(target.route().name() + "/" + reasonCode, System.nanoTime());
                if (heldBack >= 0) {
                    LOG.infof("Dead-lettered a message from MQTT topic %s for mapping %s (%s): %s%s",
                            pending.message.topic(), target.route().name(), reasonCode, reason,
                            heldBack == 0 ? "" : " (and " + heldBack + " more for this mapping and reason in the last "
                                    + "10 s, counted in bridge_messages_dead_lettered_total)");
                }
                pending.partDone();
            } else {
                stop("message from MQTT topic '" + pending.message.topic() + "' for mapping " + target.route().name()
                        + " could not be dead-lettered (" + reason + "): " + unwritable.getMessage());
            }
        });
    }

    /**
     * Runs {@code retry} on the sender thread after an exponential backoff. Logged on the first attempt and
     * then every 20th, so a long outage is visible without flooding the log.
     */
    private void retryLater(int attempt, String what, Throwable failure, Runnable retry) {
        long delay = Backoff.delayMillis(attempt);
        if (Backoff.worthLogging(attempt)) {
            LOG.warnf("%s failed (%s: %s); retrying in %d ms, the message stays unacknowledged", what,
                    failure.getClass().getSimpleName(), failure.getMessage(), delay);
        }
        schedule(retry, delay);
    }

    private void schedule(Runnable task, long delayMillis) {
        try {
            retryTimer.schedule(() -> {
                try {
                    sender.execute(task);
                } catch (RejectedExecutionException stopped) {
                    // shutting down: the message stays unacknowledged and is redelivered later
                }
            }, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopped) {
            // shutting down
        }
    }

    private void finish(InboundMessage message, DeliveryPolicy policy) {
        if (policy.acknowledgeAfterKafka()) {
            message.acknowledge();
        } else {
            if (qos0PushBack) {
                message.acknowledge();
            }
            qos0InFlight.decrementAndGet();
        }
    }

    private void complete(InboundMessage message, DeliveryPolicy policy) {
        finish(message, policy);
        if (inFlight.decrementAndGet() == 0 && !accepting) {
            synchronized (drained) {
                drained.notifyAll();
            }
        }
    }

    /**
     * Whether the sender still runs: false after {@link #drain}, once a {@code fail} strategy stopped it, or once the
     * exactly-once writer stopped (fenced, or a transaction that cannot be aborted).
     */
    public boolean isRunning() {
        return !sender.isShutdown() && !failed && (exactlyOnce == null || exactlyOnce.stopReason() == null);
    }

    /** Why the direction stopped taking messages (a fail strategy, an unwritable dead letter); null while it runs. */
    public String stopReason() {
        return stopReason != null || exactlyOnce == null ? stopReason : exactlyOnce.stopReason();
    }

    /** Drops the done messages at the head of {@link #arrivals} and notes when the oldest left was received. */
    private void sweepArrivals() {
        PendingMessage head;
        while ((head = arrivals.peekFirst()) != null && head.done) {
            arrivals.pollFirst();
        }
        oldestPendingReceivedAt = head == null ? -1 : head.message.receivedAtMillis();
    }

    /**
     * How long the oldest message handed to Kafka has waited to be done (acknowledged, dead-lettered or let go), in
     * milliseconds, as of the last sweep (at least every second); 0 when none waits.
     */
    public long oldestPendingMillis() {
        long receivedAt = oldestPendingReceivedAt;
        return receivedAt < 0 ? 0 : Math.max(0, System.currentTimeMillis() - receivedAt);
    }

    /** Messages handed to Kafka and not yet acknowledged. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * QoS 1/2 messages received and not yet acknowledged to the broker (bounded by the receive maximum): the messages in
     * flight without the QoS 0 ones, which are acknowledged on receipt. Read from the two counters the pipeline keeps
     * anyway, so nothing more is counted per message; while a QoS 0 message completes, it may count one too many.
     */
    public int unacknowledged() {
        return Math.max(0, inFlight.get() - qos0InFlight.get());
    }

    /**
     * Stops taking messages and waits up to {@code timeout} for the ones in flight to be acknowledged.
     * Returns the number still in flight (not acknowledged to MQTT; the broker redelivers them).
     */
    public int drain(Duration timeout) {
        accepting = false;
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (drained) {
            // A stopped direction acknowledges nothing more: acknowledgements leave in arrival order, and the message
            // that stopped it never completes.
            while (inFlight.get() > 0 && !failed && (exactlyOnce == null || exactlyOnce.stopReason() == null)) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(drained, remaining);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        retryTimer.shutdownNow();
        metadataGate.close();
        sender.shutdownNow();
        return inFlight.get();
    }

    private static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }

    /** The writes of one topic by one producer keep their order; QoS 0 writes are never retried. */
    private record LaneKey(ProducerProfile profile, String topic) {
    }

    /**
     * One record to write for one mapping of a message; its payload is read from the message when sent.
     * {@code sequence} orders writes as they arrived (sender thread).
     */
    private static final class Write {
        final PendingMessage pending;
        final RouteTarget target;
        final byte[] key;
        final Header[] headers;
        final long sequence;
        /** Failed attempts; an attempt's outcome is reported before the next attempt starts. */
        volatile int failures;

        Write(PendingMessage pending, RouteTarget target, byte[] key, Header[] headers, long sequence) {
            this.pending = pending;
            this.target = target;
            this.key = key;
            this.headers = headers;
            this.sequence = sequence;
        }

        String topic() {
            return target.kafkaTopic();
        }

        LaneKey laneKey() {
            return new LaneKey(pending.policy.producerProfile(), target.kafkaTopic());
        }

        ProducerRecord<byte[], byte[]> toRecord() {
            return record(pending.message, target, key, headers);
        }
    }

    /** The Kafka record of {@code message} for one mapping, built when it is sent (the payload is not kept). */
    private static ProducerRecord<byte[], byte[]> record(InboundMessage message, RouteTarget target, byte[] key,
            Header[] headers) {
        // An empty retained message clears the broker's retained state: a tombstone does the same to a compacted topic.
        byte[] value = message.retain() && message.payloadSize() == 0 && target.route().retainedEmptyAsTombstone()
                ? null : message.payload();
        return new ProducerRecord<>(target.kafkaTopic(), null, message.receivedAtMillis(), key, value,
                Arrays.asList(headers));
    }

    /**
     * One record of an exactly-once mapping, written by {@link ExactlyOnceWriter} in a transaction; done when the
     * transaction committed. A record that can never be written goes to the mapping's failure strategy as any other.
     */
    private final class TransactionalWrite implements ExactlyOnceWriter.Part {
        private final PendingMessage pending;
        private final RouteTarget target;
        private final byte[] key;
        private final Header[] headers;

        TransactionalWrite(PendingMessage pending, RouteTarget target, byte[] key, Header[] headers) {
            this.pending = pending;
            this.target = target;
            this.key = key;
            this.headers = headers;
        }

        @Override
        public ProducerRecord<byte[], byte[]> record() {
            return MqttToKafkaPipeline.record(pending.message, target, key, headers);
        }

        @Override
        public void committed() {
            written(pending, target);
            pending.partDone();
        }

        @Override
        public void alreadyWritten() {
            pending.partDone();
        }

        @Override
        public boolean failed(Throwable failure) {
            String topic = target.kafkaTopic();
            FailureKind kind = FailureKind.classify(failure);
            if (kind == FailureKind.POISON) {
                deadLetter(pending, target, key, headers, FailureKind.reasonCode(failure), failure.getMessage(), failure);
                return true;
            }
            if (topicPresence.isKnownMissing(topic)) {
                deadLetterMissingTopic(pending, target, key, headers, failure);
                return true;
            }
            if (kind == FailureKind.POSSIBLY_MISSING_TOPIC) {
                topicPresence.checkMissing(topic);
            }
            metrics.retried();
            return false;
        }
    }

    /** Counts down the records of one message; the last one acknowledges it. */
    private final class PendingMessage {
        final InboundMessage message;
        final DeliveryPolicy policy;
        /** {@link System#nanoTime()} at receipt, or 0 when latency is not recorded. */
        final long receivedNanos;
        private final AtomicInteger remaining;
        volatile boolean done;

        PendingMessage(InboundMessage message, DeliveryPolicy policy, int records, long receivedNanos) {
            this.message = message;
            this.policy = policy;
            this.receivedNanos = receivedNanos;
            this.remaining = new AtomicInteger(records);
        }

        void partDone() {
            if (remaining.decrementAndGet() == 0) {
                done = true;
                complete(message, policy);
            }
        }
    }
}
