package io.mqttkafka.bridge.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.kafka.common.utils.AppInfoParser;

import io.mqttkafka.bridge.benchmark.BenchCase.Kind;
import io.mqttkafka.bridge.kafka.ProducerProfile;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.WorkDirectories;

/**
 * The benchmark (issue 5): how fast the bridge is compared with its limits (Mosquitto drain, Kafka's
 * ProducerPerformance) and with a naive Quarkus pass-through. A main program, never a unit test; run it with
 * {@code bin/benchmark}. Options are system properties:
 * <ul>
 * <li>{@code bench.n} messages per throughput case (default 200000), {@code bench.reps} repetitions (default 3);
 * <li>{@code bench.warmup}: messages per case in the discarded warm-up pass before the repetitions (default the larger of 5,000 and N / 5);
 * <li>{@code bench.quick=true}: N=30000, one repetition, 5 s latency runs;
 * <li>{@code bench.cases}: comma-separated case-name prefixes to run (default all); {@code meters-off-*} cases run
 * through a second bridge with {@code bridge.metrics.latency.enabled=false}, so e.g.
 * {@code bench.cases=bridge-m2k-q1-256,meters-off-m2k-q1-256} compares the bridge with and without its latency
 * histograms in one run;
 * <li>{@code bench.soak=MINUTES}: instead of the cases, the soak run (QoS 1, 256 B, {@code bench.soak.rate} msg/s,
 * default 3000) with the bridge's heap after GC sampled every 30 s, written to soak.md;
 * <li>{@code bench.profile=true}: the bridge records a JFR profile of the run ({@code logs/bridge.jfr} in the output
 * directory);
 * <li>{@code bench.out}: output directory (default target/benchmark); {@code bench.window}: publisher window;
 * <li>{@code bench.payload}: what follows each payload's header: {@code zeros} (default), {@code random} or
 * {@code telemetry} (see {@link BenchPayload.Filler}); it matters only with Kafka compression.
 * </ul>
 */
public final class Benchmark {

    private static final int PUBLISHER_WINDOW = 1_000;

    private Benchmark() {
    }

    record Options(int messages, int reps, int warmUpMessages, Duration pacedDuration, List<String> caseFilter, Path out,
            int window, BenchPayload.Filler payload, String command) {

        static Options fromSystemProperties() {
            boolean quick = "true".equalsIgnoreCase(property("bench.quick", "false"));
            int messages = Integer.parseInt(property("bench.n", quick ? "30000" : "200000"));
            int reps = Integer.parseInt(property("bench.reps", quick ? "1" : "3"));
            int warmUp = Integer.parseInt(property("bench.warmup", Integer.toString(Math.max(5_000, messages / 5))));
            Duration paced = Duration.ofSeconds(quick ? 5 : 20);
            String cases = property("bench.cases", "");
            List<String> filter = cases.isBlank() ? List.of() : Arrays.stream(cases.split(",")).map(String::trim).toList();
            return new Options(messages, reps, warmUp, paced, filter, Path.of(property("bench.out", "target/benchmark")),
                    Integer.parseInt(property("bench.window", Integer.toString(PUBLISHER_WINDOW))),
                    BenchPayload.Filler.fromSystemProperties(), property("bench.command", "(started directly)"));
        }

        /** Maven passes unset options as empty strings; they mean "the default". */
        static String property(String key, String defaultValue) {
            String value = System.getProperty(key);
            return value == null || value.isBlank() ? defaultValue : value.trim();
        }
    }

