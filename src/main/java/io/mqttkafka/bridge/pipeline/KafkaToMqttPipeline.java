package io.mqttkafka.bridge.pipeline;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.jboss.logging.Logger;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.failure.Backoff;
import io.mqttkafka.bridge.failure.DeadLetterRecords;
import io.mqttkafka.bridge.failure.DeadLetterWriter;
import io.mqttkafka.bridge.failure.FailureKind;
import io.mqttkafka.bridge.failure.FailureStrategy;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.kafka.MqttHeaderCodec;
import io.mqttkafka.bridge.kafka.OffsetTracker;
import io.mqttkafka.bridge.mapping.KafkaRecordFields;
import io.mqttkafka.bridge.mapping.KafkaToMqttRoute;
import io.mqttkafka.bridge.mapping.KafkaToMqttRouteGroup;
import io.mqttkafka.bridge.mapping.KafkaTopicSelector;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.mqtt.ConnectionLostWithPublishException;
import io.mqttkafka.bridge.mqtt.Mqtt5Properties;
import io.mqttkafka.bridge.mqtt.OutboundMessage;

/**
 * Kafka → MQTT for one consumer group: polls records, publishes one MQTT message per matching mapping,
 * and commits an offset only when its record and every earlier record of the partition are done, as the
 * {@link DeliveryPolicy} of the mapping's QoS says.
 *
 * <p>Threads: the poll thread owns the consumer (polling, committing, pausing, rebalance callbacks) and
 * never waits for MQTT. Publishes are handed to one publisher thread, because the MQTT client's publish
 * can block when its in-flight window is full; one thread also keeps the publish order of each partition, and a
 * {@link PublishLane} per partition keeps it when publishes fail and are published again.
 * Broker acknowledgements arrive on MQTT client threads and only mark records done.
 *
 * <p>Memory is bounded by watermarks: when the records in flight (polled and not yet done) reach the high
 * watermark, by count or by bytes, the consumer pauses its partitions and keeps polling (so it stays in
 * its group); it resumes below the low watermark. The acknowledgement that brings the count down to the low
 * watermark wakes the paused poll, so the consumer resumes at once rather than at the end of its poll timeout
 * (which capped this direction at about one high watermark of records per poll timeout).
 */
