package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.BridgeProcess;
import io.mqttkafka.bridge.testing.KafkaBrokerProcess;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.PacedLoad;
import io.mqttkafka.bridge.testing.SharedBrokers;

/**
 * The fault-injection suite: the packaged bridge as a process with a small heap, and a steady paced load in both
 * directions at all three QoS levels that flows from before each fault, through it and its healing, until after
 * the recovery (a side whose broker is stopped sits out, as real clients of a stopped broker must). Each fault is
 * injected right after a batch was sent, and the suite asserts from the timestamps (when each message was sent,
 * when Kafka appended it or the subscriber received it) that messages of both directions were in flight when the
 * fault began, and that the load was sent during the fault and after it healed. Every scenario counts, per
 * direction and QoS, what was sent, delivered, lost and duplicated, and asserts: QoS 1 and 2 lose nothing; MQTT →
 * Kafka QoS 2 has no duplicates (except after a kill, where they are counted: the known limit); QoS 0 loses at
 * most what was counted as dropped for that direction (where a bridge or broker that lives on is the one
 * dropping); the bridge process never runs out of memory and settles everything within a stated time after the
 * load ends. Counts go to {@code target/fault-injection-report.txt}.
 *
 * <p>{@code -Dfault.soak=true} runs the same scenarios with ten times the messages and longer faults.
 */
class FaultInjectionIT {

    private static final boolean SOAK = Boolean.getBoolean("fault.soak");
    /**
     * The steady load: {@link #BATCH} messages per QoS and direction every {@link #BATCH_PERIOD} (250 msg/s each, 1,500
     * msg/s in all), from before the fault until after the recovery.
     */
    private static final int BATCH = 10;
    private static final Duration BATCH_PERIOD = Duration.ofMillis(40);
    /** Load before the fault, and after it healed (once the bridge is ready again). */
    private static final Duration RAMP = SOAK ? Duration.ofSeconds(12) : Duration.ofMillis(1200);
    private static final Duration RECOVERY = RAMP;
    /** Messages per QoS in the paced stream of the oversized-record scenario. */
    private static final int PER_PHASE = SOAK ? 3_000 : 300;
    private static final Duration OUTAGE = SOAK ? Duration.ofSeconds(30) : Duration.ofSeconds(6);
    private static final Duration OVERLOAD = SOAK ? Duration.ofSeconds(60) : Duration.ofSeconds(12);
    private static final int OVERLOAD_MAX = SOAK ? 60_000 : 4_000;
    /** After a fault heals, everything must have arrived within this time. */
    private static final Duration HEAL_DEADLINE = Duration.ofSeconds(SOAK ? 300 : 90);
    private static final String HEAP = "160m";
    /**
     * The bridge's {@code max.block.ms} in the suite: the longest the first message to a missing topic holds the
     * sender, the one retry bound poison can impose on the messages behind it.
     */
    private static final Duration MAX_BLOCK = Duration.ofSeconds(2);
    /** Processing time allowed on top of {@link #MAX_BLOCK} on a loaded 2-core machine. */
    private static final Duration PROBE_SLACK = Duration.ofSeconds(3);
    private static final Path REPORT = Path.of("target", "fault-injection-report.txt");

    private static KafkaBrokerProcess kafka;