    /** Every case, in the order of the tables; a repetition runs them rotated. */
    static List<BenchCase> allCases() {
        List<BenchCase> cases = new ArrayList<>();
        for (int size : BenchmarkRig.SIZES) {
            for (int qos = 0; qos <= 2; qos++) {
                cases.add(new BenchCase(Kind.DRAIN, qos, size));
            }
            cases.add(new BenchCase(Kind.KAFKA_LIMIT, 0, size));
            for (int qos = 0; qos <= 2; qos++) {
                cases.add(new BenchCase(Kind.BRIDGE_M2K, qos, size));
            }
            cases.add(new BenchCase(Kind.DRAIN_TLS, 1, size));
            cases.add(new BenchCase(Kind.BRIDGE_M2K_TLS, 1, size));
            for (int qos : BenchmarkRig.NAIVE_QOS_LEVELS) {
                cases.add(new BenchCase(Kind.NAIVE_M2K, qos, size));
            }
        }
        cases.add(new BenchCase(Kind.BRIDGE_K2M, 0, 256));
        cases.add(new BenchCase(Kind.BRIDGE_K2M, 1, 256));
        // The same bridge cases with the latency histograms off, for their cost (issue 20: at most 3 % more CPU).
        for (int qos = 0; qos <= 2; qos++) {
            cases.add(new BenchCase(Kind.METERS_OFF_M2K, qos, 256));
        }
        cases.add(new BenchCase(Kind.METERS_OFF_K2M, 0, 256));
        cases.add(new BenchCase(Kind.METERS_OFF_K2M, 1, 256));
        cases.add(new BenchCase(Kind.LATENCY_M2K, 1, 256));
        cases.add(new BenchCase(Kind.LATENCY_K2M, 1, 256));
        cases.add(new BenchCase(Kind.LATENCY_DRAIN, 1, 256));
        cases.add(new BenchCase(Kind.LATENCY_KAFKA, 1, 256));
        return cases;
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.fromSystemProperties();
        int soakMinutes = Integer.parseInt(Options.property("bench.soak", "0"));
        if (soakMinutes > 0) {
            Soak.Outcome outcome = soak(options, Duration.ofMinutes(soakMinutes),
                    Integer.parseInt(Options.property("bench.soak.rate", "3000")));
            if (outcome.failed()) {
                failTheRun("the soak failed: " + outcome.problem());
            }
            return;
        }
        List<BenchCase> cases = allCases().stream()
                .filter(c -> options.caseFilter().isEmpty() || options.caseFilter().stream().anyMatch(c.name()::startsWith))
                .toList();
        if (cases.isEmpty()) {
            throw new IllegalArgumentException("bench.cases=" + options.caseFilter() + " matches no case of "
                    + allCases().stream().map(BenchCase::name).toList());
        }
        requireMosquittoThatKeepsTheWindow();
        Files.createDirectories(options.out());
        String loadAtStart = loadAverage();
        Instant started = Instant.now();
        BenchmarkRig rig = new BenchmarkRig(freshLogDirectory(options));
        Thread stopOnExit = new Thread(rig::close, "benchmark-cleanup");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        List<CaseResult> results = new ArrayList<>();
        try {
            rig.startBrokers();
            try (LoadPublisher publisher = new LoadPublisher(rig.mosquitto().port(), "bench-publisher", options.window(),
                    CaseRunner.STALL)) {
                rig.startBridge();
                if (cases.stream().anyMatch(c -> c.kind() == Kind.BRIDGE_M2K_TLS)) {
                    rig.startTlsBridge();
                }
                if (cases.stream().anyMatch(BenchCase::metersOff)) {
                    rig.startBridgeWithoutMeters();
                }
                if (cases.stream().anyMatch(c -> c.kind() == Kind.NAIVE_M2K)) {
                    // "Tuned": a buffer for every message of a case, so the overflow never fails the channel.
                    rig.startNaivePeers(Math.max(options.messages(), options.warmUpMessages()) + 10_000, publisher);
                }
                try (CaseRunner runner = new CaseRunner(rig, publisher)) {
                    runner.recordIdleBaseline();
                    warmUp(runner, cases, options);
                    for (int rep = 1; rep <= options.reps(); rep++) {
                        List<BenchCase> order = new ArrayList<>(cases);
                        // Rotate so that no case always runs first or after the same neighbour.
                        Collections.rotate(order, -(rep - 1) * Math.max(1, cases.size() / options.reps()));
                        for (BenchCase benchCase : order) {
                            CaseResult result = runner.run(benchCase, rep, options.messages(), options.pacedDuration());
                            results.add(result);
                            printProgress(result);
                        }
                    }
                }
            }
        } finally {
            rig.close();
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        }
        List<String> failures = writeReport(options, cases, results, loadAtStart, loadAverage(),
                Duration.between(started, Instant.now()));
        if (!failures.isEmpty()) {
            failTheRun(failures.size() + " case(s) FAILED or LOSS:\n  "
                    + String.join("\n  ", failures));
        }
    }