public final class KafkaToMqttPipeline implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(KafkaToMqttPipeline.class);
    /** How long a poll waits when there is nothing to fetch; a paused consumer is woken when it may resume. */
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
    /** Commits are batched: often enough that a crash redelivers little, rarely enough to cost nothing. */
    private static final long COMMIT_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /**
     * A lost MQTT connection fails every publish in flight at once (the publisher's session ends with it): one
     * warning per interval says so, the retry counter counts them all.
     */
    private static final long PUBLISH_FAILURE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final byte[] EMPTY = new byte[0];
    /**
     * Pauses at the high watermark: at full speed they come every high watermark of records (several a second), so one
     * pause and its resume are logged at INFO per minute and group, the next such line counting those in between.
     */
    private static final long PAUSE_LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    /**
     * Refusals of one publish by the broker with a reason code that does not name the message as the problem
     * (unspecified or implementation-specific error, quota exceeded, ...) after which it goes to the failure strategy:
     * with the backoff, about 20 s of asking.
     */
    static final int MAX_REFUSALS = 10;
    /** Connections one publish may end, while it is the only one in flight, before it goes to the failure strategy. */
    static final int MAX_CONNECTIONS_ENDED = 3;
    private static final Comparator<Publish> PARTITION_ORDER =
            Comparator.<Publish>comparingLong(publish -> publish.kafkaRecord.offset()).thenComparingInt(Publish::part);

    private final KafkaToMqttRouteGroup group;
    private final byte[] bridgeIdBytes;
    private final Supplier<Consumer<byte[], byte[]>> consumerFactory;
    private final Function<OutboundMessage, CompletableFuture<Void>> mqtt;
    private final boolean mqtt5;
    private final MqttHeaderCodec headerCodec;
    private final DeadLetterRecords deadLetters;
    private final DeadLetterWriter deadLetterWriter;
    private final Function<String, FailureStrategy> failureStrategies;
    private final BridgeMetrics metrics;
    /** {@code bridge.metrics.latency.enabled}: record each publish's latency from its record's timestamp. */
    private final boolean latencyEnabled;
    private final BridgeConfig.Consumer flow;
    private final Duration shutdownTimeout;
    /** How long the stopping poll thread waits for publishes in flight: {@link #shutdownTimeout} unless told less. */
    private volatile Duration drainOnStop;
    private final Duration pollTimeout;
    private final Duration stallTimeout;
    /** Poll thread only, but {@link PartitionHolds#stalled()}. */
    private final PartitionHolds holds;

    private final BlockingQueue<Runnable> publishQueue = new LinkedBlockingQueue<>();
    private final Thread pollThread;
    private final Thread publishThread;
    private final ScheduledExecutorService retryTimer;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong inFlightBytes = new AtomicLong();
    private final AtomicLong nextPublishFailureLogNanos = new AtomicLong(System.nanoTime());
    private final Object progress = new Object();
    /** Poll thread only. */
    private final Map<TopicPartition, OffsetTracker> trackers = new HashMap<>();
    /**
     * Per partition given up (revoked or lost), the offset before which this consumer published every record: if the
     * partition comes back and the group's committed offset is behind it (the commit failed, e.g. with the
     * coordinator away), consuming resumes there rather than publishing those records again. Poll thread only.
     */
    private final Map<TopicPartition, Long> doneWhenGivenUp = new HashMap<>();
    /** Poll thread only; a partition gets a new lane with a new tracker, so a revoked one's publishes are abandoned. */
    private final Map<TopicPartition, PublishLane<Publish>> lanes = new HashMap<>();
    private volatile Consumer<byte[], byte[]> consumer;
    /** Runs on the poll thread once the consumer is closed (e.g. unbinds its meters). */
    private volatile Runnable afterConsumerClosed = () -> { };
    private volatile boolean running;
    private volatile boolean closing;
    private volatile boolean paused;
    /** Set by the release that woke the paused poll; cleared by the poll thread on every round while paused. */
    private final AtomicBoolean resumeWoken = new AtomicBoolean();
    private volatile boolean awaiting;
    private volatile boolean failed;
    private volatile String stopReason;
    private volatile int assignedPartitions;
    private long nextCommitNanos;
    /** Dead letters: one INFO line per mapping and reason every 10 s at most (the count is in the metrics). */
    private final LogThrottle deadLetterLines = new LogThrottle(TimeUnit.SECONDS.toNanos(10));
    /** Poll thread only: see {@link #PAUSE_LOG_INTERVAL_NANOS}. */
    private final LogThrottle pauseLines = new LogThrottle(PAUSE_LOG_INTERVAL_NANOS);
    /** Poll thread only: when the current pause began, and whether it was logged at INFO (then so is its resume). */
    private long pausedAtNanos;
    private boolean pauseLogged;

    /**
     * @param consumerFactory creates the group's consumer (called on the poll thread)
     * @param mqtt publishes one message; may block (see {@code MqttConnection#publish})
     * @param mqtt5 whether the connection speaks MQTT 5 (headers become properties) or 3.1.1 (they are dropped)
     */
    public KafkaToMqttPipeline(KafkaToMqttRouteGroup group, String bridgeId,
            Supplier<Consumer<byte[], byte[]>> consumerFactory, Function<OutboundMessage, CompletableFuture<Void>> mqtt,
            boolean mqtt5, DeadLetterRecords deadLetters, DeadLetterWriter deadLetterWriter,
            Function<String, FailureStrategy> failureStrategies, BridgeMetrics metrics, BridgeConfig.Consumer flow,
            Duration shutdownTimeout, Duration stallTimeout) {
        this(group, bridgeId, consumerFactory, mqtt, mqtt5, deadLetters, deadLetterWriter, failureStrategies, metrics,
                flow, shutdownTimeout, stallTimeout, POLL_TIMEOUT);
    }

    /** @param pollTimeout how long one poll waits for records; tests make it long to see what wakes the poll */
    KafkaToMqttPipeline(KafkaToMqttRouteGroup group, String bridgeId,
            Supplier<Consumer<byte[], byte[]>> consumerFactory, Function<OutboundMessage, CompletableFuture<Void>> mqtt,
            boolean mqtt5, DeadLetterRecords deadLetters, DeadLetterWriter deadLetterWriter,
            Function<String, FailureStrategy> failureStrategies, BridgeMetrics metrics, BridgeConfig.Consumer flow,
            Duration shutdownTimeout, Duration stallTimeout, Duration pollTimeout) {
        this.pollTimeout = pollTimeout;
        this.stallTimeout = stallTimeout;
        this.holds = new PartitionHolds(stallTimeout, flow.highWatermark(), flow.lowWatermark(),
                () -> metrics.partitionStalled(group.groupId()));
        this.group = group;
        this.bridgeIdBytes = bridgeId.getBytes(StandardCharsets.UTF_8);
        this.consumerFactory = consumerFactory;
        this.mqtt = mqtt;
        this.mqtt5 = mqtt5;
        this.headerCodec = new MqttHeaderCodec(bridgeId);
        this.deadLetters = deadLetters;
        this.deadLetterWriter = deadLetterWriter;
        this.failureStrategies = failureStrategies;
        this.metrics = metrics;
        this.latencyEnabled = metrics.latencyEnabled();
        this.flow = flow;
        this.shutdownTimeout = shutdownTimeout;
        this.drainOnStop = shutdownTimeout;
        String name = group.groupId();
        this.pollThread = new Thread(this::pollLoop, "kafka-to-mqtt-poll-" + name);
        this.publishThread = new Thread(this::publishLoop, "kafka-to-mqtt-publish-" + name);
        this.retryTimer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "kafka-to-mqtt-retry-" + name);
            thread.setDaemon(true);
            return thread;
        });
        pollThread.setDaemon(true);
        publishThread.setDaemon(true);
        metrics.gauge("bridge.kafka.to.mqtt.in.flight", "Kafka records handed to MQTT and not yet done", "group",
                name, inFlight::get);
        metrics.gauge("bridge.kafka.consumer.paused", "1 while the consumer is paused at the high watermark",
                "group", name, () -> paused ? 1 : 0);
        metrics.gauge("bridge.kafka.partitions.stalled",
                "Partitions whose oldest record in flight has not been done for bridge.stall-timeout (paused)", "group",
                name, () -> holds.stalled().size());
    }

    /** {@code action} runs once the consumer this pipeline created is closed; set it before {@link #start()}. */
    public void afterConsumerClosed(Runnable action) {
        this.afterConsumerClosed = action;
    }

    /** Starts consuming; returns at once. */
    public void start() {
        running = true;
        publishThread.start();
        pollThread.start();
    }

    // ---------------------------------------------------------------- poll thread

    private void pollLoop() {
        int failures = 0;
        Consumer<byte[], byte[]> created = null;
        try {
            created = consumerFactory.get();
            consumer = created;
            subscribe(created);
            while (running) {
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = created.poll(pollTimeout);
                    failures = 0;
                } catch (WakeupException wakeup) {
                    // close() ends the loop; a release down to the low watermark resumes below, without waiting.
                    records = ConsumerRecords.empty();
                } catch (KafkaException failure) {
                    // e.g. not authorised for the topic or group: keep the bridge up and keep trying.
                    if (Backoff.worthLogging(failures)) {
                        LOG.errorf("Kafka consumer of group %s failed to poll (%s: %s); retrying", group.groupId(),
                                failure.getClass().getSimpleName(), failure.getMessage());
                    }
                    awaitProgress(() -> !running, Duration.ofMillis(Backoff.delayMillis(failures++)));
                    continue;
                }
                if (!running) {
                    // Stopped (closing, or for good after a failure) while this poll waited: what it returned stays
                    // uncommitted and unpublished, for the group's next consumer.
                    break;
                }
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    handle(record);
                }
                commitDone(false);
                applyFlowControl();
                applyPartitionHolds();
            }
            finishOnStop(created);
        } catch (RuntimeException unexpected) {
            LOG.errorf(unexpected, "Kafka → MQTT consumer of group %s stopped", group.groupId());
        } finally {
            if (created != null) {
                // A static member stays in the group on close unless told to leave; leaving hands its partitions
                // to the other replicas at once on a deliberate stop (scale-down). A crash leaves no such
                // message: the restarted replica takes its partitions back under the same instance id.
                try {
                    created.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                            .withTimeout(Duration.ofSeconds(5)));
                } finally {
                    afterConsumerClosed.run();
                }
            }
        }
    }

    private void subscribe(Consumer<byte[], byte[]> created) {
        KafkaTopicSelector.Subscription subscription = group.subscription();
        Rebalance listener = new Rebalance();
        if (subscription.pattern() != null) {
            created.subscribe(subscription.pattern(), listener);
        } else {
            created.subscribe(subscription.topics(), listener);
        }
        LOG.infof("Kafka → MQTT consumer of group %s subscribed to %s", group.groupId(),
                subscription.pattern() != null ? "/" + subscription.pattern() + "/" : subscription.topics());
    }

    private void handle(ConsumerRecord<byte[], byte[]> record) {
        metrics.consumed();
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        OffsetTracker tracker = trackers.computeIfAbsent(partition, p -> new OffsetTracker());
        PublishLane<Publish> lane = lanes.computeIfAbsent(partition, p -> newLane());
        byte[] value = record.value();
        InFlightRecord inFlightRecord = new InFlightRecord(tracker.add(record.offset()), value == null ? 0 : value.length);

        Header origin = record.headers().lastHeader(BridgeHeaders.ORIGIN);
        if (origin != null && Arrays.equals(origin.value(), bridgeIdBytes)) {
            // Written by this bridge's MQTT → Kafka direction: publishing it would feed it back.
            metrics.loopSuppressed();
            inFlightRecord.expect(0);
            return;
        }
        List<KafkaToMqttRoute> routes = group.routesFor(record.topic());
        inFlightRecord.expect(routes.size());
        KafkaRecordFields fields = new KafkaRecordFields(record.topic(), record.partition(), record.key(), name -> {
            Header header = record.headers().lastHeader(name);
            return header == null ? null : header.value();
        });
        Mqtt5Properties properties = null;
        for (int part = 0; part < routes.size(); part++) {
            KafkaToMqttRoute route = routes.get(part);
            if (value == null && !route.retain()) {
                // A tombstone means "forget this key" to a compacted topic; only retained state has an MQTT
                // equivalent (clearing the retained message). For a plain stream there is nothing to send.
                metrics.skipped("tombstone-not-retained");
                inFlightRecord.partDone();
                continue;
            }
            KafkaToMqttRoute.Rendering rendering = route.render(fields);
            if (rendering.isRejected()) {
                deadLetter(inFlightRecord, record, route, "invalid-mqtt-topic", rendering.rejectReason(),
                        route.mqttTopic().toString(), null);
                continue;
            }
            if (mqtt5 && properties == null) {
                MqttHeaderCodec.Decoded decoded = headerCodec.decode(record.headers());
                if (decoded.skipped() > 0) {
                    metrics.headersSkipped(decoded.skipped());
                }
                properties = decoded.properties();
            }
            OutboundMessage message = new OutboundMessage(rendering.topic(), value == null ? EMPTY : value,
                    route.qos(), route.retain(), properties);
            Publish publish = new Publish(inFlightRecord, record, part, route, message, lane);
            publishQueue.add(() -> lane.submit(publish));
        }
    }

    /** Commits, per partition, the offset after the run of done records at its head. */
    private void commitDone(boolean synchronously) {
        long now = System.nanoTime();
        if (!synchronously && now < nextCommitNanos) {
            return;
        }
        nextCommitNanos = now + COMMIT_INTERVAL_NANOS;
        commit(committableOffsets(trackers.keySet()), synchronously);
    }

    private Map<TopicPartition, OffsetAndMetadata> committableOffsets(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : partitions) {
            OffsetTracker tracker = trackers.get(partition);
            long next = tracker == null ? -1 : tracker.committable();
            if (next >= 0) {
                offsets.put(partition, new OffsetAndMetadata(next));
            }
        }
        return offsets;
    }

    private void commit(Map<TopicPartition, OffsetAndMetadata> offsets, boolean synchronously) {
        if (offsets.isEmpty()) {
            return;
        }
        // The answer goes to the trackers that offered the offsets: a partition assigned again meanwhile has a new one.
        Map<TopicPartition, OffsetTracker> offeredBy = new HashMap<>();
        offsets.keySet().forEach(partition -> offeredBy.put(partition, trackers.get(partition)));
        if (synchronously) {
            try {
                commitSyncThroughWakeup(offsets);
                answer(offeredBy, offsets, null);
            } catch (KafkaException failure) {
                answer(offeredBy, offsets, failure);
                LOG.warnf("Offset commit of group %s failed (%s); the records after the last committed offset "
                        + "will be published again", group.groupId(), failure.getMessage());
            }
        } else {
            // The callback runs on this thread, inside a later poll().
            consumer.commitAsync(offsets, (committed, failure) -> {
                answer(offeredBy, offsets, failure);
                if (failure != null) {
                    // Offered again at the next commit round, also when the partition has gone idle; until it
                    // succeeds a restart republishes (at least once).
                    LOG.debugf("Offset commit of group %s failed: %s", group.groupId(), failure.getMessage());
                }
            });
        }
    }

    private static void answer(Map<TopicPartition, OffsetTracker> offeredBy,
            Map<TopicPartition, OffsetAndMetadata> offsets, Exception failure) {
        offsets.forEach((partition, offset) -> {
            OffsetTracker tracker = offeredBy.get(partition);
            if (failure == null) {
                tracker.commitSucceeded(offset.offset());
            } else {
                tracker.commitFailed(offset.offset());
            }
        });
    }

    /**
     * A synchronous commit (on revocation or stop) that a wake-up does not lose: a wake-up aimed at the paused poll
     * (or at the stopping loop) that lands on the commit instead interrupts it once and is spent by that; the commit
     * is then made again.
     */
    private void commitSyncThroughWakeup(Map<TopicPartition, OffsetAndMetadata> offsets) {
        try {
            consumer.commitSync(offsets);
        } catch (WakeupException wakeup) {
            consumer.commitSync(offsets);
        }
    }

    private void applyFlowControl() {
        int records = inFlight.get();
        long bytes = inFlightBytes.get();
        if (!paused && (records >= flow.highWatermark() || bytes >= flow.highWatermarkBytes())) {
            consumer.pause(consumer.assignment());
            paused = true;
            pausedAtNanos = System.nanoTime();
            long heldBack = pauseLines.admit("pause", pausedAtNanos);
            pauseLogged = heldBack >= 0;
            if (pauseLogged) {
                LOG.infof("Kafka → MQTT consumer of group %s paused at the high watermark: %d records (%d bytes) in "
                        + "flight%s", group.groupId(), records, bytes, heldBack == 0 ? ""
                                : "; " + heldBack + " more pauses since the last such line were not logged");
            } else {
                LOG.debugf("Group %s paused: %d records (%d bytes) in flight", group.groupId(), records, bytes);
            }
        } else if (paused && mayResume(records, bytes)) {
            Set<TopicPartition> resumable = new HashSet<>(consumer.paused());
            resumable.removeAll(holds.held());
            consumer.resume(resumable);
            paused = false;
            if (pauseLogged) {
                LOG.infof("Kafka → MQTT consumer of group %s resumed after %d ms: %d records (%d bytes) in flight",
                        group.groupId(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pausedAtNanos), records,
                        bytes);
            } else {
                LOG.debugf("Group %s resumed: %d records (%d bytes) in flight", group.groupId(), records, bytes);
            }
        }
        if (paused) {
            // Cleared after the check: a release from here on wakes the next poll (at worst once too often, which
            // costs one empty round).
            resumeWoken.set(false);
        }
    }

    /** Pauses and resumes single partitions, see {@link PartitionHolds}; the group's watermarks come first. */
    private void applyPartitionHolds() {
        PartitionHolds.Changes changes = holds.update(trackers, System.nanoTime());
        if (!changes.pause().isEmpty()) {
            consumer.pause(changes.pause());
            changes.pause().forEach(partition -> {
                PartitionHolds.Stall stall = holds.stalled().get(partition);
                if (stall != null) {
                    LOG.warnf("Group %s: record %s@%d has not been done for %d ms (bridge.stall-timeout %s); partition "
                            + "paused until it is", group.groupId(), partition, stall.offset(), stall.waitedMillis(),
                            stallTimeout);
                }
            });
        }
        if (!changes.resume().isEmpty() && !paused) {
            consumer.resume(changes.resume());
        }
    }

    private boolean mayResume(int records, long bytes) {
        return records <= flow.lowWatermark() && bytes <= flow.highWatermarkBytes() / 2;
    }

    /** Runs on the thread that released a record: wakes the paused poll once the consumer may resume. */
    private void wakeIfMayResume(int records, long bytes) {
        if (paused && mayResume(records, bytes) && resumeWoken.compareAndSet(false, true)) {
            Consumer<byte[], byte[]> current = consumer;
            if (current != null) {
                current.wakeup();
            }
        }
    }

    private void finishOnStop(Consumer<byte[], byte[]> created) {
        Duration drainTimeout = drainOnStop;
        boolean drained = awaitProgress(this::allDone, drainTimeout);
        commitDone(true);
        if (!drained) {
            LOG.warnf("Group %s: %d Kafka records were still waiting for MQTT after %s; their offsets are not "
                    + "committed and they will be published again after restart", group.groupId(), inFlight.get(),
                    drainTimeout);
        }
        closing = true;
    }

    private boolean allDone() {
        for (OffsetTracker tracker : trackers.values()) {
            if (!tracker.allDone()) {
                return false;
            }
        }
        return true;
    }

    /** Rebalance callbacks run on the poll thread, inside {@code poll()}. */
    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            for (TopicPartition partition : partitions) {
                trackers.put(partition, trackerFor(partition));
                lanes.put(partition, newLane());
            }
            if (paused && !partitions.isEmpty()) {
                consumer.pause(partitions);
            }
            assignedPartitions = trackers.size();
            if (!partitions.isEmpty()) {
                LOG.infof("Kafka → MQTT consumer of group %s assigned %s", group.groupId(), partitions);
            }
        }

        /**
         * A fresh tracker, or, for a partition this consumer gave up with records done beyond the group's committed
         * offset, one that resumes after them (the consumer is moved there) and commits that offset.
         */
        private OffsetTracker trackerFor(TopicPartition partition) {
            Long done = doneWhenGivenUp.remove(partition);
            if (done == null || done < 0) {
                return new OffsetTracker();
            }
            long position;
            try {
                position = consumer.position(partition);
            } catch (KafkaException e) {
                // Not known now: start where the group says; at worst the done records are published again.
                return new OffsetTracker();
            }
            if (done <= position) {
                return new OffsetTracker();
            }
            consumer.seek(partition, done);
            LOG.infof("Kafka → MQTT consumer of group %s assigned %s again: resuming at offset %d, after the records it "
                    + "published before giving it up, not at the group's committed offset %d (that commit failed)",
                    group.groupId(), partition, done, position);
            return OffsetTracker.resumingAt(done);
        }

        /**
         * Gives the in-flight records of the revoked partitions a bounded time to finish, commits what is done,
         * and abandons the rest uncommitted: the partitions' next owner publishes them again.
         */
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            if (!closing) {
                awaitProgress(() -> partitions.stream().allMatch(p -> trackers.get(p) == null || trackers.get(p).allDone()),
                        flow.revokeTimeout());
            }
            commit(committableOffsets(partitions), true);
            release(partitions, "revoked");
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            release(partitions, "lost");
        }

        private void release(Collection<TopicPartition> partitions, String how) {
            holds.forget(partitions);
            int abandoned = 0;
            for (TopicPartition partition : partitions) {
                lanes.remove(partition);
                OffsetTracker tracker = trackers.remove(partition);
                if (tracker != null) {
                    doneWhenGivenUp.put(partition, tracker.doneBefore());
                    tracker.revoke();
                    abandoned += tracker.size();
                }
            }
            assignedPartitions = trackers.size();
            if (abandoned > 0) {
                LOG.infof("Kafka → MQTT consumer of group %s %s %s, with %d records not yet acknowledged by MQTT; they "
                        + "stay uncommitted", group.groupId(), how, partitions, abandoned);
            } else if (!partitions.isEmpty()) {
                LOG.infof("Kafka → MQTT consumer of group %s %s %s", group.groupId(), how, partitions);
            }
        }
    }

    // ---------------------------------------------------------------- publisher thread and MQTT callbacks

    private void publishLoop() {
        try {
            while (true) {
                publishQueue.take().run();
            }
        } catch (InterruptedException stopped) {
            Thread.currentThread().interrupt();
        }
    }

    private PublishLane<Publish> newLane() {
        return new PublishLane<>(this::publish, PARTITION_ORDER);
    }

    private void publish(Publish publish) {
        InFlightRecord record = publish.record;
        if (failed || record.entry.tracker().isRevoked()) {
            // After a stop for good nothing more reaches MQTT: the record stays uncommitted for the next consumer.
            record.abandon();
            return;
        }
        CompletableFuture<Void> acknowledged;
        try {
            acknowledged = mqtt.apply(publish.message);
        } catch (RuntimeException failure) {
            acknowledged = CompletableFuture.failedFuture(failure);
        }
        DeliveryPolicy policy = DeliveryPolicy.forQos(publish.message.qos());
        if (!policy.commitAfterMqttAck()) {
            record.confirm();
            acknowledged.whenComplete((ignored, failure) -> {
                if (failure == null) {
                    published(publish);
                } else {
                    metrics.dropped("mqtt-publish-failed");
                }
                record.release();
            });
            return;
        }
        acknowledged.whenComplete((ignored, failure) -> {
            if (failure == null) {
                published(publish);
                if (publish.failures > 0) {
                    // Only the success of a publish that had failed ends the backoff: acknowledgements of the records
                    // published behind a failing one say nothing about it.
                    publish.lane.acknowledged();
                }
                record.partDone();
            } else {
                onPublishFailure(publish, failure);
            }
        });
    }

    /**
     * Counts a publish the broker acknowledged (for QoS 0: that the client wrote) and records its latency from the record's
     * timestamp: the producer's clock ({@code CreateTime}) or the Kafka broker's ({@code LogAppendTime}) against the
     * bridge's, so it includes clock skew (see {@link BridgeMetrics#kafkaToMqttLatency}). A record without a timestamp
     * (an old message format) has no latency.
     */
    private void published(Publish publish) {
        metrics.published(publish.route.name());
        if (latencyEnabled) {
            long timestamp = publish.kafkaRecord.timestamp();
            if (timestamp >= 0) {
                metrics.kafkaToMqttLatency(publish.route.name(), publish.message.qos(),
                        System.currentTimeMillis() - timestamp);
            }
        }
    }

    private void onPublishFailure(Publish publish, Throwable failure) {
        Throwable cause = FailureKind.unwrap(failure);
        publish.failures++;
        if (FailureKind.classifyMqttPublish(cause) == FailureKind.POISON) {
            deadLetter(publish.record, publish.kafkaRecord, publish.route, FailureKind.mqttReasonCode(cause),
                    "MQTT broker or client refused the publish to '" + publish.message.topic() + "': "
                            + FailureKind.describeMqttFailure(cause),
                    publish.message.topic(), cause);
            return;
        }
        String refusal = FailureKind.mqttRefusalCode(cause);
        if (refusal != null && ++publish.refusals >= MAX_REFUSALS) {
            deadLetter(publish.record, publish.kafkaRecord, publish.route, "publish-refused",
                    "MQTT broker refused the publish to '" + publish.message.topic() + "' " + publish.refusals
                            + " times: " + FailureKind.describeMqttFailure(cause), publish.message.topic(), cause);
            return;
        }
        if (cause instanceof ConnectionLostWithPublishException && ++publish.connectionsEnded >= MAX_CONNECTIONS_ENDED) {
            deadLetter(publish.record, publish.kafkaRecord, publish.route, "publish-ends-connection",
                    "the MQTT connection ended " + publish.connectionsEnded + " times while the publish to '"
                            + publish.message.topic() + "' (" + publish.message.payload().length
                            + " bytes) was the only one in flight; the broker likely refuses it (e.g. Mosquitto's "
                            + "message_size_limit: set bridge.mqtt.maximum-message-size): " + cause.getCause(),
                    publish.message.topic(), cause);
            return;
        }
        if (!running && closing) {
            return; // stays uncommitted; published again after restart
        }
        metrics.publishRetried();
        PublishLane<Publish> lane = publish.lane;
        if (!lane.failed(publish)) {
            return; // the lane is already stopped; its resume publishes this one again, in order
        }
        long delay = Backoff.delayMillis(lane.backoffAttempt());
        if (isTimeToLogPublishFailure()) {
            LOG.warnf("MQTT publish to %s failed (%s: %s); retrying in %d ms with backoff, in partition order, the offset "
                    + "stays uncommitted (further failures in the next %d s are only counted in "
                    + "bridge_mqtt_publish_retries_total)", publish.message.topic(), cause.getClass().getSimpleName(),
                    cause.getMessage(), delay, TimeUnit.NANOSECONDS.toSeconds(PUBLISH_FAILURE_LOG_INTERVAL_NANOS));
        }
        try {
            retryTimer.schedule(() -> publishQueue.add(lane::resume), delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopped) {
            // closing
        }
    }

    private boolean isTimeToLogPublishFailure() {
        long now = System.nanoTime();
        long next = nextPublishFailureLogNanos.get();
        return now - next >= 0 && nextPublishFailureLogNanos.compareAndSet(next, now + PUBLISH_FAILURE_LOG_INTERVAL_NANOS);
    }

    /** A record that can never be published as it is: the mapping's failure strategy decides. */
    private void deadLetter(InFlightRecord inFlightRecord, ConsumerRecord<byte[], byte[]> record, KafkaToMqttRoute route,
            String reasonCode, String reason, String target, Throwable failure) {
        switch (failureStrategies.apply(route.name())) {
            case IGNORE -> {
                metrics.ignored(reasonCode);
                LOG.debugf("Ignoring record %s-%d@%d for mapping %s: %s", record.topic(), record.partition(),
                        record.offset(), route.name(), reason);
                inFlightRecord.partDone();
            }
            case FAIL -> stop("mapping " + route.name() + " (failure-strategy fail) could not publish record "
                    + record.topic() + "-" + record.partition() + "@" + record.offset() + ": " + reason);
            case DEAD_LETTER -> writeDeadLetter(inFlightRecord, record, route, reasonCode, reason, target, failure);
        }
    }

    private void writeDeadLetter(InFlightRecord inFlightRecord, ConsumerRecord<byte[], byte[]> record,
            KafkaToMqttRoute route, String reasonCode, String reason, String target, Throwable failure) {
        List<Header> headers = new ArrayList<>(Arrays.asList(record.headers().toArray()));
        headers.add(header(BridgeHeaders.DLQ_SOURCE_TOPIC, record.topic()));
        headers.add(header(BridgeHeaders.DLQ_SOURCE_PARTITION, Integer.toString(record.partition())));
        headers.add(header(BridgeHeaders.DLQ_SOURCE_OFFSET, Long.toString(record.offset())));
        deadLetterWriter.write(deadLetters.create(record.key(), record.value(), headers.toArray(Header[]::new),
                record.timestamp(), route.name(), target, reasonCode, reason, failure, true), reasonCode)
                .whenComplete((written, unwritable) -> {
                    if (unwritable == null) {
                        long heldBack = deadLetterLines.admit(route.name() + "/" + reasonCode, System.nanoTime());
                        if (heldBack >= 0) {
                            LOG.infof("Dead-lettered record %s-%d@%d for mapping %s (%s): %s%s", record.topic(),
                                    record.partition(), record.offset(), route.name(), reasonCode, reason,
                                    heldBack == 0 ? "" : " (and " + heldBack + " more for this mapping and reason in "
                                            + "the last 10 s, counted in bridge_messages_dead_lettered_total)");
                        }
                        inFlightRecord.partDone();
                    } else {
                        stop("record " + record.topic() + "-" + record.partition() + "@" + record.offset()
                                + " for mapping " + route.name() + " could not be dead-lettered (" + reason + "): "
                                + unwritable.getMessage());
                    }
                });
    }

    /**
     * Stops consuming, for good: nothing from the record that could not be handled on is committed, so the group's
     * next consumer (this bridge after a restart, or another replica) takes it up. Liveness reports {@code reason}.
     */
    private synchronized void stop(String reason) {
        if (!failed) {
            stopReason = reason;
            failed = true;
            running = false;
            LOG.errorf("Kafka → MQTT group %s stops consuming: %s", group.groupId(), reason);
        }
    }

    private static Header header(String name, String value) {
        return new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- state shared by the threads

    /**
     * Waits until {@code condition} holds or {@code timeout} passes, waking whenever a record is done.
     * Returns whether the condition holds.
     */
    private boolean awaitProgress(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (progress) {
            awaiting = true;
            try {
                while (!condition.getAsBoolean()) {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        return false;
                    }
                    // Bounded wait: conditions also depend on state that changes without a notification.
                    TimeUnit.NANOSECONDS.timedWait(progress, Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(50)));
                }
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return condition.getAsBoolean();
            } finally {
                awaiting = false;
            }
        }
    }

    /** Wakes a waiting poll thread; costs nothing on the hot path when no one waits (the usual case). */
    private void signalProgress() {
        if (awaiting) {
            synchronized (progress) {
                progress.notifyAll();
            }
        }
    }

    /** Kafka records polled and not yet done (published and acknowledged, dead-lettered, or skipped). */
    public int inFlight() {
        return inFlight.get();
    }

    /** Payload bytes of {@link #inFlight()} records. */
    public long inFlightBytes() {
        return inFlightBytes.get();
    }

    /** Whether the poll and publisher threads run; false once stopped, if the poll loop died, or after a fail strategy. */
    public boolean isRunning() {
        return !failed && pollThread.isAlive() && publishThread.isAlive();
    }

    /** Why the group stopped consuming (a fail strategy, an unwritable dead letter); null while it runs. */
    public String stopReason() {
        return stopReason;
    }

    /**
     * The partitions stalled at the last poll round (see {@code bridge.stall-timeout}), each described with its
     * oldest record in flight; empty while all make progress.
     */
    public List<String> stalledPartitions() {
        List<String> descriptions = new ArrayList<>();
        holds.stalled().forEach((partition, stall) -> descriptions.add(partition + ": record at offset " + stall.offset()
                + " not done for " + stall.waitedMillis() / 1000 + " s (partition paused)"));
        return descriptions;
    }

    public boolean isPaused() {
        return paused;
    }

    /** Whether the consumer currently owns at least one partition. */
    public boolean hasAssignment() {
        return assignedPartitions > 0;
    }

    public String groupId() {
        return group.groupId();
    }

    /**
     * Stops polling, waits (bounded by the shutdown timeout) for records in flight to be acknowledged by MQTT,
     * commits what is done and leaves the group. Call while the MQTT connection is still up.
     */
    @Override
    public void close() {
        close(shutdownTimeout);
    }

    /**
     * Stops polling and waits at most {@code drainTimeout} (not more than {@code shutdown-timeout}) for the publishes in
     * flight before committing what is done: zero when the MQTT connection is down, since nothing can then complete and
     * the uncommitted records are published again after a restart anyway.
     */
    public void close(Duration drainTimeout) {
        drainOnStop = drainTimeout.compareTo(shutdownTimeout) < 0 ? drainTimeout : shutdownTimeout;
        running = false;
        Consumer<byte[], byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        try {
            pollThread.join(shutdownTimeout.plusSeconds(15).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closing = true;
        retryTimer.shutdownNow();
        publishThread.interrupt();
    }

    /**
     * One polled record. It is <em>confirmed</em> when every part (one per matching mapping) is safe as its
     * QoS demands, which lets its offset be committed; it is <em>released</em> when every publish has finished
     * one way or another, which frees its place under the watermarks. For QoS 1/2 both happen together; a QoS 0
     * publish is confirmed when handed over and released when the client is done with it.
     */
    private final class InFlightRecord {
        final OffsetTracker.Entry entry;
        private final int bytes;
        private final AtomicInteger unconfirmed = new AtomicInteger();
        private final AtomicInteger unreleased = new AtomicInteger();

        InFlightRecord(OffsetTracker.Entry entry, int bytes) {
            this.entry = entry;
            this.bytes = bytes;
            inFlight.incrementAndGet();
            inFlightBytes.addAndGet(bytes);
        }

        void expect(int parts) {
            if (parts == 0) {
                entry.complete();
                released();
                return;
            }
            unconfirmed.set(parts);
            unreleased.set(parts);
        }

        void partDone() {
            confirm();
            release();
        }

        void confirm() {
            if (unconfirmed.decrementAndGet() == 0) {
                entry.complete();
                signalProgress();
            }
        }

        void release() {
            if (unreleased.decrementAndGet() == 0) {
                released();
            }
        }

        /** The partition was revoked before this part was published: free its place, never confirm it. */
        void abandon() {
            release();
        }

        private void released() {
            int records = inFlight.decrementAndGet();
            long remainingBytes = inFlightBytes.addAndGet(-bytes);
            signalProgress();
            wakeIfMayResume(records, remainingBytes);
        }
    }

    /**
     * One MQTT publish of a record for one mapping: {@code part} is the mapping's place among the record's. It
     * counts its own failures of the kinds that are bounded, so that one message failing again and again is told
     * apart from a connection that fails every message.
     */
    private static final class Publish {
        final InFlightRecord record;
        final ConsumerRecord<byte[], byte[]> kafkaRecord;
        final int part;
        final KafkaToMqttRoute route;
        final OutboundMessage message;
        final PublishLane<Publish> lane;
        /** Failures so far; its outcomes are reported one at a time, each after the previous attempt. */
        volatile int failures;
        volatile int connectionsEnded;
        volatile int refusals;

        Publish(InFlightRecord record, ConsumerRecord<byte[], byte[]> kafkaRecord, int part, KafkaToMqttRoute route,
                OutboundMessage message, PublishLane<Publish> lane) {
            this.record = record;
            this.kafkaRecord = kafkaRecord;
            this.part = part;
            this.route = route;
            this.message = message;
            this.lane = lane;
        }

        int part() {
            return part;
        }
    }
}
