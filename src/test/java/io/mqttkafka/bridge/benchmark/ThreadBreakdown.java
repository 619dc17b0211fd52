package io.mqttkafka.bridge.benchmark;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Where the bridge's (or the naive peer's) own CPU went during one case, by what its threads do, how often its
 * threads went to sleep per message, and how many read and write system calls it made per message.
 *
 * <p>Why: on the virtual machines this runs on, a thread that sleeps and is woken again costs more than most of the
 * work handed to it, so "sleeps per message" is what a hand-off between threads really costs; and in short runs the
 * JIT compiler's share says how far from steady state a number is. The system calls per message show batching
 * (of socket reads, of acknowledgements, of produce requests) directly, and unlike CPU time they hardly vary between
 * runs. All are read from /proc, for every case, with no profiler attached.
 *
 * @param cpuPer100kByRole CPU seconds per 100,000 messages for each of {@link #ROLES}, in that order
 * @param sleepsPerMessage voluntary context switches of all the process's threads per message: each is a thread
 *        that waited (for a socket, a queue, a lock) and was later woken
 * @param readCallsPerMessage read system calls of the process per message
 * @param writeCallsPerMessage write system calls of the process per message
 */
record ThreadBreakdown(Map<String, Double> cpuPer100kByRole, double sleepsPerMessage, double readCallsPerMessage,
        double writeCallsPerMessage) {

    static final String MQTT_CLIENT = "MQTT client network";
    static final String SENDER = "MQTT → Kafka sender";
    static final String KAFKA_PRODUCERS = "Kafka producer network";
    static final String KAFKA_TO_MQTT = "Kafka → MQTT poll and publish";
    static final String JIT = "JIT compiler";
    static final String GC = "GC";
    static final String OTHER = "other";
    static final List<String> ROLES = List.of(MQTT_CLIENT, SENDER, KAFKA_PRODUCERS, KAFKA_TO_MQTT, JIT, GC, OTHER);

    ThreadBreakdown {
        cpuPer100kByRole = Map.copyOf(cpuPer100kByRole);
    }

    /**
     * The role of a thread, from its name as /proc shows it (cut to 15 characters). The names are the bridge's own
     * ({@code mqtt-to-kafka-sender}, {@code kafka-to-mqtt-poll-*}, {@code kafka-to-mqtt-publish-*}), the HiveMQ
     * client's ({@code com.hivemq.client.mqtt-*}), the Kafka client's ({@code kafka-producer-network-thread}) and
     * HotSpot's.
     */
    static String role(String threadName) {
        if (threadName.startsWith("com.hivemq.clie")) {
            return MQTT_CLIENT;
        } else if (threadName.startsWith("mqtt-to-kafka-s")) {
            return SENDER;
        } else if (threadName.startsWith("kafka-producer-")) {
            return KAFKA_PRODUCERS;
        } else if (threadName.startsWith("kafka-to-mqtt-")) {
            return KAFKA_TO_MQTT;
        } else if (threadName.startsWith("C1 CompilerThre") || threadName.startsWith("C2 CompilerThre")) {
            return JIT;
        } else if (threadName.startsWith("GC Thread") || threadName.startsWith("G1 ")) {
            return GC;
        }
        return OTHER;
    }

    double cpuPer100k(String role) {
        return cpuPer100kByRole.getOrDefault(role, 0.0);
    }

    double totalCpuPer100k() {
        return cpuPer100kByRole.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    /** Each role's median, and the median sleeps and system calls, over the repetitions that have a breakdown; null when none has. */
    static ThreadBreakdown median(List<ThreadBreakdown> breakdowns) {
        List<ThreadBreakdown> present = breakdowns.stream().filter(Objects::nonNull).toList();
        if (present.isEmpty()) {
            return null;
        }
        Map<String, Double> cpu = new LinkedHashMap<>();
        for (String role : ROLES) {
            cpu.put(role, ResultTable.Spread.of(present.stream().map(breakdown -> breakdown.cpuPer100k(role)).toList())
                    .median());
        }
        return new ThreadBreakdown(cpu, median(present, ThreadBreakdown::sleepsPerMessage),
                median(present, ThreadBreakdown::readCallsPerMessage), median(present, ThreadBreakdown::writeCallsPerMessage));
    }

    private static double median(List<ThreadBreakdown> breakdowns, ToDoubleFunction<ThreadBreakdown> value) {
        return ResultTable.Spread.of(breakdowns.stream().map(breakdown -> value.applyAsDouble(breakdown)).toList()).median();
    }

    /**
     * The CPU time and voluntary context switches of every thread of a process, and its system calls, at the start
     * of a case. A thread that starts during the case counts from zero; the CPU and sleeps of one that ends during it
     * are not counted (its system calls are).
     */
    record Probe(long pid, Map<Long, ProcStats.ThreadSample> start, ProcStats.IoCalls startCalls) {

        static Probe start(long pid) {
            return new Probe(pid, ProcStats.threads(pid), ProcStats.ioCalls(pid));
        }

        /** The breakdown since {@link #start}, per 100,000 of {@code messages}; call while the process lives. */
        ThreadBreakdown since(int messages) {
            Map<String, Double> cpuSeconds = new HashMap<>();
            long sleeps = 0;
            for (Map.Entry<Long, ProcStats.ThreadSample> now : ProcStats.threads(pid).entrySet()) {
                ProcStats.ThreadSample before = start.get(now.getKey());
                ProcStats.ThreadSample after = now.getValue();
                double cpu = after.cpuSeconds() - (before == null ? 0 : before.cpuSeconds());
                sleeps += after.voluntarySwitches() - (before == null ? 0 : before.voluntarySwitches());
                cpuSeconds.merge(role(after.name()), cpu, Double::sum);
            }
            double scale = 100_000.0 / messages;
            Map<String, Double> per100k = new LinkedHashMap<>();
            for (String role : ROLES) {
                per100k.put(role, cpuSeconds.getOrDefault(role, 0.0) * scale);
            }
            ProcStats.IoCalls calls = ProcStats.ioCalls(pid);
            return new ThreadBreakdown(per100k, (double) sleeps / messages,
                    (double) (calls.reads() - startCalls.reads()) / messages,
                    (double) (calls.writes() - startCalls.writes()) / messages);
        }
    }
}
