package io.mqttkafka.bridge.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.mqttkafka.bridge.testing.Processes;

/**
 * Kafka's own {@code org.apache.kafka.tools.ProducerPerformance} as a child process: the Kafka limit, with the
 * producer guarantees the bridge uses for QoS 1/2 (acks=all, idempotent). Needs kafka-tools on the class path
 * (Maven profile {@code benchmark}).
 */
final class ProducerPerfRun {

    static final String MAIN_CLASS = "org.apache.kafka.tools.ProducerPerformance";

    /** The final summary line: the only one with percentiles. */
    private static final Pattern SUMMARY = Pattern.compile(
            "^(\\d+) records sent, ([\\d.]+) records/sec \\(([\\d.]+) MB/sec\\).*?(\\d+) ms 50th, (\\d+) ms 95th, "
                    + "(\\d+) ms 99th, (\\d+) ms 99\\.9th");

    private ProducerPerfRun() {
    }

    /** Parsed summary: records sent, their rate, and the producer's send latency percentiles in ms. */
    record Summary(long records, double recordsPerSecond, double megabytesPerSecond, double p50Ms, double p99Ms,
            double p999Ms) {
    }

    /** The summary from ProducerPerformance's output, if it has one (its last line containing "50th"). */
    static Optional<Summary> parseSummary(String output) {
        Summary last = null;
        for (String line : output.split("\n")) {
            Matcher matcher = SUMMARY.matcher(line.trim());
            if (matcher.find()) {
                last = new Summary(Long.parseLong(matcher.group(1)), Double.parseDouble(matcher.group(2)),
                        Double.parseDouble(matcher.group(3)), Double.parseDouble(matcher.group(4)),
                        Double.parseDouble(matcher.group(6)), Double.parseDouble(matcher.group(7)));
            }
        }
        return Optional.ofNullable(last);
    }

    /** Runs ProducerPerformance to completion; its output goes to {@code log}. */
    static Summary run(String bootstrapServers, String topic, int records, int recordSize, Path log, Duration timeout)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), MAIN_CLASS,
                "--topic", topic, "--num-records", Integer.toString(records), "--record-size", Integer.toString(recordSize),
                "--throughput", "-1",
                "--producer-props", "bootstrap.servers=" + bootstrapServers, "acks=all", "enable.idempotence=true"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("ProducerPerformance did not finish within " + timeout + " (log: " + log + ")");
            }
        } finally {
            Processes.terminate(process, true);
        }
        String output = Files.readString(log);
        return parseSummary(output).orElseThrow(() -> new IllegalStateException(
                "ProducerPerformance exited with " + process.exitValue() + " and no summary line (log: " + log + ")"));
    }
}
