package io.mqttkafka.bridge.benchmark;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.mqttkafka.bridge.benchmark.ArrivalCounter.Latency;
import io.mqttkafka.bridge.benchmark.BenchCase.Kind;

/**
 * Turns the repetitions into the report: per case the median, min and max rate over the repetitions that did not
 * fail, resources, losses and a status; and the ratios of medians that answer "how close is the bridge to its
 * limits", with the spread of the same ratio taken repetition by repetition. Pure: no I/O, so the rules are
 * unit-tested.
 */
final class ResultTable {

    static final String OK = "OK";
    static final String LOSS = "LOSS";
    static final String DROPPED = "DROPPED";
    /**
     * QoS 0 messages missing against a broker whose own drops the harness cannot read (any of {@code bench.brokers} but
     * the rig's Mosquitto), beyond what the bridge counted: they may be the broker's (HiveMQ CE drops QoS 0 for a
     * subscriber that does not keep up, and publishes no count of it). Reported, never passed off as the bridge's
     * DROPPED, and it does not fail the run: QoS 0 promises nothing, and nothing tells whose loss it was.
     */
    static final String UNATTRIBUTED = "UNATTRIBUTED";
    static final String FAILED = "FAILED";
    /** Issue 22: exactly-once may cost QoS 2 at most 20 % of its rate, measured in the same run. */
    static final double EXACTLY_ONCE_MIN_RATE_RATIO = 0.80;
    /**
     * Issue 22: the paced p99 of exactly-once QoS 2 stays below the transaction interval plus this much. A record is
     * visible to a {@code read_committed} consumer only once its transaction commits, so the interval itself is the
     * part of the latency that exactly-once adds by design; the margin is what the rest of the path may take.
     */
    static final Duration EXACTLY_ONCE_LATENCY_MARGIN = Duration.ofMillis(15);

    private ResultTable() {
    }

    /**
     * OK when everything arrived once. A run that lost messages is a failure unless the case promises nothing (QoS 0,
     * or the naive peer, which acknowledges before Kafka): then it is DROPPED when the bridge counted exactly the
     * missing messages as dropped (its documented QoS 0 overload behaviour, which the run is allowed), otherwise
     * LOSS; either way its rate still counts. A duplicate is a failure where the case promises exactly once (QoS 2).
     *
     * Against a broker whose drops cannot be read, QoS 0 messages the bridge did not count are UNATTRIBUTED instead.
     *
     * @param bridgeDrops what the bridge counted as dropped during the run; null where no bridge was on the path
     * @param brokerDrops what the broker counted as dropped (Mosquitto's $SYS); null where it cannot be read
     */
    static String status(BenchCase benchCase, long missing, long duplicates, Long bridgeDrops, Long brokerDrops,
            String problem) {
        if (problem != null) {
            return FAILED + ": " + problem;
        }
        List<String> brokenPromises = new ArrayList<>();
        if (missing > 0 && !benchCase.atMostOnce()) {
            brokenPromises.add(missing + " missing");
        }
        if (duplicates > 0 && benchCase.exactlyOnce()) {
            brokenPromises.add(duplicates + " duplicates");
        }
        if (!brokenPromises.isEmpty()) {
            return FAILED + ": " + String.join(", ", brokenPromises);
        }
        if (missing == 0) {
            return OK;
        }
        if (bridgeDrops != null && bridgeDrops == missing) {
            return DROPPED;
        }
        boolean brokerDropsUnreadable = !benchCase.broker().isEmpty() && brokerDrops == null;
        boolean bridgeCountedTooMany = bridgeDrops != null && bridgeDrops > missing;
        return brokerDropsUnreadable && benchCase.qos() == 0 && !bridgeCountedTooMany ? UNATTRIBUTED : LOSS;
    }

    /** Median, min and max; the median of an even count is the mean of the middle two. */
    record Spread(double median, double min, double max) {

        static Spread of(List<Double> values) {
            if (values.isEmpty()) {
                return null;
            }
            List<Double> sorted = values.stream().sorted().toList();
            int middle = sorted.size() / 2;
            double median = sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
            return new Spread(median, sorted.get(0), sorted.get(sorted.size() - 1));
        }
    }