    @BeforeAll
    static void startKafka() {
        kafka = KafkaBrokerProcess.start(Map.of("auto.create.topics.enable", "false"));
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    @Test
    void kafkaBrokerStoppedAndRestarted() throws Exception {
        try (Run run = new Run("kafka-restart", "")) {
            run.loadFor(RAMP);
            // MQTT → Kafka keeps receiving while Kafka is away, and the test's producer keeps producing into its
            // buffer: both streams go on through the outage.
            run.inject(() -> {
                // Nothing can be produced to a stopped Kafka (the test's producer would block on metadata): the
                // Kafka side of the load pauses until Kafka is back.
                run.kafkaSourceUp = false;
                kafka.stop();
            }, () -> {
                kafka.startAgain();
                run.kafkaSourceUp = true;
            });
            run.awaitReadiness(503, "Kafka down");
            run.loadFor(OUTAGE);
            run.heal();
            run.awaitReadiness(200, "Kafka back");
            run.loadFor(RECOVERY);
            run.assertOutcome(true);
        }
    }

    @Test
    void mqttBrokerStoppedAndRestartedWithItsSessions() throws Exception {
        try (Run run = new Run("mqtt-restart", "")) {
            run.loadFor(RAMP);
            // Kafka → MQTT keeps consuming while the broker is away; MQTT → Kafka has nothing to receive.
            run.inject(() -> {
                // Devices cannot publish to a stopped broker either (the test's publisher would block once its
                // client-side queue is full): the MQTT side of the load pauses until the broker is back. The
                // publisher's flows finish before the broker stops: HiveMQ CE, restarted, took QoS 2 PUBLISHes that
                // the publisher sent again on reconnect for flows in flight at the stop as new messages (10
                // duplicates in one CI run), which are the broker's, not the bridge's. Its flows with the bridge are
                // left in flight, which is what this scenario is about.
                run.mqttSourceUp = false;
                CompletableFuture.allOf(run.mqttAcks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                SharedBrokers.mqtt().stop();
            }, () -> {
                SharedBrokers.mqtt().startAgain();
                run.mqttSourceUp = true;
            });
            run.awaitReadiness(503, "MQTT broker down");
            run.loadFor(OUTAGE);
            run.heal();
            run.awaitReadiness(200, "MQTT broker back");
            run.loadFor(RECOVERY);
            run.assertOutcome(true);
        }
    }

    @Test
    void bridgeKilledAndRestartedWithTheSameClientId() throws Exception {
        try (Run run = new Run("bridge-kill", "")) {
            run.loadFor(RAMP);
            run.inject(() -> run.bridge.kill(), () -> {
                run.bridge.start();
                run.bridge.awaitSubscribed(3);
            });
            run.loadFor(RAMP);
            run.heal();
            run.loadFor(RECOVERY);
            // A QoS 2 message whose Kafka write was acknowledged but whose PUBREC did not leave before the kill
            // is redelivered and written again: counted, not asserted away.
            run.assertOutcome(false);
        }
    }

    @Test
    void kafkaBrokerFrozenSoAcksLagBySeconds() throws Exception {
        try (Run run = new Run("kafka-slow", "")) {
            run.loadFor(RAMP);
            run.inject(kafka::pause, kafka::resume);
            run.loadFor(OUTAGE);
            run.heal();
            run.loadFor(RECOVERY);
            run.assertOutcome(true);
        }
    }

    @Test
    void publisherFasterThanKafkaAcceptsForAWhile() throws Exception {
        try (Run run = new Run("overload", "")) {
            run.loadFor(RAMP);
            run.inject(() -> run.throttleBridgeProducers(16 * 1024), () -> run.throttleBridgeProducers(0));
            // On top of the steady load, as fast as the broker takes it: far more than the 16 KiB/s Kafka now
            // takes from the bridge.
            long end = System.nanoTime() + OVERLOAD.toNanos();
            int sent = 0;
            while (System.nanoTime() < end && sent < OVERLOAD_MAX) {
                List<CompletableFuture<?>> acks = run.publishMqtt("burst", sent, sent + 100);
                sent += 100;
                CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            }
            run.heal();
            run.loadFor(RECOVERY);
            run.assertOutcome(true);
        }
    }

    @Test
    void poisonMessagesMixedIntoTheStream() throws Exception {
        // Poison of every kind, interleaved with the steady stream: a rendered topic Kafka cannot have, a topic
        // that does not exist (auto-creation is off), a record larger than its topic accepts, and Kafka records
        // without the key their MQTT topic needs.
        try (Run run = new Run("poison", """
                    - name: odd
                      filter: %1$s/odd/{name}
                      qos: 1
                      kafka-topic: odd.{name}
                    - name: missing
                      filter: %1$s/missing/{name}
                      qos: 1
                      kafka-topic: absent-{name}
                    - name: big
                      filter: %1$s/big/+
                      qos: 1
                      kafka-topic: %2$s
                """)) {
            run.loadFor(RAMP);
            int rounds = 5;
            Map<String, Long> probesSentAt = new HashMap<>();
            for (int i = 0; i < rounds; i++) {
                int round = i;
                // A good message right behind the poison: how long it takes to reach Kafka is the delay the poison
                // imposed on the stream (the probe's QoS 1 topic stamps records with the broker's append time). Each
                // round's probe is awaited before the next round's poison, so every delay is one round's own: at
                // QoS 1/2 HiveMQ CE sends nothing new while the missing-topic message is unacknowledged, so rounds
                // faster than max.block.ms would add their waits up in the broker (DeadLetterTest shows the bridge
                // does not add them up behind Mosquitto).
                String probe = "probe1-" + i;
                run.inject(() -> {
                    run.publisher.publish(run.root + "/odd/has space " + round, bytes("odd-" + round), 1);
                    run.publisher.publish(run.root + "/missing/t" + round, bytes("missing-" + round), 1);
                    run.publisher.publish(run.root + "/big/b" + round, new byte[8 * 1024], 1);
                    run.producer.send(run.sourceTopic(1), (byte[]) null, bytes("no-key-" + round));
                    probesSentAt.put(probe, System.currentTimeMillis());
                    run.publishMqtt("probe", round, round + 1);
                }, () -> { });
                Awaitility.await(probe + " in Kafka").atMost(HEAL_DEADLINE).pollInterval(Duration.ofMillis(200))
                        .until(() -> run.probeDelaysMillis(Map.of(probe, 0L)).containsKey(probe));
            }
            run.heal();
            run.loadFor(RECOVERY);
            run.assertOutcome(true);
            Map<String, Long> probeDelays = run.probeDelaysMillis(probesSentAt);
            assertThat(probeDelays.keySet()).as("probes in Kafka").containsExactlyInAnyOrderElementsOf(probesSentAt.keySet());
            long worstProbeDelay = Collections.max(probeDelays.values());
            run.report(String.format("%-14s a good message right behind poison reached Kafka after at most %d ms "
                    + "(bound: max.block.ms %d ms + %d ms; each: %s)%n", run.scenario, worstProbeDelay, MAX_BLOCK.toMillis(),
                    PROBE_SLACK.toMillis(), new java.util.TreeMap<>(probeDelays)));
            assertThat(worstProbeDelay).as("delay poison imposes on the stream behind it (ms)")
                    .isLessThanOrEqualTo(MAX_BLOCK.plus(PROBE_SLACK).toMillis());
            int expectedPoison = 4 * rounds;
            Awaitility.await("every poison message dead-lettered").atMost(HEAL_DEADLINE)
                    .until(() -> run.deadLetters().size() == expectedPoison);
            Map<String, Long> reasons = run.deadLetters().stream()
                    .map(r -> KafkaTestConsumer.header(r, BridgeHeaders.DLQ_REASON))
                    .collect(Collectors.groupingBy(reason -> reason.substring(0, reason.indexOf(':')), Collectors.counting()));
            assertThat(reasons).containsEntry("invalid-topic", 5L).containsEntry("topic-missing", 5L)
                    .containsEntry("record-too-large", 5L).containsEntry("invalid-mqtt-topic", 5L);
        }
    }

    /**
     * Issue 23's second tried scenario, under a paced stream: Mosquitto with {@code message_size_limit 1000} (not
     * announced in CONNACK), Kafka records paced into one partition with a 2,000-byte one in the middle. Mosquitto
     * answers the oversized MQTT 5 publish with a reason code the client must treat as a protocol error, so the
     * connection ends; before, every publish in flight was retried, the big one again, without end. Now the big one is
     * dead-lettered after ending 3 connections as the only publish in flight, and the stream around it arrives.
     */
    @Test
    void oversizedRecordEndsTheConnectionOfABrokerThatDoesNotAnnounceItsLimit() throws Exception {
        MosquittoProcess.assumeInstalledUnlessCi("this scenario needs Mosquitto's message_size_limit.");
        String root = SharedBrokers.unique("fault-oversized");
        String source = root + ".to-mqtt";
        String deadLetterTopic = root + ".dead-letter";
        String bridgeId = SharedBrokers.unique("fault-bridge");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(source, 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
        int small = 3 * PER_PHASE;
        try (MosquittoProcess mosquitto = MosquittoProcess.start("message_size_limit 1000\n");
                MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(mosquitto.port(), 5, 1, root + "/out/#");
                KafkaTestProducer producer = new KafkaTestProducer(kafka.bootstrapServers());
                BridgeProcess bridge = BridgeProcess.prepare(BridgeProcess.connectionYaml(bridgeId,
                        SharedBrokers.unique("fault-client"), kafka.bootstrapServers(), mosquitto.port()) + """
                          dead-letter-topic: %s
                          kafka-to-mqtt:
                            - name: out
                              kafka-topic: %s
                              mqtt-topic: %s/out/{key}
                              qos: 1
                        """.formatted(deadLetterTopic, source, root), Map.of()).heap(HEAP).start()) {
            bridge.awaitLog("assigned");
            // The big record goes out in the middle batch: the stream is flowing before, during and after it.
            int batches = small / BATCH;
            long[] bigSentAt = new long[1];
            List<Future<RecordMetadata>> acks = new CopyOnWriteArrayList<>();
            try (PacedLoad load = PacedLoad.start(batches, BATCH_PERIOD, batch -> {
                for (int i = batch * BATCH; i < (batch + 1) * BATCH; i++) {
                    if (i == small / 2) {
                        bigSentAt[0] = System.currentTimeMillis();
                        acks.add(producer.send(source, "big", new byte[2000]));
                    }
                    acks.add(producer.send(source, "small", bytes("small-" + i)));
                }
                producer.flush();
            })) {
                assertThat(load.await(HEAL_DEADLINE)).as("paced load sent").isTrue();
            }
            KafkaTestProducer.flushAndWait(acks);

            List<ConsumerRecord<byte[], byte[]>> deadLetters = KafkaTestConsumer.readAtLeast(kafka.bootstrapServers(),
                    deadLetterTopic, 1, HEAL_DEADLINE);
            long deadLetteredAfter = java.time.Instant.parse(KafkaTestConsumer.header(deadLetters.get(0),
                    BridgeHeaders.DLQ_TIME)).toEpochMilli() - bigSentAt[0];
            assertThat(deadLetters).singleElement().satisfies(record -> assertThat(
                    KafkaTestConsumer.header(record, BridgeHeaders.DLQ_REASON)).startsWith("publish-ends-connection:"));
            List<String> expected = IntStream.range(0, small).mapToObj(i -> "small-" + i).toList();
            Awaitility.await("every small record at the subscriber").atMost(HEAL_DEADLINE).until(() ->
                    subscriber.received().stream().map(MqttTestSubscriber.Received::text).toList().containsAll(expected));
            Map<String, Long> copies = subscriber.received().stream().collect(Collectors.groupingBy(
                    MqttTestSubscriber.Received::text, Collectors.counting()));
            long duplicates = copies.values().stream().mapToLong(c -> c - 1).sum();
            report(String.format("%-14s %d small records paced around one of 2,000 bytes behind Mosquitto's "
                    + "message_size_limit 1000: all arrived (%d duplicates); the big one dead-lettered "
                    + "(publish-ends-connection) %d ms after it was produced%n", "oversized", small, duplicates,
                    deadLetteredAfter));
            assertThat(bridge.isAlive()).isTrue();
        }
    }

    private static void report(String line) throws IOException {
        System.out.print(line);
        Files.writeString(REPORT, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** A fault, or what heals it. */
    @FunctionalInterface
    private interface Fault {
        void run() throws Exception;
    }

    /** One scenario's bridge, brokers' topics, load and counts. */
    private static final class Run implements AutoCloseable {

        final String scenario;
        final String root;
        final String bridgeId;
        final BridgeProcess bridge;
        final KafkaTestProducer producer;
        final MqttTestSubscriber subscriber;
        final MqttTestClient publisher;
        final List<CompletableFuture<?>> mqttAcks = new CopyOnWriteArrayList<>();
        final List<Future<RecordMetadata>> kafkaAcks = new CopyOnWriteArrayList<>();
        final List<String> mqttPublished = new CopyOnWriteArrayList<>();
        final List<String> kafkaProduced = new CopyOnWriteArrayList<>();
        private final String clientId;
        private final String deadLetterTopic;
        private final long brokerDropsAtStart;
        /** When each id was published or produced, for telling what was in flight when the fault began. */
        private final Map<String, Long> sentAtMillis = new ConcurrentHashMap<>();
        private final AtomicInteger batchesSent = new AtomicInteger();
        private final AtomicReference<CountDownLatch> afterNextBatch = new AtomicReference<>();
        private final PacedLoad load;
        private volatile long faultBeganAt;
        private volatile long faultHealedAt;
        private volatile Fault healing;
        /** False while Kafka is stopped: the Kafka side of the load pauses. */
        volatile boolean kafkaSourceUp = true;
        /** False while the MQTT broker is stopped: the MQTT side of the load pauses. */
        volatile boolean mqttSourceUp = true;
        private volatile boolean kafkaSourcePaused;
        private volatile boolean mqttSourcePaused;

        Run(String scenario, String extraMappings) throws Exception {
            this.scenario = scenario;
            this.root = SharedBrokers.unique("fault-" + scenario);
            this.bridgeId = SharedBrokers.unique("fault-bridge");
            this.clientId = SharedBrokers.unique("fault-client");
            this.deadLetterTopic = root + ".dead-letter";
            List<NewTopic> topics = new ArrayList<>();
            for (int qos = 0; qos <= 2; qos++) {
                // Append time: the poison scenario reads when a record reached Kafka from its timestamp.
                topics.add(new NewTopic(kafkaTopic(qos), 3, (short) 1)
                        .configs(Map.of("message.timestamp.type", "LogAppendTime")));
                topics.add(new NewTopic(sourceTopic(qos), 3, (short) 1));
            }
            // The dead-letter topic is not created here: auto-creation is off, as in production, and the bridge
            // creates it at startup (before, the first dead letter then stalled MQTT → Kafka for good).
            topics.add(new NewTopic(root + ".big", 1, (short) 1).configs(Map.of("max.message.bytes", "4096")));
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
            }
            StringBuilder mappings = new StringBuilder();
            StringBuilder reverse = new StringBuilder();
            for (int qos = 0; qos <= 2; qos++) {
                mappings.append("""
                            - name: q%1$d
                              filter: %2$s/q%1$d/+
                              qos: %1$d
                              kafka-topic: %3$s
                        """.formatted(qos, root, kafkaTopic(qos)));
                reverse.append("""
                            - name: back-q%1$d
                              kafka-topic: %2$s
                              mqtt-topic: %3$s/out/q%1$d/{key}
                              qos: %1$d
                        """.formatted(qos, sourceTopic(qos), root));
            }
            mappings.append(extraMappings.formatted(root, root + ".big"));
            String yaml = BridgeProcess.connectionYaml(bridgeId, clientId, kafka.bootstrapServers()) + """
                        properties:
                          max.block.ms: %d
                      dead-letter-topic: %s
                      mqtt-to-kafka:
                    %s
                      kafka-to-mqtt:
                    %s
                    """.formatted(MAX_BLOCK.toMillis(), deadLetterTopic, mappings, reverse);
            this.brokerDropsAtStart = SharedBrokers.mqtt().droppedMessages();
            this.subscriber = MqttTestSubscriber.subscribePersistent(SharedBrokers.mqtt().port(), 2, root + "/out/#");
            this.producer = new KafkaTestProducer(kafka.bootstrapServers());
            this.publisher = MqttTestClient.connectPersistent(SharedBrokers.mqtt().port());
            this.bridge = BridgeProcess.prepare(yaml, Map.of()).heap(HEAP).start();
            bridge.awaitSubscribed(3 + (extraMappings.isEmpty() ? 0 : 3));
            bridge.awaitLog("assigned");
            // Until the run's outcome is counted: through the fault and the recovery, never paused.
            this.load = PacedLoad.start(Integer.MAX_VALUE, BATCH_PERIOD, this::sendBatch);
        }

        String kafkaTopic(int qos) {
            return root + ".from-mqtt.q" + qos;
        }

        String sourceTopic(int qos) {
            return root + ".to-mqtt.q" + qos;
        }

        /**
         * One batch of the steady load, both directions, every QoS; a side whose broker is stopped sits the batch out
         * (a client of a stopped broker can only block), the other side goes on.
         */
        private void sendBatch(int batch) {
            int from = batch * BATCH;
            mqttSourcePaused |= !mqttSourceUp;
            if (mqttSourceUp) {
                publishMqtt("m", from, from + BATCH);
            }
            kafkaSourcePaused |= !kafkaSourceUp;
            for (int qos = 0; qos <= 2 && kafkaSourceUp; qos++) {
                for (int i = from; i < from + BATCH; i++) {
                    String id = "k" + qos + "-" + i;
                    kafkaProduced.add(id);
                    sentAtMillis.put(id, System.currentTimeMillis());
                    kafkaAcks.add(producer.send(sourceTopic(qos), "device-" + (i % 30), bytes(id)));
                }
            }
            batchesSent.incrementAndGet();
            CountDownLatch waiting = afterNextBatch.getAndSet(null);
            if (waiting != null) {
                waiting.countDown();
            }
        }

        /**
         * Waits while the steady load sends {@code duration}'s worth of batches: the fault or the recovery lasts
         * as long as the load takes to send them, and the wait fails if the load stops flowing.
         */
        void loadFor(Duration duration) {
            int target = batchesSent.get() + (int) (duration.toMillis() / BATCH_PERIOD.toMillis());
            Awaitility.await("steady load flowing for " + duration).atMost(duration.multipliedBy(3).plusSeconds(10))
                    .pollInterval(Duration.ofMillis(20)).until(() -> {
                        assertThat(load.failure()).as("steady load failed").isNull();
                        return batchesSent.get() >= target;
                    });
        }

        /**
         * Injects {@code fault} right after the load has sent a batch, so that messages are in flight when it begins;
         * the first injection is when the fault began. {@code healing} ends it: at {@link #heal()}, or when the run
         * closes, so that a failed scenario does not leave its fault to the next.
         */
        void inject(Fault fault, Fault healing) throws Exception {
            CountDownLatch batchSent = new CountDownLatch(1);
            afterNextBatch.set(batchSent);
            assertThat(batchSent.await(30, TimeUnit.SECONDS)).as("the steady load sent a batch").isTrue();
            if (faultBeganAt == 0) {
                faultBeganAt = System.currentTimeMillis();
            }
            this.healing = healing;
            fault.run();
        }

        /** Ends the fault; the load goes on. */
        void heal() throws Exception {
            Fault pending = healing;
            healing = null;
            if (pending != null) {
                pending.run();
            }
            faultHealedAt = System.currentTimeMillis();
        }

        /** Publishes ids {@code from..to-1} at each QoS; returns the broker's acks of the QoS 1/2 ones. */
        List<CompletableFuture<?>> publishMqtt(String label, int from, int to) {
            List<CompletableFuture<?>> acks = new ArrayList<>();
            for (int qos = 0; qos <= 2; qos++) {
                for (int i = from; i < to; i++) {
                    String id = label + qos + "-" + i;
                    mqttPublished.add(id);
                    sentAtMillis.put(id, System.currentTimeMillis());
                    CompletableFuture<?> ack = publisher.publish(root + "/q" + qos + "/t" + (i % 8), bytes(id), qos);
                    if (qos > 0) {
                        acks.add(ack);
                    }
                }
            }
            mqttAcks.addAll(acks);
            return acks;
        }

        void awaitReadiness(int status, String why) {
            Awaitility.await("readiness " + status + " (" + why + ")").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250)).until(() -> bridge.readinessStatus() == status);
        }

        void throttleBridgeProducers(int bytesPerSecond) throws Exception {
            List<ClientQuotaAlteration> alterations = new ArrayList<>();
            for (String profile : List.of("reliable", "fast")) {
                alterations.add(new ClientQuotaAlteration(
                        new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, clientId + "-" + profile)),
                        List.of(new ClientQuotaAlteration.Op("producer_byte_rate",
                                bytesPerSecond > 0 ? (double) bytesPerSecond : null))));
            }
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.alterClientQuotas(alterations).all().get(30, TimeUnit.SECONDS);
            }
        }

