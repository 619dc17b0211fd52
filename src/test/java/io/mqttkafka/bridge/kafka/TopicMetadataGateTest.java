package io.mqttkafka.bridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gate's bookkeeping with a producer whose metadata lookups the test releases by hand: sends to a topic
 * whose lookup is running wait and then run in order on the owner thread, a lookup's failure reaches every
 * waiting send, and other topics are not held back.
 */
class TopicMetadataGateTest {

    private final ExecutorService owner = Executors.newSingleThreadExecutor();
    private final GatedProducer producer = new GatedProducer();
    /** Topics the cluster says do not exist; any other exists. */
    private final Set<String> missing = ConcurrentHashMap.newKeySet();
    private final TopicMetadataGate gate = new TopicMetadataGate(owner,
            topic -> CompletableFuture.completedFuture(Optional.of(!missing.contains(topic))));
    private final List<String> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        gate.close();
        owner.shutdownNow();
    }

    @Test
    void sendsWaitForTheirTopicsLookupAndRunInOrderWhileOtherTopicsPass() throws Exception {
        CountDownLatch slow = producer.hold("slow");
        onOwner(() -> gate.whenReady(producer, "slow", () -> events.add("slow-1"), failure -> events.add("failed")));
        onOwner(() -> gate.whenReady(producer, "slow", () -> events.add("slow-2"), failure -> events.add("failed")));
        onOwner(() -> gate.whenReady(producer, "fast", () -> events.add("fast-1"), failure -> events.add("failed")));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("fast-1"));
        assertThat(events).containsExactly("fast-1");

        slow.countDown();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 3);
        assertThat(events).containsExactly("fast-1", "slow-1", "slow-2");

        onOwner(() -> gate.whenReady(producer, "slow", () -> events.add("slow-3"), failure -> events.add("failed")));
        assertThat(events).as("a known topic is sent at once").endsWith("slow-3");
        assertThat(producer.lookups("slow")).isEqualTo(1);
    }

    @Test
    void aFailedLookupReachesEveryWaitingSendAndTheNextSendLooksUpAgain() throws Exception {
        producer.failWith("missing", new TimeoutException("Topic missing not present in metadata after 10 ms."));
        CountDownLatch lookup = producer.hold("missing");
        onOwner(() -> gate.whenReady(producer, "missing", () -> events.add("sent-1"), failure -> events.add("failed-1")));
        onOwner(() -> gate.whenReady(producer, "missing", () -> events.add("sent-2"), failure -> events.add("failed-2")));
        lookup.countDown();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 2);
        assertThat(events).containsExactly("failed-1", "failed-2");

        producer.failWith("missing", null);
        onOwner(() -> gate.whenReady(producer, "missing", () -> events.add("sent-3"), failure -> events.add("failed-3")));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 3);
        assertThat(events).endsWith("sent-3");

        onOwner(() -> gate.forget(producer, "missing"));
        onOwner(() -> gate.whenReady(producer, "missing", () -> events.add("sent-4"), failure -> events.add("failed-4")));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 4);
        assertThat(producer.lookups("missing")).as("forgotten topics are looked up again").isEqualTo(3);
    }

    /**
     * Lookups of topics that do not exist can each hold a thread for {@code max.block.ms}: any number of them, more
     * than there are lookup threads, holds back no lookup of a topic that exists.
     */
    @Test
    void lookupsOfMissingTopicsHoldBackNoLookupOfATopicThatExists() throws Exception {
        List<CountDownLatch> held = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String topic = "missing-" + i;
            missing.add(topic);
            held.add(producer.hold(topic));
            onOwner(() -> gate.whenReady(producer, topic, () -> events.add(topic), failure -> events.add("failed")));
        }
        Awaitility.await("the missing topics' lookups hold their threads").atMost(Duration.ofSeconds(10))
                .until(() -> producer.lookups("missing-0") == 1 && producer.lookups("missing-3") == 1);
        onOwner(() -> gate.whenReady(producer, "exists", () -> events.add("exists"), failure -> events.add("failed")));
        Awaitility.await("the topic that exists is sent").atMost(Duration.ofSeconds(10))
                .until(() -> events.contains("exists"));
        assertThat(events).containsExactly("exists");
        held.forEach(CountDownLatch::countDown);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 13);
    }

    private void onOwner(Runnable task) throws Exception {
        owner.submit(task).get(10, TimeUnit.SECONDS);
    }

    /** {@code partitionsFor} blocks on a latch per topic, or fails, as the test says. */
    private static final class GatedProducer extends MockProducer<byte[], byte[]> {
        private final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();
        private final Map<String, RuntimeException> failures = new ConcurrentHashMap<>();
        private final Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();

        GatedProducer() {
            super(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        }

        CountDownLatch hold(String topic) {
            CountDownLatch latch = new CountDownLatch(1);
            holds.put(topic, latch);
            return latch;
        }

        void failWith(String topic, RuntimeException failure) {
            if (failure == null) {
                failures.remove(topic);
            } else {
                failures.put(topic, failure);
            }
        }

        int lookups(String topic) {
            return lookups.getOrDefault(topic, new AtomicInteger()).get();
        }

        @Override
        public List<PartitionInfo> partitionsFor(String topic) {
            lookups.computeIfAbsent(topic, t -> new AtomicInteger()).incrementAndGet();
            CountDownLatch hold = holds.get(topic);
            if (hold != null) {
                try {
                    hold.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            RuntimeException failure = failures.get(topic);
            if (failure != null) {
                throw failure;
            }
            return List.of();
        }
    }
}
