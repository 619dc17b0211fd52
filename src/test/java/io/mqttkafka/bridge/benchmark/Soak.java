package io.mqttkafka.bridge.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The soak run: MQTT → Kafka QoS 1, 256 B, paced, for many minutes through the long-lived bridge, sampling the
 * bridge's heap after a full GC and its RSS. A bridge that leaks shows a heap after GC that keeps growing; a
 * healthy one levels off. Every message must arrive, as in the throughput cases.
 */
final class Soak {

    private static final Pattern HEAP_USED = Pattern.compile("total (\\d+)K, used (\\d+)K");

    record Sample(Duration at, long heapUsedAfterGcKb, long rssKb, int arrived) {
    }

    record Outcome(List<Sample> samples, int expected, int unique, long duplicates, ArrivalCounter.Latency latency,
            String problem) {

        /** A soak fails the run when it failed: every message must arrive, as in the throughput cases. */
        boolean failed() {
            return problem != null;
        }

        /** Heap after GC in the last third of the run against the first third (after warm-up), in percent. */
        double heapGrowthPercent() {
            int third = Math.max(1, samples.size() / 3);
            double early = samples.subList(0, third).stream().mapToLong(Sample::heapUsedAfterGcKb).average().orElse(0);
            double late = samples.subList(samples.size() - third, samples.size()).stream()
                    .mapToLong(Sample::heapUsedAfterGcKb).average().orElse(0);
            return early == 0 ? 0 : (late - early) * 100 / early;
        }
    }

    private Soak() {
    }

    static Outcome run(BenchmarkRig rig, LoadPublisher publisher, Duration duration, int perSecond, Duration sampleEvery)
            throws Exception {
        int count = (int) (duration.toSeconds() * perSecond);
        long runId = System.nanoTime();
        ArrivalCounter counter = new ArrivalCounter(runId, count, true);
        long pid = rig.bridge().pid();
        List<Sample> samples = new ArrayList<>();
        try (KafkaArrivals arrivals = KafkaArrivals.fromEnd(rig.bootstrapServers(), BenchmarkRig.m2kKafkaTopic(1, 256),
                counter)) {
            long start = System.nanoTime();
            CompletableFuture<LoadPublisher.Sent> sending = CompletableFuture.supplyAsync(() -> {
                try {
                    return publisher.publishPaced(BenchmarkRig.m2kMqttTopic(1, 256), 1, count, 256, runId, perSecond);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            });
            while (!sending.isDone()) {
                try {
                    sending.get(sampleEvery.toMillis(), TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException sampleDue) {
                    Sample sample = new Sample(Duration.ofNanos(System.nanoTime() - start), heapUsedAfterGcKb(pid),
                            ProcStats.peakRssKb(pid), counter.unique());
                    samples.add(sample);
                    System.out.printf(Locale.ROOT, "soak %5ds  heap after GC %6d KB  RSS %7d KB  arrived %d/%d%n",
                            sample.at().toSeconds(), sample.heapUsedAfterGcKb(), sample.rssKb(), sample.arrived(), count);
                }
            }
            LoadPublisher.Sent sent = sending.get();
            boolean complete = sent.problem() == null && counter.awaitComplete(CaseRunner.STALL);
            String problem = sent.problem() != null ? sent.problem()
                    : complete ? null : "stall: no arrival for " + CaseRunner.STALL.toSeconds() + " s";
            return new Outcome(samples, count, counter.unique(), counter.duplicates(), counter.latency(), problem);
        }
    }

    /** Forces a full collection in the bridge and reads what stays live ({@code jcmd}, same JDK as the harness). */
    static long heapUsedAfterGcKb(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        return parseHeapUsedKb(jcmd(pid, "GC.heap_info"));
    }

    static long parseHeapUsedKb(String heapInfo) {
        Matcher matcher = HEAP_USED.matcher(heapInfo);
        if (!matcher.find()) {
            throw new IllegalStateException("No heap usage in jcmd GC.heap_info output: " + heapInfo);
        }
        return Long.parseLong(matcher.group(2));
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process process = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + pid + " " + command + " failed: " + output);
        }
        return output;
    }

    static String markdown(Outcome outcome, Duration duration, int perSecond, String bridgeHeap) {
        StringBuilder out = new StringBuilder();
        out.append("## Soak: MQTT → Kafka QoS 1, 256 B, ").append(perSecond).append(" msg/s for ")
                .append(duration.toMinutes()).append(" min, bridge -Xmx").append(bridgeHeap).append("\n\n");
        out.append("| at (s) | heap after full GC (MB) | peak RSS (MB) | arrived |\n|---:|---:|---:|---:|\n");
        for (Sample sample : outcome.samples()) {
            out.append(String.format(Locale.ROOT, "| %d | %.1f | %.0f | %d |%n", sample.at().toSeconds(),
                    sample.heapUsedAfterGcKb() / 1024.0, sample.rssKb() / 1024.0, sample.arrived()));
        }
        // A soak that failed early (nothing arrived, no sample taken) is the report that matters most, so it
        // must still be written.
        ArrivalCounter.Latency latency = outcome.latency();
        String latencyText = latency == null ? "latency – (nothing arrived)"
                : String.format(Locale.ROOT, "latency p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms", latency.p50Ms(),
                        latency.p99Ms(), latency.p999Ms());
        String heapText = outcome.samples().isEmpty() ? "– (no sample)"
                : String.format(Locale.ROOT, "%+.1f %%", outcome.heapGrowthPercent());
        out.append(String.format(Locale.ROOT,
                "%nArrived %d of %d, duplicates %d, %s. Heap after GC, last third against first third: %s. %s%n",
                outcome.unique(), outcome.expected(), outcome.duplicates(), latencyText, heapText,
                outcome.failed() ? "Status: FAILED: " + outcome.problem() : "Status: OK."));
        return out.toString();
    }

    static void write(Path out, String markdown) throws IOException {
        Files.writeString(out.resolve("soak.md"), markdown);
    }
}