    /**
     * All repetitions of one case, summarised; {@code rateByRep} holds the rate of each repetition that did not
     * fail, by repetition number.
     */
    record CaseSummary(BenchCase benchCase, int reps, Map<Integer, Double> rateByRep, Double cpuSecondsPer100k,
            Long peakRssKb, long duplicates, long missing, Long brokerDrops, Long bridgeDrops, Latency latency,
            String status,
            CpuBreakdown cpuBreakdown, ThreadBreakdown peerThreads) {

        CaseSummary {
            rateByRep = Map.copyOf(rateByRep);
        }

        /** Median, min and max rate over the repetitions that did not fail; null when every one failed. */
        Spread rate() {
            return spreadOf(rateByRep);
        }
    }

    private static Spread spreadOf(Map<Integer, Double> rateByRep) {
        return Spread.of(List.copyOf(rateByRep.values()));
    }

    static CaseSummary summarise(BenchCase benchCase, List<CaseResult> results) {
        List<CaseResult> usable = results.stream().filter(result -> !result.failed()).toList();
        Spread cpu = Spread.of(usable.stream().map(CaseResult::cpuSecondsPer100k).filter(Objects::nonNull).toList());
        Long peakRss = results.stream().map(CaseResult::peakRssKb).filter(Objects::nonNull).max(Long::compare).orElse(null);
        Latency latency = null;
        List<Latency> latencies = usable.stream().map(CaseResult::latency).filter(Objects::nonNull).toList();
        if (!latencies.isEmpty()) {
            latency = new Latency(Spread.of(latencies.stream().map(Latency::p50Ms).toList()).median(),
                    Spread.of(latencies.stream().map(Latency::p99Ms).toList()).median(),
                    Spread.of(latencies.stream().map(Latency::p999Ms).toList()).median());
        }
        Map<Integer, Double> rateByRep = usable.stream()
                .collect(Collectors.toMap(CaseResult::rep, CaseResult::ratePerSecond, (first, second) -> first));
        return new CaseSummary(benchCase, results.size(), rateByRep, cpu == null ? null : cpu.median(), peakRss,
                results.stream().mapToLong(CaseResult::duplicates).sum(),
                results.stream().mapToLong(CaseResult::missing).sum(),
                sumOfMeasured(results, CaseResult::brokerDrops), sumOfMeasured(results, CaseResult::bridgeDrops),
                latency, overallStatus(results), CpuBreakdown.median(usable.stream().map(CaseResult::cpuBreakdown).toList()),
                ThreadBreakdown.median(usable.stream().map(CaseResult::peerThreads).toList()));
    }

    /** Null when no repetition measured it. */
    private static Long sumOfMeasured(List<CaseResult> results, Function<CaseResult, Long> count) {
        List<Long> measured = results.stream().map(count).filter(Objects::nonNull).toList();
        return measured.isEmpty() ? null : measured.stream().mapToLong(Long::longValue).sum();
    }

    /**
     * The worst status over the repetitions, with how many had it: "OK", "DROPPED 3/3", "LOSS 1/3",
     * "FAILED 2/3: stall ...". A LOSS outweighs an UNATTRIBUTED, which outweighs a DROPPED: one uncounted loss is what
     * the run must not hide.
     */
    static String overallStatus(List<CaseResult> results) {
        Map<String, Long> counts = results.stream().collect(Collectors.groupingBy(
                result -> result.status().startsWith(FAILED) ? FAILED : result.status(), LinkedHashMap::new,
                Collectors.counting()));
        if (counts.containsKey(FAILED)) {
            String firstReason = results.stream().map(CaseResult::status).filter(status -> status.startsWith(FAILED))
                    .findFirst().orElseThrow().substring(FAILED.length());
            return FAILED + " " + counts.get(FAILED) + "/" + results.size() + firstReason;
        }
        for (String loss : List.of(LOSS, UNATTRIBUTED, DROPPED)) {
            if (counts.containsKey(loss)) {
                return loss + " " + counts.get(loss) + "/" + results.size();
            }
        }
        return OK;
    }

    /**
     * The cases that fail the run, as "case: status" in table order; empty when the run passed. FAILED broke a
     * promise and LOSS lost what nobody counted; DROPPED is the bridge's counted QoS 0 overload, which a run is
     * allowed, or bridge-m2k-q0-4096 would fail every run.
     */
    static List<String> runFailures(List<CaseSummary> summaries) {
        return summaries.stream().filter(summary -> summary.status().startsWith(FAILED) || summary.status().startsWith(LOSS))
                .map(summary -> summary.benchCase().name() + ": " + summary.status()).toList();
    }

    /**
     * A ratio of two cases' median rates; {@code value} is null when either has no usable repetition.
     * {@code perRepetition} is the spread of the same ratio taken within each repetition both cases have (null when
     * they share none): the cases of one repetition run minutes apart, so it shows how much of a difference between
     * runs is the machine's, which on a shared virtual machine is often more than the median alone suggests.
     */
    record Ratio(String label, String numerator, String denominator, Double value, Spread perRepetition) {
    }

