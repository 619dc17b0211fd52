package io.mqttkafka.bridge.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The harness runs in its own JVM started by the Maven profile {@code benchmark}, which forwards only the system
 * properties it names. An option the harness reads but the profile does not forward is silently ignored: the run
 * uses the default and the results look valid ({@code bench.warmup} and {@code bench.mosquitto.any-version} were
 * such options). The option table of docs/benchmarks.md must not promise one either.
 */
class BenchmarkOptionsTest {

    private static final Path HARNESS_SOURCES = Path.of("src/test/java/io/mqttkafka/bridge/benchmark");
    private static final Pattern READ_BY_HARNESS = Pattern.compile("[pP]roperty\\(\"(bench\\.[a-z.-]+)\"");
    private static final Pattern FORWARDED_BY_PROFILE = Pattern.compile("<argument>-D([a-z.-]+)=\\$\\{\\1}</argument>");
    private static final Pattern DOCUMENTED = Pattern.compile("(?m)^\\| `-D([a-z.-]+)=");

    @Test
    void everyOptionTheHarnessReadsIsForwardedByTheMavenProfile() {
        Set<String> read = new TreeSet<>();
        try (Stream<Path> sources = Files.list(HARNESS_SOURCES)) {
            sources.filter(file -> file.toString().endsWith(".java"))
                    .forEach(file -> read.addAll(matches(READ_BY_HARNESS, file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }

        assertThat(read).as("options read by the harness").contains("bench.n", "bench.warmup");
        assertThat(forwarded()).containsAll(read);
    }

    @Test
    void everyDocumentedOptionIsForwardedByTheMavenProfile() {
        Set<String> documented = matches(DOCUMENTED, Path.of("docs/benchmarks.md"));

        assertThat(documented).as("options in the table of docs/benchmarks.md").contains("bench.warmup", "bench.out");
        assertThat(forwarded()).containsAll(documented);
    }

    @Test
    void anUnknownPayloadStopsTheRunBeforeAnyBrokerStartsAndNamesTheOption() {
        System.setProperty("bench.payload", "json");
        try {
            // The option is read by a class initialiser too; the run must fail with the option's own message, not
            // with an ExceptionInInitializerError around it.
            assertThatThrownBy(() -> Benchmark.main(new String[0]))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage("bench.payload: 'json' is none of zeros, random, telemetry");
        } finally {
            System.clearProperty("bench.payload");
        }
    }

    private static final List<String> KNOWN_BROKERS = List.of("hivemq", "mosquitto", "mosquitto-2.0.11", "artemis",
            "rabbitmq");

    @Test
    void brokersDefaultToTheHarnessesOwnMosquittoAndKeepTheOrderGiven() {
        assertThat(Benchmark.Options.brokers("", KNOWN_BROKERS)).containsExactly("mosquitto");
        assertThat(Benchmark.Options.brokers(" , ", KNOWN_BROKERS)).containsExactly("mosquitto");
        assertThat(Benchmark.Options.brokers("RabbitMQ, mosquitto-2.0.11,rabbitmq,hivemq", KNOWN_BROKERS))
                .containsExactly("rabbitmq", "mosquitto-2.0.11", "hivemq");
    }

    @Test
    void anUnknownBrokerNamesTheOptionAndTheKnownOnes() {
        assertThatThrownBy(() -> Benchmark.Options.brokers("mosquitto,emqx", KNOWN_BROKERS))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("bench.brokers: 'emqx' is none of hivemq, mosquitto, mosquitto-2.0.11, artemis, rabbitmq");
    }

    /** The default run is unchanged: every case, against the harness's own Mosquitto only. */
    @Test
    void theDefaultRunHasEveryCaseAgainstTheHarnessesMosquittoOnly() {
        Map<String, List<BenchCase>> cases = Benchmark.casesByBroker(options(List.of(), "mosquitto"), MAX_QOS);

        assertThat(cases).containsOnlyKeys("mosquitto");
        assertThat(cases.get("mosquitto")).isEqualTo(Benchmark.allCases());
    }

    /**
     * Several brokers without bench.cases: each runs the drain and the bridge at QoS 0/1/2 (256 B), the others named
     * after their broker and capped at its highest QoS; bench.cases filters them all by prefix.
     */
    @Test
    void severalBrokersRunTheDrainAndBridgeCasesOnEach() {
        Map<String, List<BenchCase>> cases = Benchmark.casesByBroker(options(List.of(), "mosquitto,rabbitmq,hivemq"),
                MAX_QOS);

        assertThat(cases.keySet()).containsExactly("mosquitto", "rabbitmq", "hivemq");
        assertThat(cases.get("mosquitto")).extracting(BenchCase::name).containsExactly("drain-q0-256", "drain-q1-256",
                "drain-q2-256", "bridge-m2k-q0-256", "bridge-m2k-q1-256", "bridge-m2k-q2-256");
        assertThat(cases.get("rabbitmq")).extracting(BenchCase::name).containsExactly("drain-q0-256@rabbitmq",
                "drain-q1-256@rabbitmq", "drain-q2-256@rabbitmq", "bridge-m2k-q0-256@rabbitmq",
                "bridge-m2k-q1-256@rabbitmq", "bridge-m2k-q2-256@rabbitmq");
        assertThat(cases.get("rabbitmq")).extracting(BenchCase::deliveredQos).containsExactly(0, 1, 1, 0, 1, 1);
        assertThat(cases.get("hivemq")).extracting(BenchCase::deliveredQos).containsExactly(0, 1, 2, 0, 1, 2);

        Map<String, List<BenchCase>> filtered = Benchmark.casesByBroker(
                options(List.of("bridge-m2k-q1", "drain-q1-256"), "hivemq,mosquitto"), MAX_QOS);
        assertThat(filtered.get("hivemq")).extracting(BenchCase::name)
                .containsExactly("drain-q1-256@hivemq", "bridge-m2k-q1-256@hivemq");
        assertThat(filtered.get("mosquitto")).extracting(BenchCase::name)
                .containsExactly("drain-q1-256", "bridge-m2k-q1-256", "bridge-m2k-q1-4096");
    }

    /**
     * Issue 22's comparison in one run: bench.cases names the plain and the exactly-once QoS 2 cases, full speed and
     * paced, and gets exactly those (a name is a prefix, and no other case starts with any of the four).
     */
    @Test
    void theExactlyOnceComparisonSelectsExactlyItsFourCases() {
        List<String> comparison = List.of("bridge-m2k-q2-256", "bridge-m2k-eos-q2-256", "latency-m2k-q2-256",
                "latency-m2k-eos-q2-256");

        List<BenchCase> cases = Benchmark.casesByBroker(options(comparison, "mosquitto"), MAX_QOS).get("mosquitto");

        assertThat(cases).extracting(BenchCase::name).containsExactlyElementsOf(comparison);
        assertThat(cases).extracting(BenchCase::exactlyOnceMapping).containsExactly(false, true, false, true);
        assertThat(cases).extracting(BenchCase::paced).containsExactly(false, false, true, true);
        assertThat(cases).allMatch(BenchCase::exactlyOnce, "a duplicate fails each of them");
    }

    /** The default run has the exactly-once pair and the paced QoS 2 case beside the paced QoS 1 one. */
    @Test
    void theDefaultRunMeasuresExactlyOnceAndPacedQos2() {
        assertThat(Benchmark.allCases()).extracting(BenchCase::name).contains("bridge-m2k-q2-256",
                "bridge-m2k-eos-q2-256", "latency-m2k-q1-256", "latency-m2k-q2-256", "latency-m2k-eos-q2-256");
        assertThat(Benchmark.allCases()).filteredOn(BenchCase::exactlyOnceMapping).extracting(BenchCase::name)
                .containsExactly("bridge-m2k-eos-q2-256", "latency-m2k-eos-q2-256");
    }

    /**
     * The bridge refuses an exactly-once mapping with MQTT 3.1.1: with bench.bridge.protocol-version=3 a default run
     * leaves those cases out, and a bench.cases that selects one stops the run, naming the cases and both options.
     */
    @Test
    void exactlyOnceCasesNeedMqtt5() {
        List<BenchCase> all = Benchmark.allCases();

        assertThat(Benchmark.withoutExactlyOnceUnlessMqtt5(all, true, false)).isEqualTo(all);
        assertThat(Benchmark.withoutExactlyOnceUnlessMqtt5(all, true, true)).isEqualTo(all);
        assertThat(Benchmark.withoutExactlyOnceUnlessMqtt5(all, false, false)).hasSize(all.size() - 2)
                .noneMatch(BenchCase::exactlyOnceMapping).contains(new BenchCase(BenchCase.Kind.LATENCY_M2K, 2, 256));
        List<BenchCase> withoutExactlyOnce = List.of(new BenchCase(BenchCase.Kind.BRIDGE_M2K, 2, 256));
        assertThat(Benchmark.withoutExactlyOnceUnlessMqtt5(withoutExactlyOnce, false, true)).isEqualTo(withoutExactlyOnce);
        assertThatThrownBy(() -> Benchmark.withoutExactlyOnceUnlessMqtt5(Benchmark.casesByBroker(
                options(List.of("bridge-m2k-q2-256", "bridge-m2k-eos"), "mosquitto"), MAX_QOS).get("mosquitto"), false, true))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("bench.cases selects bridge-m2k-eos-q2-256, which need MQTT 5 (the bridge refuses an "
                        + "exactly-once mapping with MQTT 3.1.1), but bench.bridge.protocol-version is 3: leave them out "
                        + "of bench.cases or run with MQTT 5");
    }

    /**
     * bench.bridge.transaction-interval is read as the bridge reads its duration settings; unset, it is the bridge's own
     * default (100 ms), so the latency target follows what the exactly-once bridge actually runs with.
     */
    @Test
    void theTransactionIntervalIsReadAsTheBridgeReadsIt() {
        assertThat(BenchmarkRig.transactionInterval("")).isEqualTo(Duration.ofMillis(100));
        assertThat(BenchmarkRig.transactionInterval("50ms")).isEqualTo(Duration.ofMillis(50));
        assertThat(BenchmarkRig.transactionInterval("1s")).isEqualTo(Duration.ofSeconds(1));
        assertThat(BenchmarkRig.transactionInterval("PT0.2S")).isEqualTo(Duration.ofMillis(200));
        for (String bad : List.of("fast", "0ms", "-5ms")) {
            assertThatThrownBy(() -> BenchmarkRig.transactionInterval(bad))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage("bench.bridge.transaction-interval: '" + bad + "' is no positive duration (e.g. 100ms, 1s)");
        }
    }

    private static final Map<String, Integer> MAX_QOS = Map.of("hivemq", 2, "mosquitto", 2, "mosquitto-2.0.11", 2,
            "artemis", 2, "rabbitmq", 1);

    private static Benchmark.Options options(List<String> caseFilter, String brokers) {
        return new Benchmark.Options(1000, 1, 100, Duration.ofSeconds(1), caseFilter, Path.of("unused"), 10,
                BenchPayload.Filler.ZEROS, "test", Benchmark.Options.brokers(brokers, KNOWN_BROKERS));
    }

    private static Set<String> forwarded() {
        return matches(FORWARDED_BY_PROFILE, Path.of("pom.xml"));
    }

    private static Set<String> matches(Pattern pattern, Path file) {
        Set<String> names = new TreeSet<>();
        try {
            Matcher matcher = pattern.matcher(Files.readString(file));
            while (matcher.find()) {
                names.add(matcher.group(1));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file.toAbsolutePath(), e);
        }
        return names;
    }
}
