package io.mqttkafka.bridge.benchmark;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import io.mqttkafka.bridge.benchmark.BenchCase.Kind;
import io.mqttkafka.bridge.kafka.ProducerProfile;
import io.mqttkafka.bridge.testing.BridgeProcess;
import io.mqttkafka.bridge.testing.MosquittoProcess;

/**
 * Runs one repetition of one case against the {@link BenchmarkRig}: starts the receiving side, resets the peak
 * RSS of the process under test, sends, waits for every message or a stall, and measures.
 */
final class CaseRunner implements AutoCloseable {

    /** No new arrival for this long ends a case that must deliver everything: FAILED. */
    static final Duration STALL = Duration.ofSeconds(15);
    /** An at-most-once case may lose messages; this much quiet after the last send means the rest is lost. */
    static final Duration LOSS_QUIET = Duration.ofSeconds(5);
    static final int PACED_RATE = 2_000;
    /** The bridge's own count of the QoS 0 messages it gave up (reasons: overload, kafka-unavailable, ...). */
    static final String BRIDGE_DROPPED = "bridge_messages_dropped_total";
    /** Minimum quiet time between cases, and how long the broker gets to empty its store afterwards. */
    private static final Duration SETTLE_MIN = Duration.ofSeconds(2);
    private static final Duration SETTLE_MAX = Duration.ofSeconds(30);

    private final BenchmarkRig rig;
    private final LoadPublisher publisher;
    private final BrokerUnderTest broker;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AtomicLong runIds = new AtomicLong();
    private long storedBaseline;

    /** Runs cases against the rig's own Mosquitto. */
    CaseRunner(BenchmarkRig rig, LoadPublisher publisher) {
        this(rig, publisher, BrokerUnderTest.rigMosquitto(rig.mosquitto()));
    }

    /** Runs the drain and bridge MQTT → Kafka cases against {@code broker}, with a {@code publisher} connected to it. */
    CaseRunner(BenchmarkRig rig, LoadPublisher publisher, BrokerUnderTest broker) {
        this.rig = rig;
        this.publisher = publisher;
        this.broker = broker;
        // A safe, typical producer feeds the topics the bridge reads: the bridge's own QoS 1 producer settings
        // (acks=all, idempotent, its linger and batch size, and bench.bridge.kafka-properties), so that
        // latency-kafka is the Kafka hop of latency-m2k.
        Map<String, Object> settings = new HashMap<>(ProducerProfile.RELIABLE.defaults());
        settings.keySet().retainAll(List.of(ProducerConfig.LINGER_MS_CONFIG, ProducerConfig.BATCH_SIZE_CONFIG));
        settings.putAll(BenchmarkRig.bridgeKafkaProperties());
        settings.putAll(ProducerProfile.RELIABLE.policySettings());
        settings.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, rig.bootstrapServers());
        this.producer = new KafkaProducer<>(settings, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * Records the broker's idle message store, the level {@link #settle()} waits for between cases (the rig's Mosquitto;
     * other brokers publish no such count).
     */
    void recordIdleBaseline() {
        awaitQuiet();
        if (broker.sys() != null) {
            storedBaseline = broker.sys().sysValue(MosquittoProcess.STORED);
        }
    }

    /** Runs one repetition; any harness or process error becomes a FAILED result rather than ending the run. */
    CaseResult run(BenchCase benchCase, int rep, int messages, Duration pacedDuration) {
        int count = benchCase.paced() ? (int) (pacedDuration.toSeconds() * PACED_RATE) : messages;
        try {
            return switch (benchCase.kind()) {
                case KAFKA_LIMIT -> runProducerPerformance(benchCase, rep, count);
                case BRIDGE_K2M, LATENCY_K2M, METERS_OFF_K2M -> runKafkaToMqtt(benchCase, rep, count);
                case LATENCY_KAFKA -> runKafkaOnly(benchCase, rep, count);
                default -> runMqttPublished(benchCase, rep, count);
            };
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted during " + benchCase.name(), e);
        } catch (Exception e) {
            return new CaseResult(benchCase, rep, count, 0, 0, 0, null, null, null, null, null, e.toString(), null, null);
        } finally {
            settle();
        }
    }

