package io.mqttkafka.bridge.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;
import static org.assertj.core.api.Assertions.tuple;

import java.io.FileOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import io.mqttkafka.bridge.benchmark.BenchCase.Kind;

/** The pure parts of the benchmark report: statistics, status rules, ratios, ProducerPerformance output. */
class ResultTableTest {

    /** The bridge's default {@code bridge.kafka.transaction-interval}, for the tables that need one. */
    private static final Duration TRANSACTION_INTERVAL = Duration.ofMillis(100);

    @ParameterizedTest(name = "{0} -> median {1}, min {2}, max {3}")
    @CsvSource(delimiter = '|', value = {
            "5           | 5   | 5 | 5",
            "3 1 2       | 2   | 1 | 3",
            "4 1 3 2     | 2.5 | 1 | 4",
            "10 10 1 100 | 10  | 1 | 100",
    })
    void spreadIsMedianMinAndMax(String values, double median, double min, double max) {
        List<Double> parsed = Arrays.stream(values.trim().split(" +")).map(Double::valueOf).toList();

        assertThat(ResultTable.Spread.of(parsed)).isEqualTo(new ResultTable.Spread(median, min, max));
    }

    @Test
    void spreadOfNothingIsAbsent() {
        assertThat(ResultTable.Spread.of(List.of())).isNull();
    }

    @ParameterizedTest(name = "{0}, missing {1}, duplicates {2}, bridge drops {3}, problem {4} -> {5}")
    @CsvSource(delimiter = '|', nullValues = "null", value = {
            "bridge-m2k-q1-256  | 0  | 0 | 0    | null                       | OK",
            "bridge-m2k-q0-256  | 0  | 0 | 0    | null                       | OK",
            "bridge-m2k-q0-256  | 12 | 0 | 0    | null                       | LOSS",
            "bridge-m2k-q1-256  | 12 | 0 | 0    | null                       | FAILED: 12 missing",
            "bridge-m2k-q1-256  | 12 | 0 | 0    | stall: no arrival for 15 s | FAILED: stall: no arrival for 15 s",
            "naive-m2k-q0-256   | 0  | 0 | null | naive peer exited          | FAILED: naive peer exited",
            "bridge-m2k-q1-256  | 0  | 3 | 0    | null                       | OK",
            "naive-m2k-q1-256   | 0  | 3 | null | null                       | OK",
            "bridge-m2k-q2-256  | 0  | 3 | 0    | null                       | FAILED: 3 duplicates",
            "bridge-m2k-q2-256  | 12 | 3 | 0    | null                       | FAILED: 12 missing, 3 duplicates",
            "drain-q2-4096      | 0  | 2 | null | null                       | FAILED: 2 duplicates",
            // Exactly-once and paced QoS 2 promise once as bridge-m2k at QoS 2 does.
            "bridge-m2k-eos-q2-256  | 0  | 0 | 0 | null                   | OK",
            "bridge-m2k-eos-q2-256  | 0  | 3 | 0 | null                   | FAILED: 3 duplicates",
            "bridge-m2k-eos-q2-256  | 5  | 0 | 0 | null                   | FAILED: 5 missing",
            "latency-m2k-eos-q2-256 | 0  | 1 | 0 | null                   | FAILED: 1 duplicates",
            "latency-m2k-q2-256     | 0  | 2 | 0 | null                   | FAILED: 2 duplicates",
            "latency-m2k-q1-256     | 0  | 2 | 0 | null                   | OK",
            // QoS 0 over capacity: the bridge gives up what Kafka cannot take, and counts every one.
            "bridge-m2k-q0-4096 | 12 | 0 | 12   | null                       | DROPPED",
            "bridge-k2m-q0-256  | 12 | 0 | 12   | null                       | DROPPED",
            "bridge-m2k-q0-4096 | 12 | 0 | 10   | null                       | LOSS",
            "bridge-m2k-q0-4096 | 12 | 0 | 14   | null                       | LOSS",
            "bridge-m2k-q0-4096 | 12 | 0 | null | null                       | LOSS",
            "naive-m2k-q0-4096  | 12 | 0 | null | null                       | LOSS",
            "drain-q0-256       | 12 | 0 | null | null                       | LOSS",
            "bridge-m2k-q1-4096 | 12 | 0 | 12   | null                       | FAILED: 12 missing",
    })
    void statusRules(String caseName, long missing, long duplicates, Long bridgeDrops, String problem, String expected) {
        assertThat(ResultTable.status(benchCase(caseName), missing, duplicates, bridgeDrops, 0L, problem))
                .isEqualTo(expected);
    }

    /**
     * Against a broker of {@code bench.brokers} whose drops cannot be read (brokerDrops null), QoS 0 messages the bridge
     * did not count may be the broker's: UNATTRIBUTED, which does not fail the run. Everything else keeps its rule: what
     * the bridge counted exactly is DROPPED, more than was missing is LOSS (a counting error), and QoS 1/2 must arrive.
     */
    @ParameterizedTest(name = "{0}@{1}: missing {2}, bridge drops {3}, broker drops {4} -> {5}")
    @CsvSource(delimiter = '|', nullValues = "null", value = {
            "bridge-m2k-q0-256 | hivemq    | 12 | 0    | null | UNATTRIBUTED",
            "bridge-m2k-q0-256 | hivemq    | 12 | 5    | null | UNATTRIBUTED",
            "bridge-m2k-q0-256 | hivemq    | 12 | 12   | null | DROPPED",
            "bridge-m2k-q0-256 | hivemq    | 12 | 14   | null | LOSS",
            "drain-q0-256      | hivemq    | 12 | null | null | UNATTRIBUTED",
            "bridge-m2k-q0-256 | hivemq    | 0  | 0    | null | OK",
            "bridge-m2k-q1-256 | hivemq    | 12 | 0    | null | FAILED: 12 missing",
            // Where the broker's drops are read (the rig's Mosquitto), a loss nothing counted stays a LOSS.
            "bridge-m2k-q0-256 | ''        | 12 | 0    | 0    | LOSS",
            "drain-q0-256      | ''        | 12 | null | 0    | LOSS",
    })
    void statusAgainstABrokerWhoseDropsCannotBeRead(String caseName, String broker, long missing, Long bridgeDrops,
            Long brokerDrops, String expected) {
        BenchCase benchCase = broker.isEmpty() ? benchCase(caseName) : benchCase(caseName).on(broker, 2);
        assertThat(ResultTable.status(benchCase, missing, 0, bridgeDrops, brokerDrops, null)).isEqualTo(expected);
    }