    /**
     * Exits non-zero, so that exec:exec, Maven and bin/benchmark do too: a run whose results are not valid must not
     * pass for one in a script or CI. The results are written before.
     */
    private static void failTheRun(String why) {
        System.err.println("The benchmark run FAILED: " + why);
        System.exit(1);
    }

    /**
     * {@code logs/} in the output directory, emptied: what the rig's processes write that the results refer to
     * (ProducerPerformance's output, the naive peers' logs, a JFR recording). The brokers and the bridge delete their
     * own directories when the rig stops them.
     */
    private static Path freshLogDirectory(Options options) throws IOException {
        Path logs = options.out().resolve("logs");
        WorkDirectories.delete(logs);
        return Files.createDirectories(logs);
    }

    /** {@code bench.soak=MINUTES}: only the soak run (see {@link Soak}), sampled every 30 s; writes soak.md. */
    private static Soak.Outcome soak(Options options, Duration duration, int perSecond) throws Exception {
        requireMosquittoThatKeepsTheWindow();
        Files.createDirectories(options.out());
        BenchmarkRig rig = new BenchmarkRig(freshLogDirectory(options));
        Thread stopOnExit = new Thread(rig::close, "benchmark-cleanup");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        Soak.Outcome outcome;
        String report;
        try {
            rig.startBrokers();
            try (LoadPublisher publisher = new LoadPublisher(rig.mosquitto().port(), "bench-publisher", options.window(),
                    CaseRunner.STALL)) {
                rig.startBridge();
                outcome = Soak.run(rig, publisher, duration, perSecond, Duration.ofSeconds(30));
                report = Soak.markdown(outcome, duration, perSecond, BenchmarkRig.BRIDGE_HEAP);
            }
        } finally {
            rig.close();
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        }
        Soak.write(options.out(), report);
        System.out.println(report);
        System.out.println("Results: " + options.out().toAbsolutePath().resolve("soak.md"));
        return outcome;
    }

    /**
     * Refuses a Mosquitto older than 2.0.13 unless {@code bench.mosquitto.any-version=true}: it keeps no in-flight
     * window towards the bridge under a backlog, so the 4 KiB QoS 1/2 cases fail for the broker's reason, not the
     * bridge's (docs/benchmarks.md, "Mosquitto 2.0.11 and the in-flight window").
     */
    private static void requireMosquittoThatKeepsTheWindow() {
        MosquittoProcess.executable();
        if (!MosquittoProcess.keepsInflightWindow()
                && !"true".equalsIgnoreCase(Options.property("bench.mosquitto.any-version", "false"))) {
            throw new IllegalStateException(MosquittoProcess.version() + " keeps no in-flight window towards a slow "
                    + "subscriber (fixed in 2.0.13), so full-speed cases through the bridge fail on the broker. Install "
                    + "2.0.13 or later (Debian 12: apt-get install -t bookworm-backports mosquitto), or run anyway with "
                    + "-Dbench.mosquitto.any-version=true and -Dbench.bridge.receive-maximum=65535 -Dbench.bridge.heap=1g");
        }
    }

