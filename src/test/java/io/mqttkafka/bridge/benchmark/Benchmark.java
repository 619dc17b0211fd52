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
import java.util.Optional;

import org.apache.kafka.common.utils.AppInfoParser;

import io.mqttkafka.bridge.benchmark.BenchCase.Kind;
import io.mqttkafka.bridge.kafka.ProducerProfile;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.WorkDirectories;
import io.mqttkafka.bridge.testing.brokers.BrokerKind;
import io.mqttkafka.bridge.testing.brokers.BrokerMatrix;
import io.mqttkafka.bridge.testing.brokers.MatrixBroker;

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
 * histograms in one run; likewise {@code *-eos-*} cases run through a third bridge whose one QoS 2 mapping is
 * exactly-once, so {@code bench.cases=bridge-m2k-q2-256,bridge-m2k-eos-q2-256,latency-m2k-q2-256,latency-m2k-eos-q2-256}
 * measures what exactly-once costs QoS 2 (issue 22; MQTT 5 only, see {@link #withoutExactlyOnceUnlessMqtt5});
 * <li>{@code bench.bridge.transaction-interval}: the exactly-once bridge's {@code bridge.kafka.transaction-interval}
 * (default: the bridge's own), which the report's latency target follows;
 * <li>{@code bench.soak=MINUTES}: instead of the cases, the soak run (QoS 1, 256 B, {@code bench.soak.rate} msg/s,
 * default 3000) with the bridge's heap after GC sampled every 30 s, written to soak.md;
 * <li>{@code bench.profile=true}: the bridge records a JFR profile of the run ({@code logs/bridge.jfr} in the output
 * directory);
 * <li>{@code bench.out}: output directory (default target/benchmark); {@code bench.window}: publisher window;
 * <li>{@code bench.payload}: what follows each payload's header: {@code zeros} (default), {@code random} or
 * {@code telemetry} (see {@link BenchPayload.Filler}); it matters only with Kafka compression;
 * <li>{@code bench.brokers}: comma-separated brokers to run the MQTT → Kafka cases against (default {@code mosquitto},
 * the harness's own Mosquitto, as always): also {@code mosquitto-2.0.11}, {@code hivemq}, {@code artemis},
 * {@code rabbitmq}, started by the broker matrix's starters ({@code BrokerMatrix.KINDS}). Each other broker runs
 * {@code drain-q{0,1,2}-256} and {@code bridge-m2k-q{0,1,2}-256} (named {@code ...@<id>}) with a bridge of its own, one
 * broker after the other; without {@code bench.cases} the harness's Mosquitto then runs those six too. A broker that
 * is not installed is skipped, and the report says so and why.
 * </ul>
 */
public final class Benchmark {

    private static final int PUBLISHER_WINDOW = 1_000;

    private Benchmark() {
    }

    /** The {@code bench.brokers} id of the harness's own Mosquitto, the broker of every default run. */
    static final String RIG_MOSQUITTO = "mosquitto";

    record Options(int messages, int reps, int warmUpMessages, Duration pacedDuration, List<String> caseFilter, Path out,
            int window, BenchPayload.Filler payload, String command, List<String> brokers) {

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
                    BenchPayload.Filler.fromSystemProperties(), property("bench.command", "(started directly)"),
                    brokers(property("bench.brokers", ""),
                            BrokerMatrix.KINDS.stream().map(BrokerKind::id).toList()));
        }

        /**
         * {@code bench.brokers}: the ids in the order given, each once; blank is the default run's broker alone.
         *
         * @param known the ids there are ({@link #RIG_MOSQUITTO} among them)
         */
        static List<String> brokers(String value, List<String> known) {
            List<String> brokers = Arrays.stream(value.split(",")).map(id -> id.trim().toLowerCase(Locale.ROOT))
                    .filter(id -> !id.isEmpty()).distinct().toList();
            for (String id : brokers) {
                if (!known.contains(id)) {
                    throw new IllegalArgumentException("bench.brokers: '" + id + "' is none of " + String.join(", ", known));
                }
            }
            return brokers.isEmpty() ? List.of(RIG_MOSQUITTO) : brokers;
        }

        /** Whether the run measures other brokers than the harness's own Mosquitto. */
        boolean perBroker() {
            return !brokers.equals(List.of(RIG_MOSQUITTO));
        }

        /** Maven passes unset options as empty strings; they mean "the default". */
        static String property(String key, String defaultValue) {
            String value = System.getProperty(key);
            return value == null || value.isBlank() ? defaultValue : value.trim();
        }
    }

    /**
     * The cases of {@code bench.brokers} against one broker: the MQTT → Kafka bridge at QoS 0, 1 and 2 (256 B) and the
     * broker's own drain, with the same publisher and a bare subscriber, for each.
     */
    static List<BenchCase> brokerCases() {
        List<BenchCase> cases = new ArrayList<>();
        for (Kind kind : List.of(Kind.DRAIN, Kind.BRIDGE_M2K)) {
            for (int qos = 0; qos <= 2; qos++) {
                cases.add(new BenchCase(kind, qos, 256));
            }
        }
        return cases;
    }

    /**
     * The cases to run against each broker of {@code options.brokers()}, by id, in that order: the harness's Mosquitto
     * runs every case (or, in a run of several brokers without {@code bench.cases}, the {@link #brokerCases()}); the
     * others run the {@link #brokerCases()} only, marked with their id and highest QoS. {@code bench.cases} filters all
     * of them by prefix.
     *
     * @param maxQos the highest QoS of each broker, by id
     */
    static Map<String, List<BenchCase>> casesByBroker(Options options, Map<String, Integer> maxQos) {
        Map<String, List<BenchCase>> byBroker = new LinkedHashMap<>();
        for (String broker : options.brokers()) {
            List<BenchCase> candidates;
            if (broker.equals(RIG_MOSQUITTO)) {
                candidates = options.perBroker() && options.caseFilter().isEmpty() ? brokerCases() : allCases();
            } else {
                candidates = brokerCases().stream().map(c -> c.on(broker, maxQos.get(broker))).toList();
            }
            byBroker.put(broker, candidates.stream().filter(c -> options.caseFilter().isEmpty()
                    || options.caseFilter().stream().anyMatch(c.name()::startsWith)).toList());
        }
        return byBroker;
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
        // QoS 2 with an exactly-once mapping, beside bridge-m2k-q2-256 (issue 22: at most 20 % of its rate).
        cases.add(new BenchCase(Kind.BRIDGE_M2K_EOS, 2, 256));
        cases.add(new BenchCase(Kind.LATENCY_M2K, 1, 256));
        // Plain QoS 2 paced too, so that the latency exactly-once adds is measured against it in the same run.
        cases.add(new BenchCase(Kind.LATENCY_M2K, 2, 256));
        cases.add(new BenchCase(Kind.LATENCY_M2K_EOS, 2, 256));
        cases.add(new BenchCase(Kind.LATENCY_K2M, 1, 256));
        cases.add(new BenchCase(Kind.LATENCY_DRAIN, 1, 256));
        cases.add(new BenchCase(Kind.LATENCY_KAFKA, 1, 256));
        return cases;
    }

    /**
     * The cases of the harness's Mosquitto that the bridges' MQTT version allows: every one with MQTT 5; with MQTT 3.1.1
     * ({@code bench.bridge.protocol-version=3}) none through the exactly-once mapping, which the bridge refuses at
     * startup with 3.1.1 rather than run it as plain QoS 2. A default run leaves them out (the report says so); a run
     * whose {@code bench.cases} selects one stops here, before any broker starts, rather than pass without the
     * comparison it was asked for.
     *
     * @param mqtt5 whether the bridges speak MQTT 5
     * @param selectedByName whether {@code bench.cases} chose the cases (rather than the default run)
     * @throws IllegalArgumentException naming the cases and both options when {@code bench.cases} selects one without
     *         MQTT 5
     */
    static List<BenchCase> withoutExactlyOnceUnlessMqtt5(List<BenchCase> cases, boolean mqtt5, boolean selectedByName) {
        List<BenchCase> exactlyOnce = cases.stream().filter(BenchCase::exactlyOnceMapping).toList();
        if (mqtt5 || exactlyOnce.isEmpty()) {
            return cases;
        }
        if (selectedByName) {
            throw new IllegalArgumentException("bench.cases selects " + String.join(", ",
                    exactlyOnce.stream().map(BenchCase::name).toList()) + ", which need MQTT 5 (the bridge refuses an "
                    + "exactly-once mapping with MQTT 3.1.1), but bench.bridge.protocol-version is 3: leave them out of "
                    + "bench.cases or run with MQTT 5");
        }
        return cases.stream().filter(benchCase -> !benchCase.exactlyOnceMapping()).toList();
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.fromSystemProperties();
        // Read before any broker starts: a bad value stops the run with the option's name, not halfway through it.
        Duration transactionInterval = BenchmarkRig.transactionInterval();
        int soakMinutes = Integer.parseInt(Options.property("bench.soak", "0"));
        if (soakMinutes > 0) {
            Soak.Outcome outcome = soak(options, Duration.ofMinutes(soakMinutes),
                    Integer.parseInt(Options.property("bench.soak.rate", "3000")));
            if (outcome.failed()) {
                failTheRun("the soak failed: " + outcome.problem());
            }
            return;
        }
        Map<String, BrokerKind> kinds = new LinkedHashMap<>();
        BrokerMatrix.KINDS.forEach(kind -> kinds.put(kind.id(), kind));
        Map<String, Integer> maxQos = new LinkedHashMap<>();
        kinds.forEach((id, kind) -> maxQos.put(id, kind.maxQos()));
        Map<String, List<BenchCase>> casesByBroker = casesByBroker(options, maxQos);
        boolean exactlyOnceLeftOut = false;
        if (casesByBroker.containsKey(RIG_MOSQUITTO)) {
            List<BenchCase> candidates = casesByBroker.get(RIG_MOSQUITTO);
            List<BenchCase> allowed = withoutExactlyOnceUnlessMqtt5(candidates, BenchmarkRig.speaksMqtt5(),
                    !options.caseFilter().isEmpty());
            exactlyOnceLeftOut = allowed.size() < candidates.size();
            if (exactlyOnceLeftOut) {
                System.out.println("Left out the exactly-once cases: the bridge refuses an exactly-once mapping with "
                        + "MQTT 3.1.1 (bench.bridge.protocol-version=3)");
            }
            casesByBroker.put(RIG_MOSQUITTO, allowed);
        }
        List<BenchCase> cases = casesByBroker.values().stream().flatMap(List::stream).toList();
        if (cases.isEmpty()) {
            throw new IllegalArgumentException("bench.cases=" + options.caseFilter() + " matches no case of "
                    + allCases().stream().map(BenchCase::name).toList());
        }
        List<BenchCase> rigCases = casesByBroker.getOrDefault(RIG_MOSQUITTO, List.of());
        if (!rigCases.isEmpty()) {
            requireMosquittoThatKeepsTheWindow();
        }
        Files.createDirectories(options.out());
        String loadAtStart = loadAverage();
        Instant started = Instant.now();
        BenchmarkRig rig = new BenchmarkRig(freshLogDirectory(options));
        Thread stopOnExit = new Thread(rig::close, "benchmark-cleanup");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        List<CaseResult> results = new ArrayList<>();
        // Brokers of bench.brokers that did not run, with why: not installed (skipped), or failed to start (fails the run).
        Map<String, String> notRun = new LinkedHashMap<>();
        List<String> brokerFailures = new ArrayList<>();
        try {
            rig.startBrokers();
            if (!rigCases.isEmpty()) {
                runOnRigMosquitto(rig, rigCases, options, results);
            }
            for (Map.Entry<String, List<BenchCase>> broker : casesByBroker.entrySet()) {
                if (!broker.getKey().equals(RIG_MOSQUITTO) && !broker.getValue().isEmpty()) {
                    String problem = runOnBroker(rig, kinds.get(broker.getKey()), broker.getValue(), options, results,
                            notRun);
                    if (problem != null) {
                        brokerFailures.add(problem);
                    }
                }
            }
        } finally {
            rig.close();
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        }
        Map<String, String> brokerNames = new LinkedHashMap<>();
        brokerNames.put("", RIG_MOSQUITTO + " (" + MosquittoProcess.version().replaceFirst("^mosquitto version ",
                "Mosquitto ") + ")");
        kinds.forEach((id, kind) -> brokerNames.put(id, id + " (" + kind.name() + ")"));
        List<String> failures = writeReport(options, cases, results, loadAtStart, loadAverage(),
                Duration.between(started, Instant.now()), brokerNames, notRun, brokerFailures, transactionInterval,
                exactlyOnceLeftOut);
        if (!failures.isEmpty()) {
            failTheRun(failures.size() + " case(s) or broker(s) FAILED or LOSS:\n  "
                    + String.join("\n  ", failures));
        }
    }

    /** The cases against the harness's own Mosquitto, with the bridges and naive peers they need. */
    private static void runOnRigMosquitto(BenchmarkRig rig, List<BenchCase> cases, Options options,
            List<CaseResult> results) throws Exception {
        try (LoadPublisher publisher = new LoadPublisher(rig.mosquitto().port(), "bench-publisher", options.window(),
                CaseRunner.STALL)) {
            rig.startBridge();
            if (cases.stream().anyMatch(c -> c.kind() == Kind.BRIDGE_M2K_TLS)) {
                rig.startTlsBridge();
            }
            if (cases.stream().anyMatch(BenchCase::metersOff)) {
                rig.startBridgeWithoutMeters();
            }
            if (cases.stream().anyMatch(BenchCase::exactlyOnceMapping)) {
                rig.startExactlyOnceBridge();
            }
            if (cases.stream().anyMatch(c -> c.kind() == Kind.NAIVE_M2K)) {
                // "Tuned": a buffer for every message of a case, so the overflow never fails the channel.
                rig.startNaivePeers(Math.max(options.messages(), options.warmUpMessages()) + 10_000, publisher);
            }
            try (CaseRunner runner = new CaseRunner(rig, publisher)) {
                runRepetitions(runner, cases, options, results);
            }
        }
    }

    /**
     * The cases against one broker of {@code bench.brokers}: starts it with the broker matrix's starter, a bridge of its
     * own and a publisher on it (MQTT 5, or 3.1.1 where it has no MQTT 5), runs the warm-up and the repetitions, and
     * stops all three before the next broker. A broker that is not installed is skipped (into {@code notRun}, with
     * why).
     *
     * @return why the broker failed (it, its bridge or the publisher could not start), which fails the run; null
     *         otherwise
     */
    private static String runOnBroker(BenchmarkRig rig, BrokerKind kind, List<BenchCase> cases, Options options,
            List<CaseResult> results, Map<String, String> notRun) {
        Optional<String> unavailable = kind.unavailable().get();
        if (unavailable.isPresent()) {
            System.out.println("Skipped " + kind.name() + ": " + unavailable.get());
            notRun.put(kind.id(), "skipped, not installed: " + unavailable.get());
            return null;
        }
        // The publisher and subscribers speak MQTT 5 as against the harness's Mosquitto, the bridge its
        // bench.bridge.protocol-version; MQTT 3.1.1 where the broker has no MQTT 5.
        int protocol = kind.speaks(5) ? 5 : 3;
        int bridgeProtocol = Integer.parseInt(BenchmarkRig.BRIDGE_PROTOCOL_VERSION);
        bridgeProtocol = kind.speaks(bridgeProtocol) ? bridgeProtocol : 3;
        System.out.println("Starting " + kind.name() + " (clients with MQTT " + protocol + ", the bridge with MQTT "
                + bridgeProtocol + ") ...");
        MatrixBroker broker = null;
        try {
            broker = rig.track(kind.start().get());
            rig.startBrokerBridge(kind.id(), broker.port(), bridgeProtocol);
            BrokerUnderTest underTest = new BrokerUnderTest(kind.id(), broker.port(), protocol, kind.maxQos(),
                    broker instanceof MosquittoProcess mosquitto ? mosquitto.pid() : null, null);
            try (LoadPublisher publisher = new LoadPublisher(broker.port(), protocol, "bench-publisher-" + kind.id(),
                    options.window(), CaseRunner.STALL);
                    CaseRunner runner = new CaseRunner(rig, publisher, underTest)) {
                runRepetitions(runner, cases, options, results);
            }
            return null;
        } catch (RuntimeException e) {
            // A case's own failure is a FAILED result; this is the broker, its bridge or the publisher failing.
            System.out.println("Could not run the cases against " + kind.name() + ": " + e);
            notRun.put(kind.id(), "FAILED: " + e);
            return kind.id() + ": FAILED: " + e;
        } finally {
            rig.stopBrokerBridge(kind.id());
            if (broker != null) {
                rig.stop(broker);
            }
        }
    }

    /** The warm-up pass, then the repetitions, each with the cases rotated; adds each result to {@code results}. */
    private static void runRepetitions(CaseRunner runner, List<BenchCase> cases, Options options,
            List<CaseResult> results) {
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
     * Refuses, as the harness's own Mosquitto, one older than 2.0.13 unless {@code bench.mosquitto.any-version=true}. The
     * bridge itself works against those at its defaults (it stops reading at its window, whatever the broker sends:
     * docs/design.md, LegacyMosquittoFlowControlIT), but they keep no in-flight window towards a subscriber whose
     * acknowledgements lag, so the broker behaves differently under the bridge's load than the 2.0.13+ the recorded
     * figures of docs/benchmarks.md were measured against; Debian 12's 2.0.11 is measured beside the harness's Mosquitto
     * with {@code bench.brokers} instead (docs/benchmarks.md, "Per broker").
     */
    private static void requireMosquittoThatKeepsTheWindow() {
        MosquittoProcess.executable();
        if (!MosquittoProcess.keepsInflightWindow()
                && !"true".equalsIgnoreCase(Options.property("bench.mosquitto.any-version", "false"))) {
            throw new IllegalStateException(MosquittoProcess.version() + " keeps no in-flight window towards a "
                    + "subscriber whose acknowledgements lag (fixed in 2.0.13). The bridge copes with it at its defaults "
                    + "(it stops reading at its window), but the figures in docs/benchmarks.md are against 2.0.13 or "
                    + "later, so the harness's own Mosquitto must be one: install it (Debian 12: apt-get install -t "
                    + "bookworm-backports mosquitto), or run against this one anyway with "
                    + "-Dbench.mosquitto.any-version=true (no bridge setting is needed). To measure Debian 12's 2.0.11 "
                    + "beside a recent one, unpack it to " + MosquittoProcess.DEBIAN_12_EXECUTABLE
                    + " and use -Dbench.brokers=mosquitto,mosquitto-2.0.11.");
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

    /**
     * Writes results.md and results.csv and prints the tables; returns the cases (and brokers of {@code bench.brokers}
     * that failed to start) that fail the run.
     *
     * @param brokerNames what the per-broker table calls each broker, by id ({@code ""}: the harness's Mosquitto)
     * @param notRun brokers of {@code bench.brokers} that did not run, with why
     * @param transactionInterval the exactly-once bridge's, which its latency target is taken from
     * @param exactlyOnceLeftOut whether the exactly-once cases were left out of a default run (MQTT 3.1.1)
     */
    private static List<String> writeReport(Options options, List<BenchCase> cases, List<CaseResult> results,
            String loadAtStart, String loadAtEnd, Duration took, Map<String, String> brokerNames,
            Map<String, String> notRun, List<String> brokerFailures, Duration transactionInterval,
            boolean exactlyOnceLeftOut) throws IOException {
        Map<BenchCase, List<CaseResult>> byCase = new LinkedHashMap<>();
        cases.forEach(c -> byCase.put(c, new ArrayList<>()));
        results.forEach(result -> byCase.get(result.benchCase()).add(result));
        List<ResultTable.CaseSummary> summaries = byCase.entrySet().stream()
                .filter(entry -> !entry.getValue().isEmpty())
                .map(entry -> ResultTable.summarise(entry.getKey(), entry.getValue())).toList();
        List<String> failures = new ArrayList<>(brokerFailures);
        failures.addAll(ResultTable.runFailures(summaries));
        String tables = ResultTable.markdown(summaries, transactionInterval);
        if (options.perBroker()) {
            StringBuilder perBroker = new StringBuilder("\nPer broker (bench.brokers=")
                    .append(String.join(",", options.brokers())).append("): the bridge against each broker's own drain.\n\n")
                    .append(ResultTable.perBroker(summaries, brokerNames));
            notRun.forEach((id, why) -> perBroker.append("\n- ").append(brokerNames.getOrDefault(id, id)).append(": ")
                    .append(why));
            tables += perBroker.append(notRun.isEmpty() ? "" : "\n");
        }
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
                        BenchmarkRig.NAIVE_HEAP, MosquittoProcess.MAX_INFLIGHT_MESSAGES)
                + exactlyOnceNote(cases, transactionInterval, exactlyOnceLeftOut);
        Files.writeString(options.out().resolve("results.md"), report);
        Files.writeString(options.out().resolve("results.csv"), ResultTable.csv(results));
        System.out.println();
        System.out.println(tables);
        System.out.println(verdict);
        System.out.println("Results: " + options.out().toAbsolutePath().resolve("results.md") + " and results.csv");
        return failures;
    }

    /** How the exactly-once cases ran, or why they did not; empty when the run had none to run. */
    private static String exactlyOnceNote(List<BenchCase> cases, Duration transactionInterval, boolean leftOut) {
        if (leftOut) {
            return "- Exactly-once (bridge-m2k-eos, latency-m2k-eos): not run; the bridge refuses an exactly-once mapping"
                    + " with MQTT 3.1.1 (bench.bridge.protocol-version=3).\n";
        }
        if (cases.stream().noneMatch(BenchCase::exactlyOnceMapping)) {
            return "";
        }
        return """
                - Exactly-once (bridge-m2k-eos, latency-m2k-eos): a third bridge process (%s), as the plain bridge but
                  with one mapping, QoS 2 with exactly-once: true, on its own topics; bridge.kafka.transaction-interval
                  %d ms (%s). Its Kafka consumer reads read_committed like every other, so a record counts when its
                  transaction commits, and a duplicate fails the case as at QoS 2. Targets (issue 22), reported in the
                  exactly-once tables, not failing the run: its rate at least %.0f %% of bridge-m2k at QoS 2, and its
                  paced p99 below the transaction interval plus %d ms.
                """.formatted(BenchmarkRig.EXACTLY_ONCE_BRIDGE_ID, transactionInterval.toMillis(),
                BenchmarkRig.BRIDGE_TRANSACTION_INTERVAL.isEmpty() ? "the bridge's default"
                        : "bench.bridge.transaction-interval=" + BenchmarkRig.BRIDGE_TRANSACTION_INTERVAL,
                ResultTable.EXACTLY_ONCE_MIN_RATE_RATIO * 100, ResultTable.EXACTLY_ONCE_LATENCY_MARGIN.toMillis());
    }

    private static final String NOTES = """
            Notes:
            - Rate: unique arrivals / (last arrival − first send), median over the repetitions that did not fail.
              kafka-limit: ProducerPerformance's own records/s (acks=all, idempotent).
            - CPU s / 100k and peak RSS (VmHWM, reset at the start of each case) are of the process under test: the
              bridge JVM (bridge-*, latency-m2k, latency-m2k-eos, latency-k2m), the naive peer JVM (naive-*),
              Mosquitto (drain-*, latency-drain), the harness JVM (latency-kafka); not measured for kafka-limit.
            - Status: FAILED = a stall (no arrival for 15 s), an error, missing messages where the case promises
              delivery (QoS 1/2 through the bridge, the drain), or duplicates where it promises exactly once (QoS 2
              through the bridge, the drain). Where nothing is promised (QoS 0, and the naive peer at every QoS: it
              acknowledges MQTT before writing to Kafka) missing messages are DROPPED when they are exactly the ones
              the bridge counted as dropped (bridge drops = missing: QoS 0 given up under overload, by design), and
              LOSS otherwise (a loss nothing counted), but UNATTRIBUTED for QoS 0 against a broker of bench.brokers
              whose own drops cannot be read (the missing ones may be the broker's). FAILED and LOSS fail the run
              (bin/benchmark exits 1); OK, DROPPED and UNATTRIBUTED do not.
            - Broker drops: Mosquitto's $SYS/broker/publish/messages/dropped during the case. Bridge drops: the
              bridge's bridge_messages_dropped_total (every reason, from /q/metrics) during the case; – where the
              bridge is not on the path.
            - Latency: paced 2,000 msg/s, QoS 1 (latency-m2k also QoS 2, latency-m2k-eos QoS 2 only), 256 B; from the
              scheduled send time to the arrival (Kafka consumer for latency-m2k, latency-m2k-eos and latency-kafka,
              MQTT subscriber for latency-k2m and latency-drain). latency-drain and latency-kafka are the two hops
              without the bridge (QoS 1, the Kafka hop with the bridge's QoS 1 producer settings); the hop table
              takes them off the QoS 1 bridge paths.
            - Bridge: java -Xmx%s, MQTT protocol version %s, receive maximum %s, qos0-overload %s, Kafka client properties at the
              bridge's defaults (QoS 0: acks=1; QoS 1/2: acks=all, idempotent, linger.ms %s) plus [%s]. Naive peer: -Ppin-netty-mqtt
              (netty-codec-mqtt 4.1.132.Final), MQTT_BUFFER_SIZE = N + 10000, acks=all, idempotent, java -Xmx%s
              (it buffers what Kafka has not taken yet without bound, so it needs heap for a case's whole backlog).
              No naive QoS 2 case: its MQTT connector refuses QoS 2 on an incoming channel (SRMSG17001), so
              "bridge / naive peer" at QoS 2 is n/a.
            - Mosquitto: max_inflight_messages %d (its window towards the publisher), max_queued_messages 10000000
              (no drops). 2.0.13 or later unless bench.mosquitto.any-version=true: older versions keep no in-flight
              window towards a slow subscriber.
            - Per broker (bench.brokers): each other broker as the broker matrix runs it (docs/brokers.md), with a
              bridge of its own at the same settings (MQTT 3.1.1, and so the publisher and subscriber, where the broker
              has no MQTT 5); a QoS above the broker's maximum is published, subscribed and
              delivered at that maximum (RabbitMQ 3.10: QoS 2 → 1), shown as such and not a failure. Broker drops and
              the broker's CPU are measured for Mosquitto only.
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