    /**
     * The comparisons the benchmark exists for, for every case of {@code cases} they apply to.
     *
     * @param ratesByRep per case name, the rate of each of its usable repetitions by repetition number
     */
    static List<Ratio> ratios(List<BenchCase> cases, Map<String, Map<Integer, Double>> ratesByRep) {
        List<Ratio> ratios = new ArrayList<>();
        for (BenchCase benchCase : cases) {
            int qos = benchCase.qos();
            int size = benchCase.size();
            if (benchCase.kind() == Kind.BRIDGE_M2K) {
                // Against the drain of the same broker; the naive peer runs against the rig's Mosquitto only.
                ratios.add(ratio("bridge / MQTT drain", benchCase, benchCase.withKind(Kind.DRAIN), ratesByRep));
                ratios.add(ratio("bridge / Kafka ProducerPerformance", benchCase, new BenchCase(Kind.KAFKA_LIMIT, 0, size),
                        ratesByRep));
                if (benchCase.broker().isEmpty()) {
                    ratios.add(ratio("bridge / naive peer", benchCase, new BenchCase(Kind.NAIVE_M2K, qos, size),
                            ratesByRep));
                }
                if (qos == 2) {
                    ratios.add(ratio("bridge QoS 2 / QoS 1", benchCase, benchCase.withQos(1), ratesByRep));
                }
            } else if (benchCase.kind() == Kind.BRIDGE_M2K_TLS) {
                ratios.add(ratio("bridge over TLS / plain TCP", benchCase, new BenchCase(Kind.BRIDGE_M2K, qos, size),
                        ratesByRep));
                ratios.add(ratio("bridge over TLS / MQTT drain over TLS", benchCase,
                        new BenchCase(Kind.DRAIN_TLS, qos, size), ratesByRep));
            } else if (benchCase.kind() == Kind.DRAIN_TLS) {
                ratios.add(ratio("MQTT drain over TLS / plain TCP", benchCase, new BenchCase(Kind.DRAIN, qos, size),
                        ratesByRep));
            } else if (benchCase.kind() == Kind.BRIDGE_K2M) {
                ratios.add(ratio("Kafka→MQTT bridge / bare MQTT publisher", benchCase, new BenchCase(Kind.DRAIN, qos, size),
                        ratesByRep));
            }
        }
        return ratios;
    }

    private static Ratio ratio(String label, BenchCase numerator, BenchCase denominator,
            Map<String, Map<Integer, Double>> ratesByRep) {
        Map<Integer, Double> top = ratesByRep.getOrDefault(numerator.name(), Map.of());
        Map<Integer, Double> bottom = ratesByRep.getOrDefault(denominator.name(), Map.of());
        Spread topRate = spreadOf(top);
        Spread bottomRate = spreadOf(bottom);
        Double value = topRate == null || bottomRate == null || bottomRate.median() == 0 ? null
                : topRate.median() / bottomRate.median();
        List<Double> withinRepetitions = top.entrySet().stream()
                .filter(rep -> bottom.getOrDefault(rep.getKey(), 0.0) > 0)
                .map(rep -> rep.getValue() / bottom.get(rep.getKey())).toList();
        return new Ratio(label, numerator.name(), denominator.name(), value, Spread.of(withinRepetitions));
    }