    /** Drain, bridge and naive MQTT → Kafka cases, and the paced MQTT → Kafka latency case. */
    private CaseResult runMqttPublished(BenchCase benchCase, int rep, int count) throws Exception {
        // The topic's QoS level is the case's (it names the bridge's mapping); messages travel at what the broker takes.
        int qos = benchCase.qos();
        int delivered = benchCase.deliveredQos();
        int size = benchCase.size();
        long runId = runIds.incrementAndGet();
        ArrivalCounter counter = new ArrivalCounter(runId, count, benchCase.paced());
        String topic;
        AutoCloseable receiver;
        Long pid;
        BridgeProcess bridge = null;
        switch (benchCase.kind()) {
            case DRAIN, LATENCY_DRAIN -> {
                topic = BenchmarkRig.drainTopic(qos, size);
                receiver = MqttArrivals.subscribe(broker.port(), broker.protocol(), "drain-subscriber-" + runId, topic,
                        delivered, counter);
                pid = broker.pid();
            }
            case DRAIN_TLS -> {
                topic = BenchmarkRig.drainTlsTopic(qos, size);
                receiver = MqttArrivals.subscribeOverTls(rig.mosquitto().securePort(), rig.tlsCaCertificate(),
                        "drain-tls-subscriber-" + runId, topic, qos, counter);
                pid = rig.mosquitto().pid();
            }
            case NAIVE_M2K -> {
                topic = BenchmarkRig.naiveMqttTopic(qos, size);
                receiver = KafkaArrivals.fromEnd(rig.bootstrapServers(), BenchmarkRig.naiveKafkaTopic(qos), counter);
                pid = rig.naivePeer(qos).pid();
            }
            case BRIDGE_M2K, LATENCY_M2K, METERS_OFF_M2K -> {
                boolean off = benchCase.metersOff();
                topic = BenchmarkRig.m2kMqttTopic(qos, size, off);
                receiver = KafkaArrivals.fromEnd(rig.bootstrapServers(), BenchmarkRig.m2kKafkaTopic(qos, size, off),
                        counter);
                bridge = !benchCase.broker().isEmpty() ? rig.brokerBridge(benchCase.broker())
                        : off ? rig.bridgeWithoutMeters() : rig.bridge();
                pid = bridge.pid();
            }
            case BRIDGE_M2K_EOS, LATENCY_M2K_EOS -> {
                // Read read_committed, as every Kafka consumer of the harness: a record of an aborted transaction is
                // never counted, and one commits only with its transaction, which is the latency exactly-once adds.
                topic = BenchmarkRig.m2kExactlyOnceMqttTopic(size);
                receiver = KafkaArrivals.fromEnd(rig.bootstrapServers(), BenchmarkRig.m2kExactlyOnceKafkaTopic(size),
                        counter);
                bridge = rig.exactlyOnceBridge();
                pid = bridge.pid();
            }
            case BRIDGE_M2K_TLS -> {
                topic = BenchmarkRig.m2kTlsMqttTopic(qos, size);
                receiver = KafkaArrivals.fromEnd(rig.bootstrapServers(), BenchmarkRig.m2kTlsKafkaTopic(qos, size), counter);
                bridge = rig.tlsBridge();
                pid = bridge.pid();
            }
            default -> throw new IllegalArgumentException("Not an MQTT-published case: " + benchCase.name());
        }
        try (receiver) {
            boolean brokerMeasured = benchCase.kind() == Kind.DRAIN || benchCase.kind() == Kind.LATENCY_DRAIN
                    || benchCase.kind() == Kind.DRAIN_TLS;
            Measurement measurement = Measurement.start(pid, rig, broker, brokerMeasured ? null : pid, bridge);
            LoadPublisher.Sent sent = benchCase.paced()
                    ? publisher.publishPaced(topic, delivered, count, size, runId, PACED_RATE)
                    : publisher.publishAtFullSpeed(topic, delivered, count, size, runId);
            boolean complete = sent.problem() == null && counter.awaitComplete(benchCase.atMostOnce() ? LOSS_QUIET : STALL);
            String problem = sent.problem();
            if (problem == null && !complete && !benchCase.atMostOnce()) {
                problem = "stall: no arrival for " + STALL.toSeconds() + " s";
            }
            if (benchCase.kind() == Kind.NAIVE_M2K && !rig.naivePeer(qos).isAlive()) {
                problem = "naive peer exited (log: " + rig.naivePeer(qos).log() + ")";
            }
            return measurement.finish(benchCase, rep, count, counter, sent.firstSendNanos(), problem);
        } finally {
            if (benchCase.kind() == Kind.NAIVE_M2K && counter.unique() < count) {
                // Its overflow buffer may have failed the channel for good; the next repetition starts fresh.
                rig.restartNaivePeer(qos, publisher);
            }
        }
    }

