package io.mqttkafka.bridge.kafka;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.kafka.clients.producer.Producer;

/**
 * Keeps the wait for a new topic's metadata off the thread that sends. {@code producer.send()} blocks until
 * the producer knows the record's topic: a few milliseconds for a topic that exists (or that the cluster
 * creates on that request), but {@code max.block.ms} for one that does not exist. On the one sender thread
 * that would hold back every other topic's records behind one poison message, and a burst of messages to
 * several missing topics would add their waits up. So the first send to a topic the producer has not been
 * seen to know is parked, together with every later send to that topic, while a lookup thread asks the
 * producer ({@code partitionsFor}, the same wait and the same auto-creation as a send); when it answers, the
 * parked sends run on the sender thread in their order, or each learns the failure. The cluster is asked first whether
 * the topic exists, to keep the lookups that can take {@code max.block.ms} apart from those that cannot.
 *
 * <p>{@link #whenReady} must be called on the owner's thread (the sender); the continuations run there too.
 */
public final class TopicMetadataGate implements AutoCloseable {

    /** Beyond this many known topics the set is started afresh: forgetting one only costs a lookup. */
    private static final int MAX_KNOWN_TOPICS = 10_000;
    private static final int LOOKUP_THREADS = 4;

    private final Executor owner;
    private final Function<String, CompletableFuture<Optional<Boolean>>> exists;
    /** Lookups of topics the cluster said exist: answered in milliseconds. */
    private final ExecutorService lookups = lookupPool("kafka-topic-metadata");
    /**
     * Lookups of topics the cluster said do not exist (or did not answer about): each may hold its thread for
     * {@code max.block.ms} (auto-creation off). Kept apart, so that any number of missing topic names (rendered from
     * levels devices choose) delays only one another, never the first message to a topic that exists.
     */
    private final ExecutorService slowLookups = lookupPool("kafka-topic-metadata-missing");
    /** Topics (per producer) whose metadata the producer was seen to have; any thread may forget one. */
    private final Set<Key> known = ConcurrentHashMap.newKeySet();
    /** Owner thread only: the sends waiting for a lookup in progress, in arrival order. */
    private final Map<Key, List<Parked>> parked = new HashMap<>();

    /**
     * @param owner runs the continuations; the sender's single-thread executor
     * @param exists asks the cluster whether a topic exists: true, false, or empty without an answer (see
     *        {@link TopicPresence#exists})
     */
    public TopicMetadataGate(Executor owner, Function<String, CompletableFuture<Optional<Boolean>>> exists) {
        this.owner = owner;
        this.exists = exists;
    }

    private static ExecutorService lookupPool(String threadName) {
        return Executors.newFixedThreadPool(LOOKUP_THREADS, runnable -> {
            Thread thread = new Thread(runnable, threadName);
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Runs {@code send} now if {@code producer} knows {@code topic}; otherwise once it does, after the sends
     * parked before it for the same topic. If the lookup fails (e.g. the topic is not there after
     * {@code max.block.ms}), {@code failed} gets the exception instead.
     */
    public void whenReady(Producer<?, ?> producer, String topic, Runnable send, Consumer<RuntimeException> failed) {
        Key key = new Key(producer, topic);
        if (known.contains(key)) {
            send.run();
            return;
        }
        List<Parked> waiting = parked.get(key);
        if (waiting != null) {
            waiting.add(new Parked(send, failed));
            return;
        }
        waiting = new ArrayList<>();
        waiting.add(new Parked(send, failed));
        parked.put(key, waiting);
        exists.apply(topic).whenComplete((answer, noAnswer) ->
                lookUp(answer != null && answer.orElse(false) ? lookups : slowLookups, key, producer, topic));
    }

    private void lookUp(ExecutorService pool, Key key, Producer<?, ?> producer, String topic) {
        try {
            pool.execute(() -> {
                RuntimeException failure = null;
                try {
                    producer.partitionsFor(topic);
                } catch (RuntimeException e) {
                    failure = e;
                }
                RuntimeException outcome = failure;
                try {
                    owner.execute(() -> release(key, outcome));
                } catch (RejectedExecutionException closed) {
                    // the sender stopped: the parked messages stay unacknowledged and are redelivered
                }
            });
        } catch (RejectedExecutionException closed) {
            // shutting down: the parked messages stay unacknowledged and are redelivered
        }
    }

    /** A send to {@code topic} failed as if the topic were gone: look it up again before the next send. */
    public void forget(Producer<?, ?> producer, String topic) {
        known.remove(new Key(producer, topic));
    }

    private void release(Key key, RuntimeException failure) {
        List<Parked> waiting = parked.remove(key);
        if (failure == null) {
            if (known.size() >= MAX_KNOWN_TOPICS) {
                known.clear();
            }
            known.add(key);
        }
        if (waiting == null) {
            return;
        }
        for (Parked send : waiting) {
            if (failure == null) {
                send.send.run();
            } else {
                send.failed.accept(failure);
            }
        }
    }

    @Override
    public void close() {
        lookups.shutdownNow();
        slowLookups.shutdownNow();
    }

    /** Identity of the producer: each producer instance has metadata of its own. */
    private record Key(Producer<?, ?> producer, String topic) {
        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && key.producer == producer && key.topic.equals(topic);
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(producer) * 31 + topic.hashCode();
        }
    }

    private record Parked(Runnable send, Consumer<RuntimeException> failed) {
    }
}