        List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> deadLetters() {
            return KafkaTestConsumer.readAvailable(kafka.bootstrapServers(), deadLetterTopic, Duration.ofMillis(500));
        }

        /**
         * Stops the load, waits for every QoS 1/2 message in both directions and for every QoS 0 loss to be counted
         * (bounded by the heal deadline), then counts and asserts per direction and QoS, and that the load was in
         * flight when the fault began and kept flowing through it and the recovery.
         */
        void assertOutcome(boolean qos2WithoutDuplicates) throws Exception {
            load.close();
            CompletableFuture.allOf(mqttAcks.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            KafkaTestProducer.flushAndWait(kafkaAcks);
            long loadEndedAt = System.nanoTime();
            try {
                Awaitility.await(scenario + ": every QoS 1/2 message delivered and every QoS 0 loss counted")
                        .atMost(HEAL_DEADLINE).pollInterval(Duration.ofSeconds(1))
                        .until(() -> directions().stream().allMatch(Direction::settled));
            } catch (org.awaitility.core.ConditionTimeoutException timeout) {
                // Count anyway: the per-direction assertions below say what is missing where.
                System.out.println(scenario + ": not everything arrived within " + HEAL_DEADLINE);
            }
            reportAndAssert(loadEndedAt, qos2WithoutDuplicates);
        }

        /** For each MQTT → Kafka QoS 1 id sent at the given time: milliseconds until Kafka appended its record. */
        Map<String, Long> probeDelaysMillis(Map<String, Long> sentAtMillis) {
            return KafkaTestConsumer.readAvailable(kafka.bootstrapServers(), kafkaTopic(1), Duration.ofMillis(300)).stream()
                    .filter(r -> sentAtMillis.containsKey(new String(r.value(), StandardCharsets.UTF_8)))
                    .collect(Collectors.toMap(r -> new String(r.value(), StandardCharsets.UTF_8),
                            r -> r.timestamp() - sentAtMillis.get(new String(r.value(), StandardCharsets.UTF_8)), Math::max));
        }

        void report(String line) throws IOException {
            FaultInjectionIT.report(line);
        }

        /**
         * QoS 0 losses are counted where they happen: MQTT → Kafka by the bridge ({@code overload} when it cannot keep
         * up, {@code kafka-unavailable} when Kafka does not take the record in time) or by the MQTT broker, which drops
         * QoS 0 for a client that does not keep up (HiveMQ's dropped-messages metric; the broker runs in this JVM);
         * Kafka → MQTT by the bridge ({@code mqtt-publish-failed}). A broker restart or a bridge kill loses QoS 0 that
         * nothing can count (in the broker's memory, in the killed process): those scenarios only report it.
         */
        private boolean qos0LossesCounted() {
            return !scenario.equals("mqtt-restart") && !scenario.equals("bridge-kill");
        }

        private List<Direction> directions() {
            long brokerDrops = SharedBrokers.mqtt().droppedMessages() - brokerDropsAtStart;
            double mqttToKafkaDrops = bridge.metric("bridge_messages_dropped_total", "reason=\"overload\"")
                    + bridge.metric("bridge_messages_dropped_total", "reason=\"kafka-unavailable\"") + brokerDrops;
            double kafkaToMqttDrops = bridge.metric("bridge_messages_dropped_total", "reason=\"mqtt-publish-failed\"");
            List<Direction> directions = new ArrayList<>();
            for (int qos = 0; qos <= 2; qos++) {
                directions.add(new Direction("MQTT → Kafka", qos, expected(mqttPublished, qos), mqttToKafka(qos),
                        mqttToKafkaDrops));
                directions.add(new Direction("Kafka → MQTT", qos, expected(kafkaProduced, qos), kafkaToMqtt(qos),
                        kafkaToMqttDrops));
            }
            return directions;
        }

        /** One direction at one QoS: what was sent (id → time), and when each copy of it arrived. */
        private final class Direction {
            final String name;
            final int qos;
            final Map<String, Long> sent;
            final Map<String, List<Long>> arrivals;
            final double countedDrops;
            final long delivered;
            final long lost;
            final long duplicates;

            Direction(String name, int qos, Set<String> ids, Map<String, List<Long>> arrivals, double countedDrops) {
                this.name = name;
                this.qos = qos;
                this.sent = ids.stream().collect(Collectors.toMap(Function.identity(), sentAtMillis::get));
                this.arrivals = arrivals;
                this.countedDrops = countedDrops;
                this.delivered = ids.stream().filter(arrivals::containsKey).count();
                this.lost = ids.size() - delivered;
                this.duplicates = arrivals.values().stream().mapToLong(copies -> copies.size() - 1).sum();
            }

            boolean settled() {
                return qos > 0 ? lost == 0 : !qos0LossesCounted() || lost <= countedDrops;
            }

            /** Sent before the fault began and arrived after it: in flight when it began. */
            long inFlightAtFault() {
                return sent.entrySet().stream().filter(e -> e.getValue() <= faultBeganAt && arrivals.containsKey(e.getKey())
                        && Collections.min(arrivals.get(e.getKey())) >= faultBeganAt).count();
            }

            long sentBetween(long fromMillis, long toMillis) {
                return sent.values().stream().filter(at -> at > fromMillis && at <= toMillis).count();
            }

            String assertAndReport(boolean qos2WithoutDuplicates) {
                if (qos > 0) {
                    assertThat(lost).as("%s: %s QoS %d lost", scenario, name, qos).isZero();
                }
                if (qos == 2 && qos2WithoutDuplicates && name.startsWith("MQTT")) {
                    assertThat(duplicates).as("%s: %s QoS 2 duplicates", scenario, name).isZero();
                }
                if (qos == 0 && qos0LossesCounted()) {
                    // At most, not equal: a write that timed out is counted as dropped although Kafka may have
                    // appended it before it went away (the acknowledgement was lost, not the record).
                    assertThat((double) lost).as("%s: %s QoS 0 lost vs drops counted for this direction", scenario, name)
                            .isLessThanOrEqualTo(countedDrops);
                }
                long during = sentBetween(faultBeganAt, faultHealedAt);
                long after = sentBetween(faultHealedAt, Long.MAX_VALUE);
                return String.format("%-14s %-13s QoS %d  sent %6d (during the fault %5d, after %5d)  delivered %6d"
                        + "  lost %5d  duplicates %5d  in flight at the fault %3d%n", scenario, name, qos, sent.size(),
                        during, after, delivered, lost, duplicates, inFlightAtFault());
            }
        }

        private void reportAndAssert(long loadEndedAt, boolean qos2WithoutDuplicates) throws IOException {
            long settleSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - loadEndedAt);
            assertThat(bridge.isAlive()).as("bridge process alive with -Xmx%s (no OutOfMemoryError)", HEAP).isTrue();
            List<Direction> directions = directions();
            StringBuilder report = new StringBuilder();
            for (Direction direction : directions) {
                report.append(direction.assertAndReport(qos2WithoutDuplicates));
            }
            report.append(String.format("%-14s everything settled %d s after the load ended; QoS 0 drops counted: MQTT → "
                    + "Kafka %.0f (bridge and broker), Kafka → MQTT %.0f%n", scenario, settleSeconds,
                    directions.get(0).countedDrops, directions.get(1).countedDrops));
            report(report.toString());
            for (String name : List.of("MQTT → Kafka", "Kafka → MQTT")) {
                List<Direction> way = directions.stream().filter(d -> d.name.equals(name)).toList();
                assertThat(way.stream().mapToLong(Direction::inFlightAtFault).sum())
                        .as("%s: %s messages sent before the fault began and delivered after it", scenario, name).isPositive();
                if (name.startsWith("MQTT") ? !mqttSourcePaused : !kafkaSourcePaused) {
                    assertThat(way.stream().mapToLong(d -> d.sentBetween(faultBeganAt, faultHealedAt)).sum())
                            .as("%s: %s messages sent during the fault", scenario, name).isPositive();
                }
                assertThat(way.stream().mapToLong(d -> d.sentBetween(faultHealedAt, Long.MAX_VALUE)).sum())
                        .as("%s: %s messages sent after it healed", scenario, name).isPositive();
            }
        }