    /** Kafka → MQTT through the bridge: full speed, or paced for latency. */
    private CaseResult runKafkaToMqtt(BenchCase benchCase, int rep, int count) throws Exception {
        int qos = benchCase.qos();
        long runId = runIds.incrementAndGet();
        ArrivalCounter counter = new ArrivalCounter(runId, count, benchCase.paced());
        boolean off = benchCase.metersOff();
        String kafkaTopic = BenchmarkRig.k2mKafkaTopic(qos, off);
        try (MqttArrivals receiver = MqttArrivals.subscribe(rig.mosquitto().port(), "k2m-subscriber-" + runId,
                BenchmarkRig.k2mMqttTopic(qos, off), qos, counter)) {
            BridgeProcess bridge = off ? rig.bridgeWithoutMeters() : rig.bridge();
            Measurement measurement = Measurement.start(bridge.pid(), rig, broker, bridge.pid(), bridge);
            return produceAndAwait(benchCase, rep, count, runId, kafkaTopic, counter, measurement);
        }
    }

    /**
     * The Kafka hop alone, paced: the harness producer (acks=all, idempotent, 5 ms linger: the bridge's QoS 1
     * settings) → Kafka → a consumer. CPU and RSS are the harness's own; only the latency is the point.
     */
    private CaseResult runKafkaOnly(BenchCase benchCase, int rep, int count) throws Exception {
        long runId = runIds.incrementAndGet();
        ArrivalCounter counter = new ArrivalCounter(runId, count, benchCase.paced());
        String topic = BenchmarkRig.latencyKafkaTopic();
        try (KafkaArrivals receiver = KafkaArrivals.fromEnd(rig.bootstrapServers(), topic, counter)) {
            Measurement measurement = Measurement.start(ProcessHandle.current().pid(), rig, broker, null, null);
            return produceAndAwait(benchCase, rep, count, runId, topic, counter, measurement);
        }
    }

    /** Sends {@code count} records to {@code kafkaTopic} (paced if the case is), then waits for the arrivals. */
    private CaseResult produceAndAwait(BenchCase benchCase, int rep, int count, long runId, String kafkaTopic,
            ArrivalCounter counter, Measurement measurement) throws InterruptedException {
        AtomicLong failed = new AtomicLong();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        long intervalNanos = benchCase.paced() ? TimeUnit.SECONDS.toNanos(1) / PACED_RATE : 0;
        long startNanos = System.nanoTime();
        for (int sequence = 0; sequence < count; sequence++) {
            long intendedNanos = LoadPublisher.awaitSlot(startNanos, sequence, intervalNanos);
            producer.send(new ProducerRecord<>(kafkaTopic,
                    BenchPayload.encode(sequence, intendedNanos, runId, benchCase.size())), (metadata, error) -> {
                        if (error != null) {
                            failed.incrementAndGet();
                            firstFailure.compareAndSet(null, error);
                        }
                    });
        }
        producer.flush();
        String problem = failed.get() > 0 ? failed.get() + " Kafka sends failed: " + firstFailure.get() : null;
        boolean complete = problem == null && counter.awaitComplete(benchCase.atMostOnce() ? LOSS_QUIET : STALL);
        if (problem == null && !complete && !benchCase.atMostOnce()) {
            problem = "stall: no arrival for " + STALL.toSeconds() + " s";
        }
        return measurement.finish(benchCase, rep, count, counter, startNanos, problem);
    }

    private CaseResult runProducerPerformance(BenchCase benchCase, int rep, int count) throws Exception {
        Path log = rig.workDir().resolve(benchCase.name() + "-rep" + rep + ".log");
        ProducerPerfRun.Summary summary = ProducerPerfRun.run(rig.bootstrapServers(),
                BenchmarkRig.kafkaLimitTopic(benchCase.size()), count, benchCase.size(), log, Duration.ofMinutes(10));
        return new CaseResult(benchCase, rep, count, summary.records(), 0, summary.recordsPerSecond(), null, null, null,
                null, null, null, null, null);
    }