    /**
     * One discarded pass over the cases (JIT, connections, first fetches), {@code bench.warmup} messages each, by default
     * a fifth of N; ProducerPerformance is a fresh JVM anyway.
     */
    private static void warmUp(CaseRunner runner, List<BenchCase> cases, Options options) {
        int messages = options.warmUpMessages();
        System.out.println("Warm-up (" + messages + " messages per case, discarded) ...");
        for (BenchCase benchCase : cases) {
            if (benchCase.kind() != Kind.KAFKA_LIMIT && !benchCase.paced()) {
                CaseResult result = runner.run(benchCase, 0, messages, options.pacedDuration());
                System.out.printf(Locale.ROOT, "  warm-up %-22s %9.0f msg/s  %s%n", benchCase.name(), result.ratePerSecond(),
                        result.status());
            }
        }
    }

    private static void printProgress(CaseResult result) {
        System.out.printf(Locale.ROOT, "rep %d %-22s %9.0f msg/s  unique %d/%d  dup %d  drops %s  bridge drops %s  %s%n",
                result.rep(), result.benchCase().name(), result.ratePerSecond(), result.unique(), result.expected(),
                result.duplicates(), result.brokerDrops() == null ? "-" : result.brokerDrops(),
                result.bridgeDrops() == null ? "-" : result.bridgeDrops(), result.status());
    }

    /** Writes results.md and results.csv and prints the tables; returns the cases that fail the run. */
    private static List<String> writeReport(Options options, List<BenchCase> cases, List<CaseResult> results,
            String loadAtStart, String loadAtEnd, Duration took) throws IOException {
        Map<BenchCase, List<CaseResult>> byCase = new LinkedHashMap<>();
        cases.forEach(c -> byCase.put(c, new ArrayList<>()));
        results.forEach(result -> byCase.get(result.benchCase()).add(result));
        List<ResultTable.CaseSummary> summaries = byCase.entrySet().stream()
                .filter(entry -> !entry.getValue().isEmpty())
                .map(entry -> ResultTable.summarise(entry.getKey(), entry.getValue())).toList();
        List<String> failures = ResultTable.runFailures(summaries);
        String tables = ResultTable.markdown(summaries);
        String verdict = failures.isEmpty() ? "Run: passed (no case FAILED or LOSS).\n"
                : "Run: FAILED (" + String.join("; ", failures) + ").\n";
        String report = "# Benchmark results\n\n" + verdict + "\n" + machine(options, loadAtStart, loadAtEnd, took) + "\n"
                + tables + "\n"
                + NOTES.formatted(BenchmarkRig.BRIDGE_HEAP, BenchmarkRig.BRIDGE_PROTOCOL_VERSION,
                        BenchmarkRig.BRIDGE_RECEIVE_MAXIMUM.isEmpty() ? "the bridge's default" : BenchmarkRig.BRIDGE_RECEIVE_MAXIMUM,
                        BenchmarkRig.BRIDGE_QOS0_OVERLOAD.isEmpty() ? "the bridge's default (drop)" : BenchmarkRig.BRIDGE_QOS0_OVERLOAD,
                        ProducerProfile.RELIABLE.defaults().get("linger.ms"),
                        String.join(",", BenchmarkRig.bridgeKafkaProperties().entrySet().stream()
                                .map(entry -> entry.getKey() + "=" + entry.getValue()).toList()),
                        BenchmarkRig.NAIVE_HEAP, MosquittoProcess.MAX_INFLIGHT_MESSAGES);
        Files.writeString(options.out().resolve("results.md"), report);
        Files.writeString(options.out().resolve("results.csv"), ResultTable.csv(results));
        System.out.println();
        System.out.println(tables);
        System.out.println(verdict);
        System.out.println("Results: " + options.out().toAbsolutePath().resolve("results.md") + " and results.csv");
        return failures;
    }

