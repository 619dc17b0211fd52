package io.mqttkafka.bridge.benchmark;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Where the CPU of one case went, in CPU seconds per 100,000 messages: each process of the path, and the whole
 * machine (busy time of all processors, so "other" is what the machine spent outside the named processes: the
 * kernel's network stack, interrupts, anything else running). On a machine whose processes share the processors,
 * this says which of them the messages' cost lies in, and so what a faster bridge could gain at most.
 *
 * @param peer the bridge or the naive peer; null for cases without one (drain, the Kafka hop alone)
 */
record CpuBreakdown(double mosquitto, double kafkaBroker, Double peer, double harness, double machine) {

    double other() {
        return machine - mosquitto - kafkaBroker - (peer == null ? 0 : peer) - harness;
    }

    /** Each part's median over the repetitions that have one; null when none has. */
    static CpuBreakdown median(List<CpuBreakdown> breakdowns) {
        List<CpuBreakdown> present = breakdowns.stream().filter(Objects::nonNull).toList();
        if (present.isEmpty()) {
            return null;
        }
        Function<Function<CpuBreakdown, Double>, Double> median = part -> {
            List<Double> values = present.stream().map(part).filter(Objects::nonNull).toList();
            return values.isEmpty() ? null : ResultTable.Spread.of(values).median();
        };
        return new CpuBreakdown(median.apply(CpuBreakdown::mosquitto), median.apply(CpuBreakdown::kafkaBroker),
                median.apply(CpuBreakdown::peer), median.apply(CpuBreakdown::harness), median.apply(CpuBreakdown::machine));
    }

    /** CPU seconds of every measured process at the start of a case. */
    record Probe(long mosquittoPid, long kafkaPid, Long peerPid, double mosquitto, double kafka, Double peer,
            double harness, double machine) {

        private static final long HARNESS_PID = ProcessHandle.current().pid();

        /** @param peerPid the bridge's or the naive peer's process, or null */
        static Probe start(long mosquittoPid, long kafkaPid, Long peerPid) {
            return new Probe(mosquittoPid, kafkaPid, peerPid, ProcStats.cpuSeconds(mosquittoPid),
                    ProcStats.cpuSeconds(kafkaPid), peerPid == null ? null : ProcStats.cpuSeconds(peerPid),
                    ProcStats.cpuSeconds(HARNESS_PID), ProcStats.machineCpuSeconds());
        }

        /** The CPU used since {@link #start}, per 100,000 of {@code messages}; call while every process lives. */
        CpuBreakdown since(int messages) {
            double scale = 100_000.0 / messages;
            return new CpuBreakdown((ProcStats.cpuSeconds(mosquittoPid) - mosquitto) * scale,
                    (ProcStats.cpuSeconds(kafkaPid) - kafka) * scale,
                    peerPid == null ? null : (ProcStats.cpuSeconds(peerPid) - peer) * scale,
                    (ProcStats.cpuSeconds(HARNESS_PID) - harness) * scale,
                    (ProcStats.machineCpuSeconds() - machine) * scale);
        }
    }
}