    /**
     * Waits at least {@link #SETTLE_MIN} (so the next $SYS update covers the case just run) and until the broker's
     * store is back at its idle level; a broker that does not empty its store is reported, not fatal.
     */
    private void settle() {
        if (broker.sys() == null) {
            awaitQuiet();
            return;
        }
        try {
            Awaitility.await("broker store back to " + storedBaseline).pollDelay(SETTLE_MIN).atMost(SETTLE_MAX)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> broker.sys().sysValue(MosquittoProcess.STORED) <= storedBaseline);
        } catch (ConditionTimeoutException e) {
            System.out.println("  (broker store still at " + broker.sys().sysValue(MosquittoProcess.STORED)
                    + " messages after " + SETTLE_MAX.toSeconds() + " s; idle level " + storedBaseline + ")");
        }
    }

    private void awaitQuiet() {
        // A fixed quiet period, polled rather than slept: lets the $SYS tree publish a full round first.
        long start = System.nanoTime();
        Awaitility.await("quiet period").pollDelay(SETTLE_MIN.plusSeconds(1)).atMost(SETTLE_MAX)
                .until(() -> System.nanoTime() - start >= SETTLE_MIN.toNanos());
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }

    /**
     * CPU and peak RSS of the process under test, the CPU of every process of the path, and the broker's and the
     * bridge's drop counters, around one case.
     */
    private record Measurement(Long pid, MosquittoProcess sys, double cpuStart, CpuBreakdown.Probe cpu,
            ThreadBreakdown.Probe peerThreads, Long droppedStart, BridgeProcess bridge, Double bridgeDroppedStart) {

        /**
         * @param pid the process under test, or null where it cannot be measured (a broker without a process of its own)
         * @param peerPid the bridge or naive peer on the path, or null
         * @param bridge the bridge when it is on the path, or null
         */
        static Measurement start(Long pid, BenchmarkRig rig, BrokerUnderTest broker, Long peerPid, BridgeProcess bridge) {
            if (pid != null) {
                ProcStats.resetPeakRss(pid);
            }
            MosquittoProcess sys = broker.sys();
            return new Measurement(pid, sys, pid == null ? 0 : ProcStats.cpuSeconds(pid),
                    broker.pid() == null ? null : CpuBreakdown.Probe.start(broker.pid(), rig.kafkaPid(), peerPid),
                    peerPid == null ? null : ThreadBreakdown.Probe.start(peerPid),
                    sys == null ? null : sys.sysValue(MosquittoProcess.DROPPED), bridge, bridgeDropped(bridge));
        }

        /**
         * The bridge's count of dropped messages, every reason, or null when it cannot be read (no bridge on the
         * path, or it exited: a restarted bridge counts from zero). Null is the safe answer: a QoS 0 loss that the
         * count cannot explain stays a LOSS.
         */
        private static Double bridgeDropped(BridgeProcess bridge) {
            if (bridge == null || !bridge.isAlive()) {
                return null;
            }
            try {
                return bridge.metric(BRIDGE_DROPPED, "");
            } catch (RuntimeException unreadable) {
                return null;
            }
        }

        /**
         * Reads CPU and RSS now (while the process surely lives) and the drop counter after a $SYS round, then
         * computes the rate as unique arrivals over the time from the first send to the last arrival.
         */
        CaseResult finish(BenchCase benchCase, int rep, int expected, ArrivalCounter counter, long firstSendNanos,
                String problem) {
            Double cpuPer100k = null;
            Long peakRss = null;
            CpuBreakdown breakdown = null;
            ThreadBreakdown threads = null;
            try {
                if (pid != null) {
                    cpuPer100k = (ProcStats.cpuSeconds(pid) - cpuStart) / expected * 100_000;
                    peakRss = ProcStats.peakRssKb(pid);
                }
                breakdown = cpu == null ? null : cpu.since(expected);
                threads = peerThreads == null ? null : peerThreads.since(expected);
            } catch (IllegalStateException processGone) {
                problem = problem != null ? problem : "process under test exited";
            }
            long unique = counter.unique();
            double seconds = (counter.lastArrivalNanos() - firstSendNanos) / 1e9;
            double rate = unique == 0 || seconds <= 0 ? 0 : unique / seconds;
            Long dropped = null;
            if (sys != null) {
                awaitNextSysRound();
                dropped = sys.sysValue(MosquittoProcess.DROPPED) - droppedStart;
            }
            Double bridgeDroppedEnd = bridgeDropped(bridge);
            Long bridgeDrops = bridgeDroppedStart == null || bridgeDroppedEnd == null ? null
                    : Math.round(bridgeDroppedEnd - bridgeDroppedStart);
            return new CaseResult(benchCase, rep, expected, unique, counter.duplicates(), rate, cpuPer100k, peakRss,
                    dropped, bridgeDrops, counter.latency(), problem, breakdown, threads);
        }

        private static void awaitNextSysRound() {
            long start = System.nanoTime();
            // $SYS is published once a second: wait just over one round, polling rather than sleeping.
            Awaitility.await("next $SYS round").pollDelay(Duration.ofMillis(1_200)).atMost(Duration.ofSeconds(5))
                    .until(() -> System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(1_200));
        }
    }
}