    @Test
    void anUnattributedLossIsShownButOutweighedByAnUncountedOne() {
        BenchCase hivemq = benchCase("bridge-m2k-q0-256").on("hivemq", 2);
        CaseResult dropped = new CaseResult(hivemq, 0, 100, 88, 0, 1000, null, null, null, 12L, null, null, null, null);
        CaseResult unattributed = new CaseResult(hivemq, 1, 100, 90, 0, 1000, null, null, null, 0L, null, null, null,
                null);
        assertThat(ResultTable.overallStatus(List.of(dropped, unattributed))).isEqualTo("UNATTRIBUTED 1/2");
        BenchCase rig = benchCase("bridge-m2k-q0-256");
        CaseResult loss = new CaseResult(rig, 2, 100, 90, 0, 1000, null, null, 0L, 0L, null, null, null, null);
        assertThat(ResultTable.overallStatus(List.of(unattributed, loss))).isEqualTo("LOSS 1/2");
    }

    /** A QoS 2 repetition with duplicates fails the case, so its rate is left out like any other failure. */
    @Test
    void qos2DuplicatesFailTheCase() {
        BenchCase q2 = new BenchCase(Kind.BRIDGE_M2K, 2, 256);
        List<CaseResult> results = List.of(
                new CaseResult(q2, 1, 100, 100, 0, 1000, null, null, 0L, null, null, null, null, null),
                new CaseResult(q2, 2, 100, 100, 7, 5000, null, null, 0L, null, null, null, null, null));

        ResultTable.CaseSummary summary = ResultTable.summarise(q2, results);

        assertThat(summary.status()).isEqualTo("FAILED 1/2: 7 duplicates");
        assertThat(summary.rate()).isEqualTo(new ResultTable.Spread(1000, 1000, 1000));
    }

    static Stream<Arguments> atMostOnceCases() {
        return Stream.of(
                Arguments.of(new BenchCase(Kind.BRIDGE_M2K, 0, 256), true),
                Arguments.of(new BenchCase(Kind.BRIDGE_M2K, 1, 256), false),
                Arguments.of(new BenchCase(Kind.BRIDGE_M2K, 2, 4096), false),
                Arguments.of(new BenchCase(Kind.BRIDGE_M2K_EOS, 2, 256), false),
                Arguments.of(new BenchCase(Kind.LATENCY_M2K_EOS, 2, 256), false),
                Arguments.of(new BenchCase(Kind.NAIVE_M2K, 1, 256), true),
                Arguments.of(new BenchCase(Kind.NAIVE_M2K, 2, 256), true),
                Arguments.of(new BenchCase(Kind.DRAIN, 0, 256), true),
                Arguments.of(new BenchCase(Kind.DRAIN, 1, 256), false),
                Arguments.of(new BenchCase(Kind.KAFKA_LIMIT, 0, 256), false),
                Arguments.of(new BenchCase(Kind.BRIDGE_K2M, 0, 256), true),
                Arguments.of(new BenchCase(Kind.LATENCY_DRAIN, 1, 256), false),
                Arguments.of(new BenchCase(Kind.LATENCY_KAFKA, 1, 256), false));
    }

    @ParameterizedTest(name = "{0} at most once: {1}")
    @MethodSource("atMostOnceCases")
    void whichCasesMayLoseMessages(BenchCase benchCase, boolean atMostOnce) {
        assertThat(benchCase.atMostOnce()).isEqualTo(atMostOnce);
    }

    @Test
    void overallStatusIsTheWorstWithItsCount() {
        BenchCase q1 = new BenchCase(Kind.BRIDGE_M2K, 1, 256);
        CaseResult ok = result(q1, 1, 100, null);
        CaseResult stalled = result(q1, 2, 40, "stall: no arrival for 15 s");
        BenchCase q0 = new BenchCase(Kind.BRIDGE_M2K, 0, 256);

        assertThat(ResultTable.overallStatus(List.of(ok, ok))).isEqualTo("OK");
        assertThat(ResultTable.overallStatus(List.of(ok, stalled, ok))).isEqualTo("FAILED 1/3: stall: no arrival for 15 s");
        assertThat(ResultTable.overallStatus(List.of(result(q0, 1, 100, null), result(q0, 2, 90, null))))
                .isEqualTo("LOSS 1/2");
    }

    /** One loss the bridge did not count outweighs any number of counted drops: it is what must not be hidden. */
    @Test
    void anUncountedLossOutweighsCountedDrops() {
        BenchCase q0 = new BenchCase(Kind.BRIDGE_M2K, 0, 4096);
        CaseResult counted = withBridgeDrops(q0, 1, 60, 40L);
        CaseResult uncounted = withBridgeDrops(q0, 2, 60, 39L);
        CaseResult complete = withBridgeDrops(q0, 3, 100, 0L);

        assertThat(ResultTable.overallStatus(List.of(counted, counted, complete))).isEqualTo("DROPPED 2/3");
        assertThat(ResultTable.overallStatus(List.of(counted, uncounted, counted))).isEqualTo("LOSS 1/3");
    }

    @Test
    void theTableShowsTheBridgesDropsBesideTheMissingMessages() {
        BenchCase q0 = new BenchCase(Kind.BRIDGE_M2K, 0, 4096);
        BenchCase drain = new BenchCase(Kind.DRAIN, 0, 4096);
        String table = ResultTable.markdown(List.of(
                ResultTable.summarise(drain, List.of(rated(drain, 1, 1000))),
                ResultTable.summarise(q0, List.of(withBridgeDrops(q0, 1, 60, 40L), withBridgeDrops(q0, 2, 70, 30L)))),
                TRANSACTION_INTERVAL);

        assertThat(table.lines()).contains(
                "| case | status | rate median (msg/s) | min | max | CPU s / 100k | peak RSS MB | duplicates | missing"
                        + " | broker drops | bridge drops | latency p50 ms | p99 ms | p99.9 ms |",
                "| drain-q0-4096 | OK | 1000 | 1000 | 1000 | – | – | 0 | 0 | – | – | – | – | – |",
                "| bridge-m2k-q0-4096 | DROPPED 2/2 | 1000 | 1000 | 1000 | – | – | 0 | 70 | 0 | 70 | – | – | – |");
        assertThat(ResultTable.csv(List.of(withBridgeDrops(q0, 1, 60, 40L))).lines()).containsExactly(
                "case,rep,expected,unique,duplicates,missing,rate_per_s,cpu_s_per_100k,peak_rss_kb,broker_drops,"
                        + "bridge_drops,latency_p50_ms,latency_p99_ms,latency_p999_ms,status",
                "bridge-m2k-q0-4096,1,100,60,0,40,1000.0,,,0,40,,,,\"DROPPED\"");
    }

