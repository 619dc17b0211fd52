package io.mqttkafka.bridge.benchmark;

import io.mqttkafka.bridge.benchmark.ArrivalCounter.Latency;

/**
 * One repetition of one case. {@code problem} is null unless the run failed outright (a stall, a process that
 * died, a publisher that could not publish); CPU, RSS, broker drops, bridge drops and the CPU and thread breakdowns
 * are null where they were not measured ({@code bridgeDrops}: cases without the bridge; {@code peerThreads}: cases
 * without a bridge or naive peer).
 *
 * @param bridgeDrops the messages the bridge counted as dropped during the run ({@code bridge_messages_dropped_total},
 *        every reason)
 */
record CaseResult(BenchCase benchCase, int rep, int expected, long unique, long duplicates, double ratePerSecond,
        Double cpuSecondsPer100k, Long peakRssKb, Long brokerDrops, Long bridgeDrops, Latency latency, String problem,
        CpuBreakdown cpuBreakdown, ThreadBreakdown peerThreads) {

    long missing() {
        return expected - unique;
    }

    String status() {
        return ResultTable.status(benchCase, missing(), duplicates, bridgeDrops, brokerDrops, problem);
    }

    boolean failed() {
        return status().startsWith(ResultTable.FAILED);
    }
}
