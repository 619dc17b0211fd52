package io.mqttkafka.bridge.benchmark;

import io.mqttkafka.bridge.benchmark.ArrivalCounter.Latency;

/**
 * One repetition of one case. {@code problem} is null unless the run failed outright (a stall, a process that
 * died, a publisher that could not publish); CPU, RSS, broker drops and the CPU and thread breakdowns are null where
 * they were not measured ({@code peerThreads}: cases without a bridge or naive peer).
 */
record CaseResult(BenchCase benchCase, int rep, int expected, long unique, long duplicates, double ratePerSecond,
        Double cpuSecondsPer100k, Long peakRssKb, Long brokerDrops, Latency latency, String problem,
        CpuBreakdown cpuBreakdown, ThreadBreakdown peerThreads) {

    long missing() {
        return expected - unique;
    }

    String status() {
        return ResultTable.status(benchCase, missing(), duplicates, problem);
    }

    boolean failed() {
        return status().startsWith(ResultTable.FAILED);
    }
}