    /**
     * The bridge against each broker of {@code bench.brokers}: per broker and QoS, the bridge's MQTT → Kafka rate as a
     * ratio of that broker's own drain (the same publisher and a bare subscriber on it), and whether anything was lost.
     * Empty unless the run has a case against a broker other than the rig's own Mosquitto.
     *
     * @param brokerNames product and version by broker id ({@code ""} is the rig's Mosquitto); the id where absent
     */
    static String perBroker(List<CaseSummary> summaries, Map<String, String> brokerNames) {
        if (summaries.stream().allMatch(summary -> summary.benchCase().broker().isEmpty())) {
            return "";
        }
        Map<String, CaseSummary> byName = summaries.stream()
                .collect(Collectors.toMap(summary -> summary.benchCase().name(), summary -> summary, (a, b) -> a));
        StringBuilder out = new StringBuilder("| broker | QoS | bridge (msg/s) | drain (msg/s) | bridge / drain"
                + " | bridge: status | missing | duplicates | drain: status |\n|---|---|---:|---:|---:|---|---:|---:|---|\n");
        for (CaseSummary bridge : summaries) {
            BenchCase bridgeCase = bridge.benchCase();
            if (bridgeCase.kind() != Kind.BRIDGE_M2K) {
                continue;
            }
            CaseSummary drain = byName.get(bridgeCase.withKind(Kind.DRAIN).name());
            Spread bridgeRate = bridge.rate();
            Spread drainRate = drain == null ? null : drain.rate();
            String broker = bridgeCase.broker();
            out.append("| ").append(brokerNames.getOrDefault(broker, broker.isEmpty() ? "mosquitto" : broker))
                    .append(" | ").append(bridgeCase.downgraded() ? bridgeCase.qos() + " → " + bridgeCase.deliveredQos()
                            + " (the broker's maximum)" : Integer.toString(bridgeCase.qos()))
                    .append(" | ").append(bridgeRate == null ? "–" : whole(bridgeRate.median()))
                    .append(" | ").append(drainRate == null ? "–" : whole(drainRate.median()))
                    .append(" | ").append(bridgeRate == null || drainRate == null || drainRate.median() == 0 ? "n/a"
                            : twoDecimals(bridgeRate.median() / drainRate.median()))
                    .append(" | ").append(bridge.status())
                    .append(" | ").append(bridge.missing())
                    .append(" | ").append(bridge.duplicates())
                    .append(" | ").append(drain == null ? "not run" : drain.status())
                    .append(" |\n");
        }
        return out.toString();
    }

    /**
     * The result tables in Markdown, cases in the order given.
     *
     * @param transactionInterval the exactly-once bridge's {@code bridge.kafka.transaction-interval}, which the latency
     *        target of {@link #exactlyOnceCost} is taken from
     */
    static String markdown(List<CaseSummary> summaries, Duration transactionInterval) {
        StringBuilder out = new StringBuilder();
        out.append("| case | status | rate median (msg/s) | min | max | CPU s / 100k | peak RSS MB | duplicates | missing"
                + " | broker drops | bridge drops | latency p50 ms | p99 ms | p99.9 ms |\n");
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (CaseSummary summary : summaries) {
            Latency latency = summary.latency();
            Spread rate = summary.rate();
            out.append("| ").append(summary.benchCase().name())
                    .append(" | ").append(summary.status())
                    .append(" | ").append(rate == null ? "–" : whole(rate.median()))
                    .append(" | ").append(rate == null ? "–" : whole(rate.min()))
                    .append(" | ").append(rate == null ? "–" : whole(rate.max()))
                    .append(" | ").append(summary.cpuSecondsPer100k() == null ? "–" : twoDecimals(summary.cpuSecondsPer100k()))
                    .append(" | ").append(summary.peakRssKb() == null ? "–" : whole(summary.peakRssKb() / 1024.0))
                    .append(" | ").append(summary.duplicates())
                    .append(" | ").append(summary.missing())
                    .append(" | ").append(summary.brokerDrops() == null ? "–" : summary.brokerDrops())
                    .append(" | ").append(summary.bridgeDrops() == null ? "–" : summary.bridgeDrops())
                    .append(" | ").append(latency == null ? "–" : twoDecimals(latency.p50Ms()))
                    .append(" | ").append(latency == null ? "–" : twoDecimals(latency.p99Ms()))
                    .append(" | ").append(latency == null ? "–" : twoDecimals(latency.p999Ms()))
                    .append(" |\n");
        }
        Map<String, Map<Integer, Double>> ratesByRep = summaries.stream()
                .collect(Collectors.toMap(summary -> summary.benchCase().name(), CaseSummary::rateByRep));
        List<Ratio> ratios = ratios(summaries.stream().map(CaseSummary::benchCase).toList(), ratesByRep);
        if (!ratios.isEmpty()) {
            out.append("\n| ratio of median rates | case | reference | ratio | within a repetition: min | max |\n"
                    + "|---|---|---|---:|---:|---:|\n");
            ratios.stream().sorted(Comparator.comparing(Ratio::label)).forEach(ratio -> out.append("| ")
                    .append(ratio.label()).append(" | ").append(ratio.numerator()).append(" | ").append(ratio.denominator())
                    .append(" | ").append(ratio.value() == null ? "n/a" : twoDecimals(ratio.value()))
                    .append(" | ").append(ratio.perRepetition() == null ? "–" : twoDecimals(ratio.perRepetition().min()))
                    .append(" | ").append(ratio.perRepetition() == null ? "–" : twoDecimals(ratio.perRepetition().max()))
                    .append(" |\n"));
        }
        String meters = metersCost(summaries);
        if (!meters.isEmpty()) {
            out.append('\n').append(meters);
        }
        String exactlyOnce = exactlyOnceCost(summaries, transactionInterval);
        if (!exactlyOnce.isEmpty()) {
            out.append('\n').append(exactlyOnce);
        }
        String breakdown = latencyBreakdown(summaries);
        if (!breakdown.isEmpty()) {
            out.append('\n').append(breakdown);
        }
        String cpu = cpuBreakdown(summaries);
        if (!cpu.isEmpty()) {
            out.append('\n').append(cpu);
        }
        String threads = threadBreakdown(summaries);
        if (!threads.isEmpty()) {
            out.append('\n').append(threads);
        }
        return out.toString();
    }