        private static Set<String> expected(List<String> ids, int qos) {
            return ids.stream().filter(id -> id.charAt(id.indexOf('-') - 1) == (char) ('0' + qos)
                    && !id.startsWith("no-key")).collect(Collectors.toSet());
        }

        /** Per id, when Kafka appended each copy (the topics stamp records with log-append time). */
        private Map<String, List<Long>> mqttToKafka(int qos) {
            return KafkaTestConsumer.readAvailable(kafka.bootstrapServers(), kafkaTopic(qos), Duration.ofMillis(300))
                    .stream().collect(Collectors.groupingBy(r -> new String(r.value(), StandardCharsets.UTF_8),
                            Collectors.mapping(ConsumerRecord::timestamp, Collectors.toList())));
        }

        /** Per id, when the subscriber received each copy. */
        private Map<String, List<Long>> kafkaToMqtt(int qos) {
            String prefix = root + "/out/q" + qos + "/";
            return subscriber.received().stream().filter(m -> m.topic().startsWith(prefix))
                    .collect(Collectors.groupingBy(MqttTestSubscriber.Received::text,
                            Collectors.mapping(MqttTestSubscriber.Received::receivedAtMillis, Collectors.toList())));
        }

        @Override
        public void close() throws Exception {
            load.close();
            try {
                heal();
            } finally {
                bridge.close();
                publisher.close();
                subscriber.close();
                producer.close();
            }
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static {
        try {
            Files.createDirectories(REPORT.getParent());
            Files.deleteIfExists(REPORT);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