    /**
     * What bin/benchmark's exit status is made of: every case FAILED or LOSS, and only those. The counted QoS 0
     * overload of bridge-m2k-q0-4096, present in every run, must not fail it.
     */
    @Test
    void theRunFailsOnEveryFailedOrLossCaseAndOnNothingElse() {
        BenchCase q0 = new BenchCase(Kind.BRIDGE_M2K, 0, 4096);
        BenchCase q1 = new BenchCase(Kind.BRIDGE_M2K, 1, 256);
        BenchCase q2 = new BenchCase(Kind.BRIDGE_M2K, 2, 256);
        BenchCase naive = new BenchCase(Kind.NAIVE_M2K, 0, 256);
        BenchCase drain = new BenchCase(Kind.DRAIN, 0, 256);
        List<ResultTable.CaseSummary> passing = List.of(
                ResultTable.summarise(drain, List.of(result(drain, 1, 100, null), result(drain, 2, 100, null))),
                ResultTable.summarise(q0, List.of(withBridgeDrops(q0, 1, 20, 80L), withBridgeDrops(q0, 2, 25, 75L))),
                ResultTable.summarise(q1, List.of(new CaseResult(q1, 1, 100, 100, 4, 1000, null, null, 0L, 0L, null, null,
                        null, null))));
        List<ResultTable.CaseSummary> failing = List.of(
                ResultTable.summarise(q0, List.of(withBridgeDrops(q0, 1, 20, 80L), withBridgeDrops(q0, 2, 20, 79L))),
                ResultTable.summarise(q1, List.of(result(q1, 1, 100, null), result(q1, 2, 40, "stall: no arrival for 15 s"))),
                ResultTable.summarise(q2, List.of(new CaseResult(q2, 1, 100, 100, 1, 1000, null, null, 0L, 0L, null, null,
                        null, null))),
                ResultTable.summarise(naive, List.of(result(naive, 1, 99, null))));

        assertThat(ResultTable.runFailures(passing)).isEmpty();
        assertThat(ResultTable.runFailures(failing)).containsExactly(
                "bridge-m2k-q0-4096: LOSS 1/2",
                "bridge-m2k-q1-256: FAILED 1/2: stall: no arrival for 15 s",
                "bridge-m2k-q2-256: FAILED 1/1: 1 duplicates",
                "naive-m2k-q0-256: LOSS 1/1");
        assertThat(ResultTable.runFailures(Stream.concat(passing.stream(), failing.stream()).toList())).hasSize(4);
    }

    @Test
    void summaryLeavesFailedRepetitionsOutOfTheRate() {
        BenchCase q1 = new BenchCase(Kind.BRIDGE_M2K, 1, 256);
        List<CaseResult> results = List.of(
                new CaseResult(q1, 1, 100, 100, 2, 1000, 5.0, 300_000L, 0L, null, null, null, null, null),
                new CaseResult(q1, 2, 100, 100, 0, 3000, 7.0, 310_000L, 0L, null, null, null, null, null),
                new CaseResult(q1, 3, 100, 10, 0, 99_999, 1.0, 320_000L, 3L, null, null, "stall: no arrival for 15 s", null,
                        null));

        ResultTable.CaseSummary summary = ResultTable.summarise(q1, results);

        assertThat(summary.rate()).isEqualTo(new ResultTable.Spread(2000, 1000, 3000));
        assertThat(summary.cpuSecondsPer100k()).isEqualTo(6.0);
        assertThat(summary.peakRssKb()).isEqualTo(320_000L);
        assertThat(summary.duplicates()).isEqualTo(2);
        assertThat(summary.missing()).isEqualTo(90);
        assertThat(summary.brokerDrops()).isEqualTo(3L);
        assertThat(summary.status()).startsWith("FAILED 1/3");
    }

    /** Each process's share is the median of its own values, over the repetitions that did not fail. */
    @Test
    void cpuBreakdownTakesEachPartsMedianOverUsableRepetitions() {
        BenchCase q1 = new BenchCase(Kind.BRIDGE_M2K, 1, 256);
        List<CaseResult> results = List.of(
                withCpu(q1, 1, null, new CpuBreakdown(2.0, 6.0, 3.0, 2.0, 14.0)),
                withCpu(q1, 2, null, new CpuBreakdown(3.0, 5.0, 4.0, 1.0, 15.0)),
                withCpu(q1, 3, null, new CpuBreakdown(2.5, 7.0, 5.0, 3.0, 19.0)),
                withCpu(q1, 4, "stall: no arrival for 15 s", new CpuBreakdown(90.0, 90.0, 90.0, 90.0, 400.0)));

        CpuBreakdown median = ResultTable.summarise(q1, results).cpuBreakdown();

        assertThat(median).isEqualTo(new CpuBreakdown(2.5, 6.0, 4.0, 2.0, 15.0));
        assertThat(median.other()).isEqualTo(0.5);
    }