    private static final String NOTES = """
            Notes:
            - Rate: unique arrivals / (last arrival − first send), median over the repetitions that did not fail.
              kafka-limit: ProducerPerformance's own records/s (acks=all, idempotent).
            - CPU s / 100k and peak RSS (VmHWM, reset at the start of each case) are of the process under test: the
              bridge JVM (bridge-*, latency-m2k, latency-k2m), the naive peer JVM (naive-*), Mosquitto (drain-*,
              latency-drain), the harness JVM (latency-kafka); not measured for kafka-limit.
            - Status: FAILED = a stall (no arrival for 15 s), an error, missing messages where the case promises
              delivery (QoS 1/2 through the bridge, the drain), or duplicates where it promises exactly once (QoS 2
              through the bridge, the drain). Where nothing is promised (QoS 0, and the naive peer at every QoS: it
              acknowledges MQTT before writing to Kafka) missing messages are DROPPED when they are exactly the ones
              the bridge counted as dropped (bridge drops = missing: QoS 0 given up under overload, by design), and
              LOSS otherwise (a loss nothing counted). FAILED and LOSS fail the run (bin/benchmark exits 1);
              OK and DROPPED do not.
            - Broker drops: Mosquitto's $SYS/broker/publish/messages/dropped during the case. Bridge drops: the
              bridge's bridge_messages_dropped_total (every reason, from /q/metrics) during the case; – where the
              bridge is not on the path.
            - Latency: paced 2,000 msg/s, QoS 1, 256 B; from the scheduled send time to the arrival (Kafka consumer
              for latency-m2k and latency-kafka, MQTT subscriber for latency-k2m and latency-drain). latency-drain and
              latency-kafka are the two hops without the bridge (the Kafka hop with the bridge's QoS 1 producer
              settings); the last table takes them off the bridge paths.
            - Bridge: java -Xmx%s, MQTT protocol version %s, receive maximum %s, qos0-overload %s, Kafka client properties at the
              bridge's defaults (QoS 0: acks=1; QoS 1/2: acks=all, idempotent, linger.ms %s) plus [%s]. Naive peer: -Ppin-netty-mqtt
              (netty-codec-mqtt 4.1.132.Final), MQTT_BUFFER_SIZE = N + 10000, acks=all, idempotent, java -Xmx%s
              (it buffers what Kafka has not taken yet without bound, so it needs heap for a case's whole backlog).
              No naive QoS 2 case: its MQTT connector refuses QoS 2 on an incoming channel (SRMSG17001), so
              "bridge / naive peer" at QoS 2 is n/a.
            - Mosquitto: max_inflight_messages %d (its window towards the publisher), max_queued_messages 10000000
              (no drops). 2.0.13 or later: older versions keep no in-flight window towards a slow subscriber.
            """;

    private static String machine(Options options, String loadAtStart, String loadAtEnd, Duration took) {
        return """
                | | |
                |---|---|
                | processors (nproc) | %d |
                | CPU | %s |
                | RAM | %s |
                | JDK | %s %s |
                | Mosquitto | %s |
                | Kafka | %s (broker and clients) |
                | load average at start / end | %s / %s |
                | N per case, repetitions | %d, %d (latency runs %d s at %d msg/s) |
                | publisher window | %d |
                | payload after the 24-byte header | %s |
                | took | %d min %d s |
                | command | `%s` |
                """.formatted(Runtime.getRuntime().availableProcessors(), procLine("/proc/cpuinfo", "model name"),
                procLine("/proc/meminfo", "MemTotal"), System.getProperty("java.vm.vendor"),
                System.getProperty("java.version"), MosquittoProcess.version(), AppInfoParser.getVersion(), loadAtStart,
                loadAtEnd, options.messages(), options.reps(), options.pacedDuration().toSeconds(), CaseRunner.PACED_RATE,
                options.window(), options.payload().name().toLowerCase(Locale.ROOT), took.toMinutes(), took.toSecondsPart(), options.command());
    }

    private static String procLine(String file, String key) {
        try {
            return Files.readAllLines(Path.of(file), StandardCharsets.UTF_8).stream().filter(line -> line.startsWith(key))
                    .findFirst().map(line -> line.substring(line.indexOf(':') + 1).trim()).orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
