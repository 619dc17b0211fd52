package io.mqttkafka.bridge.benchmark;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where the bridge's (or the naive peer's) own CPU went during one case, by what its threads do, and how often its
 * threads went to sleep per message.
 *
 * <p>Why: on the virtual machines this runs on, a thread that sleeps and is woken again costs more than most of the
 * work handed to it, so "sleeps per message" is what a hand-off between threads really costs; and in short runs the
 * JIT compiler's share says how far from steady state a number is. Both are read from /proc, for every case, with
 * no profiler attached.
 *
 * @param cpuPer100kByRole CPU seconds per 100,000 messages for each of {@link #ROLES}, in that order
 * @param sleepsPerMessage voluntary context switches of all the process's threads per message: each is a thread
 *        that waited (for a socket, a queue, a lock) and was later woken
 */
record ThreadBreakdown(Map<String, Double> cpuPer100kByRole, double sleepsPerMessage) {

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

    /** Each role's median, and the median sleeps, over the repetitions that have a breakdown; null when none has. */
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
        return new ThreadBreakdown(cpu, ResultTable.Spread.of(present.stream()
                .map(ThreadBreakdown::sleepsPerMessage).toList()).median());
    }

    /**
     * The CPU time and voluntary context switches of every thread of a process at the start of a case. A thread
     * that starts during the case counts from zero; one that ends during it is not counted.
     */
    record Probe(long pid, Map<Long, ProcStats.ThreadSample> start) {

        static Probe start(long pid) {
            return new Probe(pid, ProcStats.threads(pid));
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
            return new ThreadBreakdown(per100k, (double) sleeps / messages);
        }
    }
}