    @Test
    void cpuBreakdownTableListsMeasuredCasesOnly() {
        BenchCase drain = new BenchCase(Kind.DRAIN, 1, 256);
        BenchCase bridge = new BenchCase(Kind.BRIDGE_M2K, 1, 256);
        BenchCase kafkaLimit = new BenchCase(Kind.KAFKA_LIMIT, 0, 256);
        String table = ResultTable.cpuBreakdown(List.of(
                ResultTable.summarise(drain, List.of(withCpu(drain, 1, null, new CpuBreakdown(2.5, 0.1, null, 4.0, 7.0)))),
                ResultTable.summarise(kafkaLimit, List.of(result(kafkaLimit, 1, 100, null))),
                ResultTable.summarise(bridge, List.of(withCpu(bridge, 1, null, new CpuBreakdown(2.5, 6.0, 3.25, 2.0, 14.5))))));

        assertThat(table.lines()).containsExactly(
                "| CPU s / 100k messages | Mosquitto | Kafka broker | bridge or naive peer | harness (load and arrivals) | other"
                        + " | whole machine |",
                "|---|---:|---:|---:|---:|---:|---:|",
                "| drain-q1-256 | 2.50 | 0.10 | – | 4.00 | 0.40 | 7.00 |",
                "| bridge-m2k-q1-256 | 2.50 | 6.00 | 3.25 | 2.00 | 0.75 | 14.50 |");
        assertThat(ResultTable.cpuBreakdown(List.of(ResultTable.summarise(kafkaLimit,
                List.of(result(kafkaLimit, 1, 100, null)))))).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "com.hivemq.clie | MQTT client network",
            "mqtt-to-kafka-s | MQTT → Kafka sender",
            "kafka-producer- | Kafka producer network",
            "kafka-to-mqtt-p | Kafka → MQTT poll and publish",
            "C2 CompilerThre | JIT compiler",
            "C1 CompilerThre | JIT compiler",
            "GC Thread#1     | GC",
            "G1 Conc#0       | GC",
            "vert.x-eventloo | other",
            "main            | other"})
    void threadsAreGroupedByWhatTheyDo(String procName, String role) {
        assertThat(ThreadBreakdown.role(procName)).isEqualTo(role);
    }

    /** Each role's share, the sleeps and the system calls are medians over the repetitions that did not fail. */
    @Test
    void threadBreakdownTakesEachRolesMedianAndListsCasesWithAPeerOnly() {
        BenchCase bridge = new BenchCase(Kind.BRIDGE_M2K, 0, 256);
        BenchCase drain = new BenchCase(Kind.DRAIN, 0, 256);
        List<CaseResult> results = List.of(
                withThreads(bridge, 1, null, threads(1.0, 0.5, 0.25, 0.12, 0.5, 0.75)),
                withThreads(bridge, 2, null, threads(3.0, 0.75, 0.5, 0.2, 0.25, 0.5)),
                withThreads(bridge, 3, null, threads(2.0, 0.25, 0.75, 0.1, 1.0, 0.25)),
                withThreads(bridge, 4, "stall: no arrival for 15 s", threads(90.0, 90.0, 90.0, 90.0, 90.0, 90.0)));

        String table = ResultTable.threadBreakdown(List.of(ResultTable.summarise(bridge, results),
                ResultTable.summarise(drain, List.of(result(drain, 1, 100, null)))));

        assertThat(table.lines()).containsExactly(
                "| bridge or naive peer: CPU s / 100k by thread | MQTT client network | MQTT → Kafka sender"
                        + " | Kafka producer network | Kafka → MQTT poll and publish | JIT compiler | GC | other"
                        + " | all threads | thread sleeps / message | read calls / message | write calls / message |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
                "| bridge-m2k-q0-256 | 2.00 | 0.50 | 0.50 | 0.00 | 0.00 | 0.00 | 0.00 | 3.00 | 0.12 | 0.50 | 0.50 |");
        assertThat(ResultTable.threadBreakdown(List.of(ResultTable.summarise(drain,
                List.of(result(drain, 1, 100, null)))))).isEmpty();
    }

    /** Read from this test's own JVM: a thread that slept 50 times is seen with its sleeps, counted from the probe. */
    @Test
    void threadProbeCountsTheSleepsSinceItsStart() throws Exception {
        long self = ProcessHandle.current().pid();
        CountDownLatch slept = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread parker = new Thread(() -> {
            for (int i = 0; i < 50; i++) {
                LockSupport.parkNanos(1_000_000);
            }
            slept.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "probe-parker");
        ThreadBreakdown.Probe beforeStart = ThreadBreakdown.Probe.start(self);
        parker.start();
        try {
            assertThat(slept.await(10, TimeUnit.SECONDS)).isTrue();
            ProcStats.ThreadSample sample = ProcStats.threads(self).values().stream()
                    .filter(thread -> thread.name().equals("probe-parker")).findFirst().orElseThrow();
            ThreadBreakdown sinceBefore = beforeStart.since(1);
            ThreadBreakdown sinceNow = ThreadBreakdown.Probe.start(self).since(1);
            long lifetimeSleeps = ProcStats.threads(self).values().stream()
                    .mapToLong(ProcStats.ThreadSample::voluntarySwitches).sum();

            assertThat(sample.voluntarySwitches()).isGreaterThanOrEqualTo(50);
            assertThat(sinceBefore.sleepsPerMessage()).isGreaterThanOrEqualTo(50);
            // Counted from the probe, not from each thread's start: a probe taken just now sees only what the JVM's
            // threads did while it read them, a small part of their lifetime sleeps (the parker's 50 among them). Not
            // "fewer than 50": in the full test run the JVM holds the threads of many brokers and clients, which
            // sleep over a hundred times while the probe reads /proc.
            assertThat(sinceNow.sleepsPerMessage()).as("sleeps since a probe taken just now, of %d in the threads' lives",
                    lifetimeSleeps).isLessThan(lifetimeSleeps / 4.0);
            assertThat(sinceBefore.cpuPer100kByRole().keySet()).containsExactlyInAnyOrderElementsOf(ThreadBreakdown.ROLES);
        } finally {
            release.countDown();
            parker.join();
        }
    }

    /** Read from this test's own JVM: 50 unbuffered writes to a file are 50 write system calls since the probe. */
    @Test
    void threadProbeCountsTheWriteSystemCallsSinceItsStart(@TempDir Path directory) throws Exception {
        long self = ProcessHandle.current().pid();
        ThreadBreakdown.Probe beforeWrites = ThreadBreakdown.Probe.start(self);
        try (FileOutputStream out = new FileOutputStream(directory.resolve("calls").toFile())) {
            for (int i = 0; i < 50; i++) {
                out.write(i);
            }
        }
        ThreadBreakdown sinceBefore = beforeWrites.since(1);
        ThreadBreakdown sinceNow = ThreadBreakdown.Probe.start(self).since(1);

        assertThat(sinceBefore.writeCallsPerMessage()).isGreaterThanOrEqualTo(50);
        assertThat(sinceNow.writeCallsPerMessage()).as("nothing wrote 50 times in between").isLessThan(50);
    }

    private static ThreadBreakdown threads(double mqttClient, double sender, double producers, double sleeps,
            double reads, double writes) {
        return new ThreadBreakdown(Map.of(ThreadBreakdown.MQTT_CLIENT, mqttClient, ThreadBreakdown.SENDER, sender,
                ThreadBreakdown.KAFKA_PRODUCERS, producers), sleeps, reads, writes);
    }

    private static CaseResult withThreads(BenchCase benchCase, int rep, String problem, ThreadBreakdown threads) {
        return new CaseResult(benchCase, rep, 100, problem == null ? 100 : 10, 0, 1000, null, null, null, null, null, problem,
                null, threads);
    }

    @Test
    void ratiosCompareTheBridgeWithItsReferencesAtTheSameQosAndSize() {
        List<BenchCase> cases = List.of(new BenchCase(Kind.BRIDGE_M2K, 2, 256), new BenchCase(Kind.BRIDGE_K2M, 1, 256),
                new BenchCase(Kind.BRIDGE_M2K_TLS, 1, 256), new BenchCase(Kind.DRAIN_TLS, 1, 256));
        Map<String, Map<Integer, Double>> rates = Map.of(
                "bridge-m2k-q2-256", Map.of(1, 3000.0),
                "bridge-m2k-tls-q1-256", Map.of(1, 5400.0),
                "drain-tls-q1-256", Map.of(1, 9000.0),
                "bridge-m2k-q1-256", Map.of(1, 6000.0),
                "drain-q2-256", Map.of(1, 4000.0),
                "drain-q1-256", Map.of(1, 12000.0),
                "kafka-limit-256", Map.of(1, 60000.0),
                "bridge-k2m-q1-256", Map.of(1, 9000.0));

        List<ResultTable.Ratio> ratios = ResultTable.ratios(cases, rates);

        assertThat(ratios).extracting(ResultTable.Ratio::label, ResultTable.Ratio::numerator,
                ResultTable.Ratio::denominator, ResultTable.Ratio::value).containsExactly(
                tuple("bridge / MQTT drain", "bridge-m2k-q2-256", "drain-q2-256", 0.75),
                tuple("bridge / Kafka ProducerPerformance", "bridge-m2k-q2-256", "kafka-limit-256", 0.05),
                tuple("bridge / naive peer", "bridge-m2k-q2-256", "naive-m2k-q2-256", null),
                tuple("bridge QoS 2 / QoS 1", "bridge-m2k-q2-256", "bridge-m2k-q1-256", 0.5),
                tuple("Kafka→MQTT bridge / bare MQTT publisher", "bridge-k2m-q1-256", "drain-q1-256", 0.75),
                tuple("bridge over TLS / plain TCP", "bridge-m2k-tls-q1-256", "bridge-m2k-q1-256", 0.9),
                tuple("bridge over TLS / MQTT drain over TLS", "bridge-m2k-tls-q1-256", "drain-tls-q1-256", 0.6),
                tuple("MQTT drain over TLS / plain TCP", "drain-tls-q1-256", "drain-q1-256", 0.75));
    }

    @Test
    void aRatioIsOfTheMediansAndItsSpreadIsTakenWithinEachRepetitionBothCasesHave() {
        // Repetition 2 of the bridge failed (absent); repetition 4 ran only for the bridge.
        Map<String, Map<Integer, Double>> rates = Map.of(
                "bridge-m2k-q1-256", Map.of(1, 900.0, 3, 1100.0, 4, 5000.0, 5, 600.0),
                "drain-q1-256", Map.of(1, 1000.0, 2, 1300.0, 3, 1000.0, 5, 1200.0));

        ResultTable.Ratio ratio = ResultTable.ratios(List.of(new BenchCase(Kind.BRIDGE_M2K, 1, 256)), rates).get(0);

        assertThat(ratio.label()).isEqualTo("bridge / MQTT drain");
        assertThat(ratio.value()).as("median 1000 over median 1100").isCloseTo(1000.0 / 1100.0, offset(1e-9));
        assertThat(ratio.perRepetition()).as("repetitions 1, 3 and 5: 0.9, 1.1, 0.5")
                .isEqualTo(new ResultTable.Spread(0.9, 0.5, 1.1));
        assertThat(ResultTable.ratios(List.of(new BenchCase(Kind.BRIDGE_M2K, 0, 256)), rates).get(0).perRepetition())
                .as("no repetition of either case").isNull();
    }

    @Test
    void theRatioTableShowsTheSpreadWithinRepetitions() {
        BenchCase bridge = new BenchCase(Kind.BRIDGE_M2K, 1, 256);
        BenchCase drain = new BenchCase(Kind.DRAIN, 1, 256);
        String table = ResultTable.markdown(List.of(
                ResultTable.summarise(drain, List.of(rated(drain, 1, 1000), rated(drain, 2, 2000), rated(drain, 3, 1000))),
                ResultTable.summarise(bridge, List.of(rated(bridge, 1, 900), rated(bridge, 2, 1000), rated(bridge, 3, 950)))),
                TRANSACTION_INTERVAL);

        assertThat(table).contains("| ratio of median rates | case | reference | ratio | within a repetition: min | max |\n")
                .contains("| bridge / MQTT drain | bridge-m2k-q1-256 | drain-q1-256 | 0.95 | 0.50 | 0.95 |\n");
    }

    @Test
    void latencyBreakdownTakesBothHopsOffTheBridgePath() {
        List<ResultTable.CaseSummary> summaries = List.of(
                latencySummary(new BenchCase(Kind.LATENCY_M2K, 1, 256), new ArrivalCounter.Latency(5, 18, 30)),
                latencySummary(new BenchCase(Kind.LATENCY_DRAIN, 1, 256), new ArrivalCounter.Latency(1, 4, 9)),
                latencySummary(new BenchCase(Kind.LATENCY_KAFKA, 1, 256), new ArrivalCounter.Latency(3, 8, 12)));

        assertThat(ResultTable.latencyBreakdown(summaries)).isEqualTo("""
                | latency (ms) | p50 | p99 | p99.9 |
                |---|---:|---:|---:|
                | MQTT hop alone (latency-drain-q1-256) | 1.00 | 4.00 | 9.00 |
                | Kafka hop alone (latency-kafka-256) | 3.00 | 8.00 | 12.00 |
                | both hops, summed | 4.00 | 12.00 | 21.00 |
                | latency-m2k-q1-256 | 5.00 | 18.00 | 30.00 |
                | left for the bridge in latency-m2k-q1-256 | 1.00 | 6.00 | 9.00 |
                """);
    }

    @Test
    void latencyBreakdownNeedsBothHops() {
        List<ResultTable.CaseSummary> summaries = List.of(
                latencySummary(new BenchCase(Kind.LATENCY_M2K, 1, 256), new ArrivalCounter.Latency(5, 18, 30)),
                latencySummary(new BenchCase(Kind.LATENCY_DRAIN, 1, 256), new ArrivalCounter.Latency(1, 4, 9)));

        assertThat(ResultTable.latencyBreakdown(summaries)).isEmpty();
    }

    @Test
    void producerPerformanceSummaryIsTheLastLineWithPercentiles() {
        String output = """
                54535 records sent, 10904.8 records/sec (2.66 MB/sec), 1863.0 ms avg latency, 3214.0 ms max latency.
                200000 records sent, 87450.8 records/sec (21.35 MB/sec), 299.91 ms avg latency, 522.00 ms max latency, \
                335 ms 50th, 440 ms 95th, 447 ms 99th, 453 ms 99.9th.
                """;

        assertThat(ProducerPerfRun.parseSummary(output))
                .contains(new ProducerPerfRun.Summary(200000, 87450.8, 21.35, 335, 447, 453));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "54535 records sent, 10904.8 records/sec (2.66 MB/sec), 1863.0 ms avg latency, 3214.0 ms max latency.",
            "Exception in thread \"main\" org.apache.kafka.common.errors.TimeoutException",
    })
    void producerPerformanceWithoutSummaryHasNone(String output) {
        assertThat(ProducerPerfRun.parseSummary(output)).isEmpty();
    }

    private static ResultTable.CaseSummary latencySummary(BenchCase benchCase, ArrivalCounter.Latency latency) {
        return new ResultTable.CaseSummary(benchCase, 1, Map.of(1, 2000.0), null, null, 0, 0, null, null, latency,
                ResultTable.OK, null, null);
    }

    /** The latency histograms' cost: each meters-off case beside its bridge case, CPU per message and rate. */
    @Test
    void metersCostComparesEachMetersOffCaseWithItsBridgeCase() {
        BenchCase on = new BenchCase(Kind.BRIDGE_M2K, 1, 256);
        BenchCase off = new BenchCase(Kind.METERS_OFF_M2K, 1, 256);
        BenchCase offWithoutPartner = new BenchCase(Kind.METERS_OFF_K2M, 0, 256);
        List<ResultTable.CaseSummary> summaries = List.of(
                ResultTable.summarise(on, List.of(withCpuPer100k(on, 1, 2.06), withCpuPer100k(on, 2, 2.10))),
                ResultTable.summarise(off, List.of(withCpuPer100k(off, 1, 2.00), withCpuPer100k(off, 2, 2.00))),
                ResultTable.summarise(offWithoutPartner, List.of(withCpuPer100k(offWithoutPartner, 1, 1.0))));

        String table = ResultTable.metersCost(summaries);

        assertThat(off.name()).isEqualTo("meters-off-m2k-q1-256");
        assertThat(table.lines()).hasSize(3);
        assertThat(table).contains("| bridge-m2k-q1-256 | meters-off-m2k-q1-256 | 2.08 | 2.00 | +4.0 % | 1000 | 1000 |");
        assertThat(ResultTable.markdown(summaries, TRANSACTION_INTERVAL)).contains(table);
        assertThat(ResultTable.metersCost(summaries.subList(0, 1))).isEmpty();
    }

    private static final String EXACTLY_ONCE_RATE_HEADER = "| Exactly-once QoS 2 (case) | QoS 2 (case)"
            + " | rate, exactly-once (msg/s) | QoS 2 | exactly-once / QoS 2 | within a repetition: min | max"
            + " | bridge CPU s / 100k, exactly-once | QoS 2 | difference | target: at least 0.80 of the QoS 2 rate |";

    /**
     * Exactly-once QoS 2 against plain QoS 2 at full speed (issue 22): the ratio of the median rates with its spread
     * within a repetition, the bridge CPU per message of each and the difference, and the verdict on the target (at
     * least 0.80 of the QoS 2 rate), met at the boundary and missed below it.
     */
    @ParameterizedTest(name = "exactly-once {0} msg/s against QoS 2 {1} msg/s")
    @CsvSource(delimiter = '|', value = {
            // rates of the two repetitions | CPU s / 100k | the row
            "4400 4600 | 5000 5000 | 3.00 | 2.50 | 4500 | 5000 | 0.90 | 0.88 | 0.92 | 3.00 | 2.50 | +20.0 % | met (rate -10.0 %)",
            "4000 4000 | 5000 5000 | 2.75 | 2.50 | 4000 | 5000 | 0.80 | 0.80 | 0.80 | 2.75 | 2.50 | +10.0 % | met (rate -20.0 %)",
            "3800 3900 | 5000 5000 | 3.50 | 2.50 | 3850 | 5000 | 0.77 | 0.76 | 0.78 | 3.50 | 2.50 | +40.0 % | MISSED (rate -23.0 %)",
            "5200 5400 | 5000 5000 | 2.40 | 2.50 | 5300 | 5000 | 1.06 | 1.04 | 1.08 | 2.40 | 2.50 | -4.0 % | met (rate +6.0 %)",
    })
    void exactlyOnceRateIsJudgedAgainstPlainQos2(String exactlyOnceRates, String plainRates, double exactlyOnceCpu,
            double plainCpu, String rateExactlyOnce, String ratePlain, String ratio, String min, String max,
            String cpuExactlyOnce, String cpuPlain, String difference, String verdict) {
        BenchCase exactlyOnce = new BenchCase(Kind.BRIDGE_M2K_EOS, 2, 256);
        BenchCase plain = new BenchCase(Kind.BRIDGE_M2K, 2, 256);
        List<ResultTable.CaseSummary> summaries = List.of(
                ResultTable.summarise(plain, ratedWithCpu(plain, plainRates, plainCpu)),
                ResultTable.summarise(exactlyOnce, ratedWithCpu(exactlyOnce, exactlyOnceRates, exactlyOnceCpu)));

        String table = ResultTable.exactlyOnceCost(summaries, TRANSACTION_INTERVAL);

        assertThat(exactlyOnce.name()).isEqualTo("bridge-m2k-eos-q2-256");
        assertThat(table.lines()).containsExactly(EXACTLY_ONCE_RATE_HEADER,
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
                String.join(" | ", "| bridge-m2k-eos-q2-256", "bridge-m2k-q2-256", rateExactlyOnce, ratePlain, ratio, min,
                        max, cpuExactlyOnce, cpuPlain, difference, verdict) + " |");
    }

    /**
     * The paced exactly-once p99 against its target, the transaction interval plus 15 ms: met below it, missed at and
     * above it, for the default interval and others ({@code bench.bridge.transaction-interval}).
     */
    @ParameterizedTest(name = "p99 {1} ms, transaction interval {3} -> {5}")
    @CsvSource(delimiter = '|', value = {
            "60 | 104.2 | 110 | PT0.1S    | 115 ms (transaction interval 100 ms + 15 ms) | met (104.20 < 115 ms)",
            "70 | 114.99 | 140 | PT0.1S   | 115 ms (transaction interval 100 ms + 15 ms) | met (114.99 < 115 ms)",
            "70 | 115  | 140 | PT0.1S     | 115 ms (transaction interval 100 ms + 15 ms) | MISSED (115.00 ≥ 115 ms)",
            "90 | 180.5 | 250 | PT0.1S    | 115 ms (transaction interval 100 ms + 15 ms) | MISSED (180.50 ≥ 115 ms)",
            "40 | 64.5 | 70  | PT0.05S    | 65 ms (transaction interval 50 ms + 15 ms)   | met (64.50 < 65 ms)",
            "40 | 80   | 90  | PT0.05S    | 65 ms (transaction interval 50 ms + 15 ms)   | MISSED (80.00 ≥ 65 ms)",
            "20 | 27   | 30  | PT0.0125S  | 27.5 ms (transaction interval 12.5 ms + 15 ms) | met (27.00 < 27.5 ms)",
    })
    void exactlyOnceLatencyIsJudgedAgainstTheTransactionIntervalPlus15Ms(double p50, double p99, double p999,
            String transactionInterval, String target, String verdict) {
        BenchCase exactlyOnce = new BenchCase(Kind.LATENCY_M2K_EOS, 2, 256);
        List<ResultTable.CaseSummary> summaries = List.of(
                latencySummary(exactlyOnce, new ArrivalCounter.Latency(p50, p99, p999)));

        String table = ResultTable.exactlyOnceCost(summaries, Duration.parse(transactionInterval));

        assertThat(exactlyOnce.name()).isEqualTo("latency-m2k-eos-q2-256");
        assertThat(table.lines()).as("without latency-m2k-q2-256, the exactly-once case alone").containsExactly(
                "| Exactly-once QoS 2, paced latency (ms) | p50 | p99 | p99.9 | target: p99 below " + target + " |",
                "|---|---:|---:|---:|---|",
                String.format(Locale.ROOT, "| latency-m2k-eos-q2-256 | %.2f | %.2f | %.2f | %s |", p50, p99, p999,
                        verdict));
    }

    /** Both pairs in one run: the section as it appears in results.md, with what exactly-once adds to the latency. */
    @Test
    void exactlyOnceSectionComparesBothPairsWithPlainQos2() {
        BenchCase bridgePlain = new BenchCase(Kind.BRIDGE_M2K, 2, 256);
        BenchCase bridgeExactlyOnce = new BenchCase(Kind.BRIDGE_M2K_EOS, 2, 256);
        BenchCase pacedPlain = new BenchCase(Kind.LATENCY_M2K, 2, 256);
        BenchCase pacedExactlyOnce = new BenchCase(Kind.LATENCY_M2K_EOS, 2, 256);
        List<ResultTable.CaseSummary> summaries = List.of(
                ResultTable.summarise(bridgePlain, ratedWithCpu(bridgePlain, "5000 5000", 2.5)),
                ResultTable.summarise(bridgeExactlyOnce, ratedWithCpu(bridgeExactlyOnce, "4400 4600", 3.0)),
                latencySummary(pacedPlain, new ArrivalCounter.Latency(3, 7, 12)),
                latencySummary(pacedExactlyOnce, new ArrivalCounter.Latency(60, 104.2, 110)));

        String section = ResultTable.exactlyOnceCost(summaries, TRANSACTION_INTERVAL);

        assertThat(section).isEqualTo(EXACTLY_ONCE_RATE_HEADER + """

                |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|
                | bridge-m2k-eos-q2-256 | bridge-m2k-q2-256 | 4500 | 5000 | 0.90 | 0.88 | 0.92 | 3.00 | 2.50 | +20.0 % \
                | met (rate -10.0 %) |

                | Exactly-once QoS 2, paced latency (ms) | p50 | p99 | p99.9 \
                | target: p99 below 115 ms (transaction interval 100 ms + 15 ms) |
                |---|---:|---:|---:|---|
                | latency-m2k-q2-256 | 3.00 | 7.00 | 12.00 | – |
                | latency-m2k-eos-q2-256 | 60.00 | 104.20 | 110.00 | met (104.20 < 115 ms) |
                | exactly-once adds (latency-m2k-eos-q2-256 − latency-m2k-q2-256) | 57.00 | 97.20 | 98.00 | – |
                """);
        assertThat(ResultTable.markdown(summaries, TRANSACTION_INTERVAL)).contains(section);
        assertThat(ResultTable.latencyBreakdown(summaries)).as("the hop table is QoS 1 only").isEmpty();
    }

    /**
     * No verdict without results: an exactly-once case whose every repetition failed (a duplicate) has no rate, so
     * "n/a"; one without its plain QoS 2 partner, or a run without exactly-once cases, has no section.
     */
    @Test
    void exactlyOnceSectionNeedsUsableResultsOfBothCases() {
        BenchCase plain = new BenchCase(Kind.BRIDGE_M2K, 2, 256);
        BenchCase exactlyOnce = new BenchCase(Kind.BRIDGE_M2K_EOS, 2, 256);
        ResultTable.CaseSummary plainSummary = ResultTable.summarise(plain, ratedWithCpu(plain, "5000 5000", 2.5));
        ResultTable.CaseSummary duplicated = ResultTable.summarise(exactlyOnce, List.of(
                new CaseResult(exactlyOnce, 1, 100, 100, 2, 4000, 3.0, null, null, 0L, null, null, null, null)));

        assertThat(duplicated.status()).isEqualTo("FAILED 1/1: 2 duplicates");
        assertThat(ResultTable.exactlyOnceCost(List.of(plainSummary, duplicated), TRANSACTION_INTERVAL).lines())
                .contains("| bridge-m2k-eos-q2-256 | bridge-m2k-q2-256 | – | 5000 | n/a | – | – | – | 2.50 | n/a | n/a |");
        assertThat(ResultTable.exactlyOnceCost(List.of(duplicated), TRANSACTION_INTERVAL)).isEmpty();
        assertThat(ResultTable.exactlyOnceCost(List.of(plainSummary), TRANSACTION_INTERVAL)).isEmpty();
        assertThat(ResultTable.rateVerdict(null)).isEqualTo("n/a");
    }

    /**
     * bench.brokers: each bridge case beside the drain of its own broker. A QoS 2 case against a broker whose maximum is
     * QoS 1 (RabbitMQ 3.10) is shown as downgraded, and a duplicate there is at least once, not a failure; a missing
     * QoS 1 message still is.
     */
    @Test
    void perBrokerTableComparesEachBridgeCaseWithTheDrainOfItsOwnBroker() {
        BenchCase rigBridge = new BenchCase(Kind.BRIDGE_M2K, 1, 256);
        BenchCase rigDrain = new BenchCase(Kind.DRAIN, 1, 256);
        BenchCase artemisBridge = rigBridge.on("artemis", 2);
        BenchCase artemisDrain = rigDrain.on("artemis", 2);
        BenchCase rabbitBridge = new BenchCase(Kind.BRIDGE_M2K, 2, 256).on("rabbitmq", 1);
        BenchCase rabbitDrain = new BenchCase(Kind.DRAIN, 2, 256).on("rabbitmq", 1);
        BenchCase rabbitBridgeQos1 = rigBridge.on("rabbitmq", 1);
        List<ResultTable.CaseSummary> summaries = List.of(
                ResultTable.summarise(rigDrain, List.of(rated(rigDrain, 1, 4000))),
                ResultTable.summarise(rigBridge, List.of(rated(rigBridge, 1, 3000))),
                ResultTable.summarise(artemisDrain, List.of(rated(artemisDrain, 1, 2000))),
                ResultTable.summarise(artemisBridge, List.of(rated(artemisBridge, 1, 500))),
                ResultTable.summarise(rabbitDrain, List.of(rated(rabbitDrain, 1, 1000))),
                ResultTable.summarise(rabbitBridge, List.of(new CaseResult(rabbitBridge, 1, 100, 100, 3, 800, null, null,
                        null, 0L, null, null, null, null))),
                ResultTable.summarise(rabbitBridgeQos1, List.of(result(rabbitBridgeQos1, 1, 99, null))));

        String table = ResultTable.perBroker(summaries, Map.of("", "mosquitto (Mosquitto 2.0.21)",
                "artemis", "artemis (ActiveMQ Artemis 2.40.0)"));

        assertThat(artemisBridge.name()).isEqualTo("bridge-m2k-q1-256@artemis");
        assertThat(rabbitBridge.exactlyOnce()).isFalse();
        assertThat(rabbitBridge.downgraded()).isTrue();
        assertThat(table.lines()).containsExactly(
                "| broker | QoS | bridge (msg/s) | drain (msg/s) | bridge / drain | bridge: status | missing | duplicates"
                        + " | drain: status |",
                "|---|---|---:|---:|---:|---|---:|---:|---|",
                "| mosquitto (Mosquitto 2.0.21) | 1 | 3000 | 4000 | 0.75 | OK | 0 | 0 | OK |",
                "| artemis (ActiveMQ Artemis 2.40.0) | 1 | 500 | 2000 | 0.25 | OK | 0 | 0 | OK |",
                "| rabbitmq | 2 → 1 (the broker's maximum) | 800 | 1000 | 0.80 | OK | 0 | 3 | OK |",
                "| rabbitmq | 1 | – | – | n/a | FAILED 1/1: 1 missing | 1 | 0 | not run |");
        assertThat(ResultTable.runFailures(summaries)).containsExactly("bridge-m2k-q1-256@rabbitmq: FAILED 1/1: 1 missing");
        assertThat(ResultTable.perBroker(summaries.subList(0, 2), Map.of())).as("a run of the harness's Mosquitto only")
                .isEmpty();
    }

    /** The ratios of a case against another broker take that broker's drain, never the harness's Mosquitto's. */
    @Test
    void ratiosOfAnotherBrokerUseItsOwnDrainAndNoNaivePeer() {
        BenchCase bridge = new BenchCase(Kind.BRIDGE_M2K, 2, 256).on("hivemq", 2);
        Map<String, Map<Integer, Double>> rates = Map.of(
                bridge.name(), Map.of(1, 600.0),
                "drain-q2-256@hivemq", Map.of(1, 1200.0),
                "drain-q2-256", Map.of(1, 6000.0),
                "bridge-m2k-q1-256@hivemq", Map.of(1, 1000.0),
                "naive-m2k-q2-256", Map.of(1, 100.0));

        List<ResultTable.Ratio> ratios = ResultTable.ratios(List.of(bridge), rates);

        assertThat(ratios).extracting(ResultTable.Ratio::label, ResultTable.Ratio::denominator, ResultTable.Ratio::value)
                .containsExactly(
                        tuple("bridge / MQTT drain", "drain-q2-256@hivemq", 0.5),
                        tuple("bridge / Kafka ProducerPerformance", "kafka-limit-256", null),
                        tuple("bridge QoS 2 / QoS 1", "bridge-m2k-q1-256@hivemq", 0.6));
    }

    /** One usable repetition per rate of {@code rates} (space-separated), numbered from 1, each with {@code cpu}. */
    private static List<CaseResult> ratedWithCpu(BenchCase benchCase, String rates, double cpu) {
        List<Double> parsed = Arrays.stream(rates.trim().split(" +")).map(Double::valueOf).toList();
        return IntStream.range(0, parsed.size()).mapToObj(i -> new CaseResult(benchCase, i + 1, 100, 100,
                0, parsed.get(i), cpu, null, null, null, null, null, null, null)).toList();
    }

    private static CaseResult withCpuPer100k(BenchCase benchCase, int rep, double cpu) {
        return new CaseResult(benchCase, rep, 100, 100, 0, 1000, cpu, null, null, null, null, null, null, null);
    }

    private static CaseResult withCpu(BenchCase benchCase, int rep, String problem, CpuBreakdown cpu) {
        return new CaseResult(benchCase, rep, 100, problem == null ? 100 : 10, 0, 1000, null, null, null, null, null, problem,
                cpu, null);
    }

    private static CaseResult withBridgeDrops(BenchCase benchCase, int rep, long unique, Long bridgeDrops) {
        return new CaseResult(benchCase, rep, 100, unique, 0, 1000, null, null, 0L, bridgeDrops, null, null, null, null);
    }

    private static CaseResult rated(BenchCase benchCase, int rep, double rate) {
        return new CaseResult(benchCase, rep, 100, 100, 0, rate, null, null, null, null, null, null, null, null);
    }

    private static BenchCase benchCase(String name) {
        return Benchmark.allCases().stream().filter(benchCase -> benchCase.name().equals(name)).findFirst().orElseThrow();
    }

    private static CaseResult result(BenchCase benchCase, int rep, long unique, String problem) {
        return new CaseResult(benchCase, rep, 100, unique, 0, 1000, null, null, null, null, null, problem, null, null);
    }
}
