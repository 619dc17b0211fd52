package io.mqttkafka.bridge.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import io.mqttkafka.bridge.failure.FailureKind;

/**
 * Tells a missing topic from an unreachable cluster. A producer waiting for metadata fails the same way
 * in both cases ("not present in metadata"), but they need opposite handling: a missing topic (with
 * auto-creation off) is a property of the message and goes to the dead-letter topic; an unreachable
 * cluster is transient and the message must wait. Missing topics are remembered for a while so that
 * later messages for them do not each block the sender for {@code max.block.ms}.
 *
 * <p>For a record the producer gave up on, it tells a partition that refuses writes (a property of the
 * record's destination: the failure strategy takes it) from an outage (retry) the same way: by asking.
 *
 * <p>It also probes the cluster every few seconds ({@link #isClusterReachable()}), for readiness: the
 * producers and consumers retry quietly while Kafka is away, so their state says little on its own.
 */
public final class TopicPresence implements AutoCloseable {

    /**
     * Topic names rendered per device can make the missing ones countless: beyond this many, the expired and
     * then the soonest to expire are forgotten, which only costs one more lookup for them.
     */
    private static final int MAX_REMEMBERED_MISSING = 10_000;

    private final Admin admin;
    private final Duration checkTimeout;
    private final Duration rememberMissingFor;
    private final int maxRememberedMissing;
    private final LongSupplier nanoClock;
    private final Map<String, Long> missingUntilNanos = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Boolean>> checksInFlight = new ConcurrentHashMap<>();
    private final Map<TopicPartition, CompletableFuture<Optional<String>>> writabilityChecksInFlight =
            new ConcurrentHashMap<>();
    private final ScheduledExecutorService prober = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "kafka-cluster-probe");
        thread.setDaemon(true);
        return thread;
    });
    private volatile boolean clusterReachable;
    /** The cluster's {@code auto.create.topics.enable}; null while unknown. */
    private volatile Boolean autoCreation;

    public TopicPresence(String bootstrapServers, Map<String, String> userProperties, String clientIdPrefix,
            Duration checkTimeout, Duration rememberMissingFor) {
        this(bootstrapServers, userProperties, clientIdPrefix, checkTimeout, rememberMissingFor, System::nanoTime);
    }

    /**
     * As above, with the clock that times the memory of missing topics ({@link System#nanoTime} in production): a seam
     * for tests that check the memory's length without waiting for it.
     */
    public TopicPresence(String bootstrapServers, Map<String, String> userProperties, String clientIdPrefix,
            Duration checkTimeout, Duration rememberMissingFor, LongSupplier nanoClock) {
        this(bootstrapServers, userProperties, clientIdPrefix, checkTimeout, rememberMissingFor, MAX_REMEMBERED_MISSING,
                nanoClock);
    }

    TopicPresence(String bootstrapServers, Map<String, String> userProperties, String clientIdPrefix,
            Duration checkTimeout, Duration rememberMissingFor, int maxRememberedMissing) {
        this(bootstrapServers, userProperties, clientIdPrefix, checkTimeout, rememberMissingFor, maxRememberedMissing,
                System::nanoTime);
    }

    private TopicPresence(String bootstrapServers, Map<String, String> userProperties, String clientIdPrefix,
            Duration checkTimeout, Duration rememberMissingFor, int maxRememberedMissing, LongSupplier nanoClock) {
        Map<String, Object> settings = new java.util.HashMap<>(userProperties);
        settings.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        settings.put(AdminClientConfig.CLIENT_ID_CONFIG, clientIdPrefix + "-admin");
        settings.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) checkTimeout.toMillis());
        settings.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) checkTimeout.toMillis());
        this.admin = Admin.create(ClientProperties.retainFor(settings, AdminClientConfig.configNames()));
        this.checkTimeout = checkTimeout;
        this.rememberMissingFor = rememberMissingFor;
        this.maxRememberedMissing = maxRememberedMissing;
        this.nanoClock = nanoClock;
    }

    /** Starts probing the cluster every {@code period}; the first probe runs at once. */
    public void startProbing(Duration period) {
        prober.scheduleWithFixedDelay(this::probe, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void probe() {
        try {
            clusterReachable = !admin.describeCluster().nodes().get(checkTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS)
                    .isEmpty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            clusterReachable = false;
        }
    }

    /**
     * The cluster's {@code auto.create.topics.enable} (as one broker has it), asked once it is needed and kept once
     * known; completes with null when it may not be read (the principal lacks DESCRIBE_CONFIGS on the cluster) or the
     * cluster did not answer.
     */
    private CompletableFuture<Boolean> autoCreation() {
        Boolean known = autoCreation;
        if (known != null) {
            return CompletableFuture.completedFuture(known);
        }
        return admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) checkTimeout.toMillis())).nodes()
                .toCompletionStage().thenCompose(nodes -> {
                    ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER,
                            Integer.toString(nodes.iterator().next().id()));
                    return admin.describeConfigs(List.of(broker),
                            new DescribeConfigsOptions().timeoutMs((int) checkTimeout.toMillis())).values().get(broker)
                            .toCompletionStage();
                }).handle((config, failure) -> {
                    ConfigEntry entry = failure == null ? config.get("auto.create.topics.enable") : null;
                    if (entry != null && entry.value() != null) {
                        autoCreation = Boolean.valueOf(entry.value());
                    }
                    return autoCreation;
                }).toCompletableFuture();
    }

    /** Whether the last probe reached a broker; false before the first answer. */
    public boolean isClusterReachable() {
        return clusterReachable;
    }

    /** True while a recent check found the topic missing. */
    public boolean isKnownMissing(String topic) {
        Long until = missingUntilNanos.get(topic);
        if (until == null) {
            return false;
        }
        if (nanoClock.getAsLong() - until > 0) {
            missingUntilNanos.remove(topic, until);
            return false;
        }
        return true;
    }

    /**
     * Asks the cluster. Completes with {@code true} only when a broker answered that the topic does not
     * exist and the cluster does not create topics on demand ({@code auto.create.topics.enable} off, or unknown);
     * {@code false} when it exists, would be created, or the cluster could not be reached in time. Concurrent checks of
     * one topic share one request: the messages that waited for a missing topic's metadata together all
     * ask at once.
     */
    public CompletableFuture<Boolean> checkMissing(String topic) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        CompletableFuture<Boolean> running = checksInFlight.putIfAbsent(topic, result);
        if (running != null) {
            return running;
        }
        exists(topic)
                .thenApply(answer -> answer.equals(Optional.of(false)))
                // With auto-creation on, a topic that does not exist yet is created by the next metadata request: a
                // metadata wait that timed out while the cluster was away says nothing about the topic.
                .thenCompose(absent -> absent ? autoCreation().thenApply(auto -> !Boolean.TRUE.equals(auto))
                        : CompletableFuture.completedFuture(false))
                .whenComplete((missing, failure) -> {
                    boolean confirmed = failure == null && missing;
                    if (confirmed) {
                        rememberMissing(topic);
                    }
                    checksInFlight.remove(topic, result);
                    result.complete(confirmed);
                });
        return result;
    }

    /** Synchronized so that the size check and the insert hold together, whichever thread answers. */
    private synchronized void rememberMissing(String topic) {
        long now = nanoClock.getAsLong();
        if (missingUntilNanos.size() >= maxRememberedMissing && !missingUntilNanos.containsKey(topic)) {
            missingUntilNanos.values().removeIf(until -> now - until > 0);
            while (missingUntilNanos.size() >= maxRememberedMissing) {
                missingUntilNanos.entrySet().stream()
                        .min((a, b) -> Long.compare(a.getValue() - now, b.getValue() - now))
                        .ifPresent(soonest -> missingUntilNanos.remove(soonest.getKey(), soonest.getValue()));
            }
        }
        missingUntilNanos.put(topic, now + rememberMissingFor.toNanos());
    }

    /** How many topics are remembered as missing, expired ones included until they are looked at or evicted. */
    int rememberedMissing() {
        return missingUntilNanos.size();
    }

    /**
     * Asks the cluster whether a partition can take {@code acks=all} writes right now. Completes with the
     * reason it cannot (no leader, or fewer in-sync replicas than {@code min.insync.replicas} requires),
     * or empty when it can, or when the cluster did not answer: without an answer the failure is treated
     * as an outage, never as a property of the record. Concurrent questions about one partition share one
     * request.
     */
    public CompletableFuture<Optional<String>> unwritableReason(String topic, int partition) {
        TopicPartition key = new TopicPartition(topic, partition);
        CompletableFuture<Optional<String>> result = new CompletableFuture<>();
        CompletableFuture<Optional<String>> running = writabilityChecksInFlight.putIfAbsent(key, result);
        if (running != null) {
            return running;
        }
        askWhyUnwritable(topic, partition).whenComplete((reason, failure) -> {
            writabilityChecksInFlight.remove(key, result);
            result.complete(failure == null ? reason : Optional.empty());
        });
        return result;
    }

    private CompletableFuture<Optional<String>> askWhyUnwritable(String topic, int partition) {
        ConfigResource topicConfig = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        var description = admin.describeTopics(List.of(topic),
                new DescribeTopicsOptions().timeoutMs((int) checkTimeout.toMillis())).topicNameValues().get(topic);
        var config = admin.describeConfigs(List.of(topicConfig),
                new DescribeConfigsOptions().timeoutMs((int) checkTimeout.toMillis())).values().get(topicConfig);
        return description.toCompletionStage().thenCombine(config.toCompletionStage(), (topicDescription, topicConfigs) -> {
            TopicPartitionInfo info = topicDescription.partitions().stream()
                    .filter(candidate -> candidate.partition() == partition)
                    .findFirst().orElse(null);
            if (info == null) {
                return Optional.<String>empty();
            }
            ConfigEntry minIsrEntry = topicConfigs.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
            int minIsr = minIsrEntry == null || minIsrEntry.value() == null ? 1 : Integer.parseInt(minIsrEntry.value());
            return unwritableReason(topic, info, minIsr);
        }).exceptionally(noAnswer -> Optional.empty()).toCompletableFuture();
    }

    /**
     * Kafka caps {@code min.insync.replicas} at the replication factor, so a partition with one replica is
     * writable whenever it has a leader.
     */
    static Optional<String> unwritableReason(String topic, TopicPartitionInfo info, int minInSyncReplicas) {
        if (info.leader() == null || info.leader().isEmpty()) {
            return Optional.of("partition " + info.partition() + " of topic '" + topic + "' has no leader");
        }
        int required = Math.min(minInSyncReplicas, info.replicas().size());
        if (info.isr().size() < required) {
            return Optional.of("partition " + info.partition() + " of topic '" + topic + "' has " + info.isr().size()
                    + " in-sync replica(s), fewer than min.insync.replicas=" + minInSyncReplicas + " requires");
        }
        return Optional.empty();
    }

    /**
     * Asks the cluster whether {@code topic} exists, without remembering the answer (with auto-creation on, a
     * topic that does not exist yet is no problem): true, false, or empty when the cluster did not answer in time.
     */
    public CompletableFuture<Optional<Boolean>> exists(String topic) {
        return admin.describeTopics(List.of(topic), new DescribeTopicsOptions().timeoutMs((int) checkTimeout.toMillis()))
                .allTopicNames().toCompletionStage()
                .handle((descriptions, failure) -> failure == null ? Optional.of(true)
                        : FailureKind.unwrap(failure) instanceof UnknownTopicOrPartitionException ? Optional.of(false)
                        : Optional.<Boolean>empty())
                .toCompletableFuture();
    }

    /**
     * Makes sure the bridge can write to {@code topic}: it exists, or is created now with the cluster's default
     * partitions and replication factor (as Kafka Connect creates its dead-letter queue), and the bridge's principal
     * may write to it. Answers {@link Writability#unknown} when the cluster does not answer within the check
     * timeout: whether the topic works is then learnt from the first write.
     */
    public Writability ensureWritable(String topic) {
        long timeoutMillis = checkTimeout.toMillis();
        try {
            TopicDescription description;
            try {
                description = describeWithAuthorizedOperations(topic, timeoutMillis);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
                try {
                    admin.createTopics(List.of(new NewTopic(topic, Optional.empty(), Optional.empty())),
                            new CreateTopicsOptions().timeoutMs((int) timeoutMillis)).all()
                            .get(timeoutMillis + 1000, TimeUnit.MILLISECONDS);
                } catch (ExecutionException notCreated) {
                    if (!(notCreated.getCause() instanceof TopicExistsException)) {
                        return Writability.refused("it does not exist and could not be created ("
                                + describe(notCreated.getCause()) + ")");
                    }
                }
                description = describeJustCreated(topic, timeoutMillis);
            }
            Set<AclOperation> operations = description.authorizedOperations();
            // Null when the broker does not report operations; ALL covers WRITE.
            if (operations != null && !operations.contains(AclOperation.WRITE) && !operations.contains(AclOperation.ALL)) {
                return Writability.refused("the bridge's Kafka principal is not allowed to write to it");
            }
            return Writability.WRITABLE;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof AuthorizationException) {
                return Writability.refused("the bridge's Kafka principal may not see it (" + describe(cause) + ")");
            }
            return Writability.unknown(describe(cause));
        } catch (java.util.concurrent.TimeoutException e) {
            return Writability.unknown("no answer from the cluster within " + checkTimeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Writability.unknown("interrupted");
        }
    }

    /**
     * A topic just created reaches the brokers' metadata a moment later: until then a describe answers that it does
     * not exist. Asked again for at most the check timeout.
     */
    private TopicDescription describeJustCreated(String topic, long timeoutMillis)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            try {
                return describeWithAuthorizedOperations(topic, timeoutMillis);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
    }

    private TopicDescription describeWithAuthorizedOperations(String topic, long timeoutMillis)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        return admin.describeTopics(List.of(topic), new DescribeTopicsOptions().timeoutMs((int) timeoutMillis)
                .includeAuthorizedOperations(true)).allTopicNames().get(timeoutMillis + 1000, TimeUnit.MILLISECONDS)
                .get(topic);
    }

    private static String describe(Throwable failure) {
        return failure.getClass().getSimpleName() + ": " + failure.getMessage();
    }

    /**
     * The outcome of {@link #ensureWritable}: writable, refused (with the reason), or unknown (the cluster did not
     * answer; with what happened instead).
     */
    public record Writability(State state, String reason) {

        public enum State { WRITABLE, REFUSED, UNKNOWN }

        static final Writability WRITABLE = new Writability(State.WRITABLE, null);

        static Writability refused(String reason) {
            return new Writability(State.REFUSED, reason);
        }

        static Writability unknown(String reason) {
            return new Writability(State.UNKNOWN, reason);
        }
    }


    @Override
    public void close() {
        prober.shutdownNow();
        admin.close(Duration.ofSeconds(2));
    }
}
