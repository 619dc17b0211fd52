package io.mqttkafka.bridge.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