    /**
     * What the latency histograms cost (issue 20: at most 3 % more bridge CPU per message): each {@code meters-off-*} case
     * beside the same case through the bridge with them, both measured in this run. Empty when the run has no pair.
     */
    static String metersCost(List<CaseSummary> summaries) {
        Map<String, CaseSummary> byName = summaries.stream()
                .collect(Collectors.toMap(summary -> summary.benchCase().name(), summary -> summary, (a, b) -> a));
        StringBuilder rows = new StringBuilder();
        for (CaseSummary off : summaries) {
            BenchCase offCase = off.benchCase();
            if (!offCase.metersOff()) {
                continue;
            }
            Kind onKind = offCase.kind() == Kind.METERS_OFF_M2K ? Kind.BRIDGE_M2K : Kind.BRIDGE_K2M;
            CaseSummary on = byName.get(new BenchCase(onKind, offCase.qos(), offCase.size()).name());
            if (on == null) {
                continue;
            }
            Double cpuOn = on.cpuSecondsPer100k();
            Double cpuOff = off.cpuSecondsPer100k();
            Spread rateOn = on.rate();
            Spread rateOff = off.rate();
            rows.append("| ").append(on.benchCase().name()).append(" | ").append(offCase.name())
                    .append(" | ").append(cpuOn == null ? "–" : twoDecimals(cpuOn))
                    .append(" | ").append(cpuOff == null ? "–" : twoDecimals(cpuOff))
                    .append(" | ").append(cpuOn == null || cpuOff == null || cpuOff == 0 ? "n/a"
                            : String.format(Locale.ROOT, "%+.1f %%", (cpuOn / cpuOff - 1) * 100))
                    .append(" | ").append(rateOn == null ? "–" : whole(rateOn.median()))
                    .append(" | ").append(rateOff == null ? "–" : whole(rateOff.median()))
                    .append(" |\n");
        }
        if (rows.length() == 0) {
            return "";
        }
        return "| latency histograms on (case) | off (case) | bridge CPU s / 100k, on | off | difference"
                + " | rate on (msg/s) | off |\n|---|---|---:|---:|---:|---:|---:|\n"
                + rows;
    }

    /**
     * Exactly-once QoS 2 (issue 22): each exactly-once case beside the same case through the plain QoS 2 mapping, both
     * measured in this run. For the full-speed pair ({@code bridge-m2k-eos} against {@code bridge-m2k}): the ratio of the
     * median rates with its spread within a repetition, the bridge CPU per message of each and the difference, and
     * whether the rate target is met ({@link #EXACTLY_ONCE_MIN_RATE_RATIO}). For the paced pair ({@code latency-m2k-eos}
     * against {@code latency-m2k}): the percentiles of each, what exactly-once adds, and whether the p99 stays below
     * {@code transactionInterval} plus {@link #EXACTLY_ONCE_LATENCY_MARGIN}; the exactly-once p99 is judged when its
     * plain partner did not run too. Empty when the run has no exactly-once case with a result to show.
     */
    static String exactlyOnceCost(List<CaseSummary> summaries, Duration transactionInterval) {
        Map<String, CaseSummary> byName = summaries.stream()
                .collect(Collectors.toMap(summary -> summary.benchCase().name(), summary -> summary, (a, b) -> a));
        StringBuilder throughput = new StringBuilder();
        StringBuilder latency = new StringBuilder();
        Function<Latency, String> cells = percentiles -> twoDecimals(percentiles.p50Ms()) + " | "
                + twoDecimals(percentiles.p99Ms()) + " | " + twoDecimals(percentiles.p999Ms());
        for (CaseSummary exactlyOnce : summaries) {
            BenchCase exactlyOnceCase = exactlyOnce.benchCase();
            if (exactlyOnceCase.kind() == Kind.BRIDGE_M2K_EOS) {
                CaseSummary plain = byName.get(exactlyOnceCase.withKind(Kind.BRIDGE_M2K).name());
                if (plain == null) {
                    continue;
                }
                Ratio ratio = ratio("exactly-once / QoS 2", exactlyOnceCase, plain.benchCase(), Map.of(
                        exactlyOnceCase.name(), exactlyOnce.rateByRep(), plain.benchCase().name(), plain.rateByRep()));
                Spread perRepetition = ratio.perRepetition();
                Double cpuExactlyOnce = exactlyOnce.cpuSecondsPer100k();
                Double cpuPlain = plain.cpuSecondsPer100k();
                Spread rateExactlyOnce = exactlyOnce.rate();
                Spread ratePlain = plain.rate();
                throughput.append("| ").append(exactlyOnceCase.name()).append(" | ").append(plain.benchCase().name())
                        .append(" | ").append(rateExactlyOnce == null ? "–" : whole(rateExactlyOnce.median()))
                        .append(" | ").append(ratePlain == null ? "–" : whole(ratePlain.median()))
                        .append(" | ").append(ratio.value() == null ? "n/a" : twoDecimals(ratio.value()))
                        .append(" | ").append(perRepetition == null ? "–" : twoDecimals(perRepetition.min()))
                        .append(" | ").append(perRepetition == null ? "–" : twoDecimals(perRepetition.max()))
                        .append(" | ").append(cpuExactlyOnce == null ? "–" : twoDecimals(cpuExactlyOnce))
                        .append(" | ").append(cpuPlain == null ? "–" : twoDecimals(cpuPlain))
                        .append(" | ").append(cpuExactlyOnce == null || cpuPlain == null || cpuPlain == 0 ? "n/a"
                                : String.format(Locale.ROOT, "%+.1f %%", (cpuExactlyOnce / cpuPlain - 1) * 100))
                        .append(" | ").append(rateVerdict(ratio.value()))
                        .append(" |\n");
            } else if (exactlyOnceCase.kind() == Kind.LATENCY_M2K_EOS && exactlyOnce.latency() != null) {
                Latency withTransactions = exactlyOnce.latency();
                CaseSummary plain = byName.get(exactlyOnceCase.withKind(Kind.LATENCY_M2K).name());
                Latency withoutTransactions = plain == null ? null : plain.latency();
                if (withoutTransactions != null) {
                    latency.append("| ").append(plain.benchCase().name()).append(" | ")
                            .append(cells.apply(withoutTransactions)).append(" | – |\n");
                }
                latency.append("| ").append(exactlyOnceCase.name()).append(" | ").append(cells.apply(withTransactions))
                        .append(" | ").append(latencyVerdict(withTransactions.p99Ms(), transactionInterval)).append(" |\n");
                if (withoutTransactions != null) {
                    latency.append("| exactly-once adds (").append(exactlyOnceCase.name()).append(" − ")
                            .append(plain.benchCase().name()).append(") | ").append(cells.apply(new Latency(
                                    withTransactions.p50Ms() - withoutTransactions.p50Ms(),
                                    withTransactions.p99Ms() - withoutTransactions.p99Ms(),
                                    withTransactions.p999Ms() - withoutTransactions.p999Ms())))
                            .append(" | – |\n");
                }
            }
        }
        StringBuilder out = new StringBuilder();
        if (throughput.length() > 0) {
            out.append("| Exactly-once QoS 2 (case) | QoS 2 (case) | rate, exactly-once (msg/s) | QoS 2"
                    + " | exactly-once / QoS 2 | within a repetition: min | max | bridge CPU s / 100k, exactly-once"
                    + " | QoS 2 | difference | target: at least ").append(twoDecimals(EXACTLY_ONCE_MIN_RATE_RATIO))
                    .append(" of the QoS 2 rate |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
                    .append(throughput);
        }
        if (latency.length() > 0) {
            out.append(out.length() > 0 ? "\n" : "").append("| Exactly-once QoS 2, paced latency (ms) | p50 | p99 | p99.9"
                    + " | target: p99 below ").append(milliseconds(transactionInterval.plus(EXACTLY_ONCE_LATENCY_MARGIN)))
                    .append(" ms (transaction interval ").append(milliseconds(transactionInterval)).append(" ms + ")
                    .append(EXACTLY_ONCE_LATENCY_MARGIN.toMillis()).append(" ms) |\n|---|---:|---:|---:|---|\n")
                    .append(latency);
        }
        return out.toString();
    }

    /**
     * Whether exactly-once keeps at least {@link #EXACTLY_ONCE_MIN_RATE_RATIO} of the QoS 2 rate, with how much its rate
     * differs ("met (rate -12.0 %)", "MISSED (rate -25.0 %)"); "n/a" when either case had no usable repetition.
     *
     * @param ratio the exactly-once case's median rate over the plain QoS 2 case's, or null
     */
    static String rateVerdict(Double ratio) {
        if (ratio == null) {
            return "n/a";
        }
        return (ratio >= EXACTLY_ONCE_MIN_RATE_RATIO ? "met" : "MISSED")
                + String.format(Locale.ROOT, " (rate %+.1f %%)", (ratio - 1) * 100);
    }

    /** Whether {@code p99Ms} stays below {@code transactionInterval} plus {@link #EXACTLY_ONCE_LATENCY_MARGIN}. */
    static String latencyVerdict(double p99Ms, Duration transactionInterval) {
        Duration target = transactionInterval.plus(EXACTLY_ONCE_LATENCY_MARGIN);
        boolean met = p99Ms < target.toNanos() / 1e6;
        return (met ? "met (" : "MISSED (") + twoDecimals(p99Ms) + (met ? " < " : " ≥ ") + milliseconds(target) + " ms)";
    }

    /**
     * The bridge's or naive peer's own CPU by what its threads do (medians over the usable repetitions), and its
     * threads' sleeps and its read and write system calls per message, for the cases that have such a process.
     */
    static String threadBreakdown(List<CaseSummary> summaries) {
        List<CaseSummary> measured = summaries.stream().filter(summary -> summary.peerThreads() != null).toList();
        if (measured.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder("| bridge or naive peer: CPU s / 100k by thread");
        ThreadBreakdown.ROLES.forEach(role -> out.append(" | ").append(role));
        out.append(" | all threads | thread sleeps / message | read calls / message | write calls / message |\n|---");
        out.append("|---:".repeat(ThreadBreakdown.ROLES.size() + 4)).append("|\n");
        for (CaseSummary summary : measured) {
            ThreadBreakdown threads = summary.peerThreads();
            out.append("| ").append(summary.benchCase().name());
            ThreadBreakdown.ROLES.forEach(role -> out.append(" | ").append(twoDecimals(threads.cpuPer100k(role))));
            out.append(" | ").append(twoDecimals(threads.totalCpuPer100k()))
                    .append(" | ").append(twoDecimals(threads.sleepsPerMessage()))
                    .append(" | ").append(twoDecimals(threads.readCallsPerMessage()))
                    .append(" | ").append(twoDecimals(threads.writeCallsPerMessage())).append(" |\n");
        }
        return out.toString();
    }

    /**
     * Where each case's CPU went (medians over the usable repetitions), for the cases that measured it: every
     * process of the path shares the same processors, so this says what each one costs the others.
     */
    static String cpuBreakdown(List<CaseSummary> summaries) {
        List<CaseSummary> measured = summaries.stream().filter(summary -> summary.cpuBreakdown() != null).toList();
        if (measured.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder("| CPU s / 100k messages | Mosquitto | Kafka broker | bridge or naive peer"
                + " | harness (load and arrivals) | other | whole machine |\n|---|---:|---:|---:|---:|---:|---:|\n");
        for (CaseSummary summary : measured) {
            CpuBreakdown cpu = summary.cpuBreakdown();
            out.append("| ").append(summary.benchCase().name())
                    .append(" | ").append(twoDecimals(cpu.mosquitto()))
                    .append(" | ").append(twoDecimals(cpu.kafkaBroker()))
                    .append(" | ").append(cpu.peer() == null ? "–" : twoDecimals(cpu.peer()))
                    .append(" | ").append(twoDecimals(cpu.harness()))
                    .append(" | ").append(twoDecimals(cpu.other()))
                    .append(" | ").append(twoDecimals(cpu.machine()))
                    .append(" |\n");
        }
        return out.toString();
    }

    /**
     * Where a bridge path's latency comes from: each paced bridge case beside its two hops measured alone (the
     * MQTT hop: publisher → Mosquitto → subscriber; the Kafka hop: producer with the bridge's settings → Kafka →
     * consumer), and what is left for the bridge once both hops' times are taken off. Percentiles do not add up
     * exactly, so "left for the bridge" is an estimate; it is what the bridge can still win. Empty when the
     * reference cases did not run. QoS 1 only, the QoS the hops are measured at: latency-m2k at QoS 2 and through the
     * exactly-once mapping are compared with each other in {@link #exactlyOnceCost}.
     */
    static String latencyBreakdown(List<CaseSummary> summaries) {
        Map<String, Latency> latencies = new LinkedHashMap<>();
        summaries.stream().filter(summary -> summary.latency() != null)
                .forEach(summary -> latencies.put(summary.benchCase().name(), summary.latency()));
        Latency mqttHop = latencies.get(new BenchCase(Kind.LATENCY_DRAIN, 1, 256).name());
        Latency kafkaHop = latencies.get(new BenchCase(Kind.LATENCY_KAFKA, 1, 256).name());
        List<String> bridgeCases = List.of(new BenchCase(Kind.LATENCY_M2K, 1, 256).name(),
                new BenchCase(Kind.LATENCY_K2M, 1, 256).name());
        if (mqttHop == null || kafkaHop == null || bridgeCases.stream().noneMatch(latencies::containsKey)) {
            return "";
        }
        StringBuilder out = new StringBuilder("| latency (ms) | p50 | p99 | p99.9 |\n|---|---:|---:|---:|\n");
        Function<Latency, String> cells = latency -> twoDecimals(latency.p50Ms()) + " | " + twoDecimals(latency.p99Ms())
                + " | " + twoDecimals(latency.p999Ms());
        out.append("| MQTT hop alone (").append(new BenchCase(Kind.LATENCY_DRAIN, 1, 256).name()).append(") | ")
                .append(cells.apply(mqttHop)).append(" |\n");
        out.append("| Kafka hop alone (").append(new BenchCase(Kind.LATENCY_KAFKA, 1, 256).name()).append(") | ")
                .append(cells.apply(kafkaHop)).append(" |\n");
        Latency hops = new Latency(mqttHop.p50Ms() + kafkaHop.p50Ms(), mqttHop.p99Ms() + kafkaHop.p99Ms(),
                mqttHop.p999Ms() + kafkaHop.p999Ms());
        out.append("| both hops, summed | ").append(cells.apply(hops)).append(" |\n");
        for (String bridgeCase : bridgeCases) {
            Latency bridge = latencies.get(bridgeCase);
            if (bridge != null) {
                out.append("| ").append(bridgeCase).append(" | ").append(cells.apply(bridge)).append(" |\n");
                out.append("| left for the bridge in ").append(bridgeCase).append(" | ").append(cells.apply(new Latency(
                        bridge.p50Ms() - hops.p50Ms(), bridge.p99Ms() - hops.p99Ms(), bridge.p999Ms() - hops.p999Ms())))
                        .append(" |\n");
            }
        }
        return out.toString();
    }

    /** Every repetition as one CSV row, for later analysis. */
    static String csv(List<CaseResult> results) {
        StringBuilder out = new StringBuilder("case,rep,expected,unique,duplicates,missing,rate_per_s,cpu_s_per_100k,"
                + "peak_rss_kb,broker_drops,bridge_drops,latency_p50_ms,latency_p99_ms,latency_p999_ms,status\n");
        Function<Object, String> cell = value -> value == null ? "" : value.toString();
        for (CaseResult result : results) {
            Latency latency = result.latency();
            out.append(String.join(",", result.benchCase().name(), Integer.toString(result.rep()),
                    Integer.toString(result.expected()), Long.toString(result.unique()), Long.toString(result.duplicates()),
                    Long.toString(result.missing()), String.format(Locale.ROOT, "%.1f", result.ratePerSecond()),
                    cell.apply(result.cpuSecondsPer100k() == null ? null : twoDecimals(result.cpuSecondsPer100k())),
                    cell.apply(result.peakRssKb()), cell.apply(result.brokerDrops()), cell.apply(result.bridgeDrops()),
                    latency == null ? "" : twoDecimals(latency.p50Ms()), latency == null ? "" : twoDecimals(latency.p99Ms()),
                    latency == null ? "" : twoDecimals(latency.p999Ms()),
                    '"' + result.status().replace("\"", "'") + '"')).append('\n');
        }
        return out.toString();
    }

    /** Whole milliseconds, or with a fraction when the duration has one ({@code PT0.0125S}: 12.5). */
    private static String milliseconds(Duration duration) {
        return duration.toNanos() % 1_000_000 == 0 ? Long.toString(duration.toMillis())
                : String.format(Locale.ROOT, "%.3f", duration.toNanos() / 1e6).replaceFirst("0+$", "");
    }

    private static String whole(double value) {
        return String.format(Locale.ROOT, "%.0f", value);
    }

    private static String twoDecimals(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }
}
