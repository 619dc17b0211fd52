package io.mqttkafka.bridge.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The bridge's meters, created once and looked up without allocation on the hot path. Names follow
 * Micrometer conventions ({@code bridge.*}; Prometheus renders them as {@code bridge_*_total}).
 */
public final class BridgeMetrics {

    /** MQTT receipt to Kafka acknowledgement, per mapping and QoS. */
    public static final String MQTT_TO_KAFKA_LATENCY = "bridge.mqtt.to.kafka.latency";
    /** Kafka record timestamp to the MQTT broker's acknowledgement, per mapping and QoS. */
    public static final String KAFKA_TO_MQTT_LATENCY = "bridge.kafka.to.mqtt.latency";

    /**
     * The latency histograms' bucket boundaries (Prometheus {@code le}), chosen as service-level objectives rather than
     * Micrometer's percentile histogram (about 70 buckets per series for a timer): 17 buckets per mapping and QoS keep a
     * replica's series count small while p50 and p99 stay readable where they matter. 1–10 ms is a healthy bridge (the
     * benchmark's paced MQTT → Kafka QoS 1 p99 is about 7 ms, with the 5 ms linger of the QoS 1/2 producer), 25 ms–1 s a
     * slow broker or Kafka, 2.5 s–2 min retries and outages up to {@code bridge.kafka.delivery-timeout} (2 min), and
     * 5 min {@code bridge.stall-timeout}; Kafka → MQTT also sees consumer lag there (a record waits in Kafka until it
     * is polled). Beyond the last boundary only {@code +Inf} counts.
     */
    public static final List<Duration> LATENCY_BUCKETS = List.of(Duration.ofMillis(1), Duration.ofMillis(2),
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
            Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(5));

    private final MeterRegistry registry;
    /**
     * Every meter this instance registered, removed again by {@link #close()}: a registry outlives a runtime in Quarkus
     * dev mode and tests (the global composite registry), and a gauge left there would go on reading a stopped runtime.
     */
    private final List<Meter> registered = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** What function counters read: Micrometer holds a function counter's object weakly, so it is held here. */
    private final List<Object> counted = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The subscriber's read pauses, once registered. */
    private volatile LongSupplier readPauses = () -> 0;
    private final boolean latencyEnabled;
    /** Per mapping, one timer per QoS (created on first use or by {@link #mqttToKafkaMapping}). */
    private final Map<String, Timer[]> mqttToKafkaLatency = new ConcurrentHashMap<>();
    private final Map<String, Timer[]> kafkaToMqttLatency = new ConcurrentHashMap<>();
    /** Null when latency is off. */
    private final Counter negativeKafkaToMqttLatency;
    private final Counter[] receivedByQos = new Counter[3];
    private final TaggedCounters writtenByMapping;
    private final TaggedCounters droppedByReason;
    private final TaggedCounters deadLetteredByReason;
    private final TaggedCounters publishedByMapping;
    private final TaggedCounters skippedByReason;
    private final TaggedCounters ignoredByReason;
    private final TaggedCounters partitionStallsByGroup;
    private final Counter consumed;
    private final Counter publishRetries;
    private final Counter headersSkipped;
    private final Counter loopSuppressed;
    private final Counter unrouted;
    private final Counter retries;
    private final TaggedCounters transactionsByOutcome;
    private final Counter redeliveriesRecognised;
    private final Counter stateMismatches;

    /** With the latency histograms. */
    public BridgeMetrics(MeterRegistry registry) {
        this(registry, true);
    }

    /** @param latencyEnabled {@code bridge.metrics.latency.enabled}: whether the latency histograms are recorded */
    public BridgeMetrics(MeterRegistry registry, boolean latencyEnabled) {
        this.registry = registry;
        this.latencyEnabled = latencyEnabled;
        this.negativeKafkaToMqttLatency = !latencyEnabled ? null
                : counter("bridge.kafka.to.mqtt.latency.negative", "Kafka → MQTT publishes whose record timestamp was "
                        + "later than the bridge's clock at the broker's acknowledgement (clock skew); recorded as 0");
        for (int qos = 0; qos < 3; qos++) {
            receivedByQos[qos] = registered(Counter.builder("bridge.mqtt.messages.received")
                    .description("MQTT messages received by the MQTT → Kafka direction")
                    .tag("qos", Integer.toString(qos)).register(registry));
        }
        writtenByMapping = new TaggedCounters("bridge.kafka.records.written", "Records Kafka acknowledged, per mapping",
                "mapping");
        droppedByReason = new TaggedCounters("bridge.messages.dropped", "QoS 0 messages dropped, by reason", "reason");
        deadLetteredByReason = new TaggedCounters("bridge.messages.dead.lettered",
                "Records written to the dead-letter topic, by reason", "reason");
        publishedByMapping = new TaggedCounters("bridge.mqtt.messages.published",
                "MQTT publishes the broker acknowledged, per mapping", "mapping");
        skippedByReason = new TaggedCounters("bridge.kafka.records.skipped",
                "Kafka records not published to MQTT on purpose, by reason", "reason");
        ignoredByReason = new TaggedCounters("bridge.messages.ignored",
                "Unwritable messages let go by failure-strategy ignore, by reason", "reason");
        partitionStallsByGroup = new TaggedCounters("bridge.kafka.partition.stalls",
                "Times a partition was paused because its oldest record in flight was not done for bridge.stall-timeout",
                "group");
        consumed = counter("bridge.kafka.records.consumed", "Kafka records polled by the Kafka → MQTT direction");
        publishRetries = counter("bridge.mqtt.publish.retries", "MQTT publishes retried after a transient failure");
        headersSkipped = counter("bridge.kafka.headers.skipped",
                "Kafka headers left out of an MQTT 5 publish because MQTT cannot carry their value");
        loopSuppressed = counter("bridge.messages.loop.suppressed",
                "Messages not bridged because they carry this bridge's own origin");
        unrouted = counter("bridge.mqtt.messages.unrouted",
                "MQTT messages that matched no mapping (e.g. a stale subscription of the session)");
        retries = counter("bridge.kafka.send.retries", "Kafka sends retried after a transient failure");
        transactionsByOutcome = new TaggedCounters("bridge.kafka.transactions",
                "Kafka transactions of exactly-once mappings, by outcome (committed, aborted)", "outcome");
        redeliveriesRecognised = counter("bridge.exactly.once.redeliveries",
                "QoS 2 messages of exactly-once mappings recognised as the broker's redelivery of a message written "
                        + "before a restart: acknowledged, not written again");
        stateMismatches = counter("bridge.exactly.once.state.mismatches",
                "Redelivery-like QoS 2 messages (DUP set, identifier in the restored table) whose contents differed "
                        + "from the recorded ones: written again (a possible duplicate, never a loss)");
    }

    private <M extends Meter> M registered(M meter) {
        registered.add(meter);
        return meter;
    }

    /**
     * Removes this runtime's meters from the registry, so that the next runtime registered with it (a dev-mode reload)
     * reports its own state, not this one's. The meters themselves still count for whoever holds them.
     */
    public void close() {
        registered.forEach(registry::remove);
        registered.clear();
    }

    private Counter counter(String name, String description) {
        return registered(Counter.builder(name).description(description).register(registry));
    }

    public void received(int qos) {
        receivedByQos[qos].increment();
    }

    public void written(String mapping) {
        writtenByMapping.increment(mapping);
    }

    /** A QoS 0 message given up; {@code reason} is a short stable word (e.g. {@code overload}). */
    public void dropped(String reason) {
        droppedByReason.increment(reason);
    }

    /** A record written to the dead-letter topic; {@code reason} is a short stable word. */
    public void deadLettered(String reason) {
        deadLetteredByReason.increment(reason);
    }

    public void consumed() {
        consumed.increment();
    }

    public void published(String mapping) {
        publishedByMapping.increment(mapping);
    }

    /** A Kafka record deliberately not published; {@code reason} is a short stable word. */
    public void skipped(String reason) {
        skippedByReason.increment(reason);
    }

    /** A message a mapping with {@code failure-strategy: ignore} could not write and let go. */
    public void ignored(String reason) {
        ignoredByReason.increment(reason);
    }

    /** A partition of {@code group} stalled (see {@code bridge.stall-timeout}). */
    public void partitionStalled(String group) {
        partitionStallsByGroup.increment(group);
    }

    public double partitionStallCount(String group) {
        return partitionStallsByGroup.count(group);
    }

    public void publishRetried() {
        publishRetries.increment();
    }

    public void headersSkipped(int count) {
        headersSkipped.increment(count);
    }

    public void loopSuppressed() {
        loopSuppressed.increment();
    }

    public void unrouted() {
        unrouted.increment();
    }

    public void retried() {
        retries.increment();
    }

    /** An exactly-once transaction ended: {@code committed} or {@code aborted}. */
    public void transaction(String outcome) {
        transactionsByOutcome.increment(outcome);
    }

    public void redeliveryRecognised() {
        redeliveriesRecognised.increment();
    }

    public void stateMismatch() {
        stateMismatches.increment();
    }

    public double transactionCount(String outcome) {
        return transactionsByOutcome.count(outcome);
    }

    public double redeliveriesRecognisedCount() {
        return redeliveriesRecognised.count();
    }

    public double stateMismatchCount() {
        return stateMismatches.count();
    }

    /** Registers a gauge that reads {@code value} on scrape. */
    public void gauge(String name, String description, Supplier<Number> value) {
        registered(Gauge.builder(name, value).description(description).register(registry));
    }

    /** Registers a gauge with one tag, e.g. per consumer group. */
    public void gauge(String name, String description, String tag, String tagValue, Supplier<Number> value) {
        registered(Gauge.builder(name, value).description(description).tag(tag, tagValue).register(registry));
    }

    /** Whether the latency histograms are recorded ({@code bridge.metrics.latency.enabled}). */
    public boolean latencyEnabled() {
        return latencyEnabled;
    }

    /**
     * Registers the MQTT → Kafka latency histograms of a mapping for QoS 0 up to {@code maxQos} (messages arrive with the
     * lower of the publisher's and the subscription's QoS), so that they are exported, at zero, before the first message.
     */
    public void mqttToKafkaMapping(String mapping, int maxQos) {
        if (latencyEnabled) {
            for (int qos = 0; qos <= maxQos; qos++) {
                latencyTimer(mqttToKafkaLatency, MQTT_TO_KAFKA_LATENCY, mapping, qos);
            }
        }
    }

    /** Registers the Kafka → MQTT latency histogram of a mapping (it publishes at one QoS). */
    public void kafkaToMqttMapping(String mapping, int qos) {
        if (latencyEnabled) {
            latencyTimer(kafkaToMqttLatency, KAFKA_TO_MQTT_LATENCY, mapping, qos);
        }
    }

    /** A record of {@code mapping} that Kafka acknowledged {@code nanos} after its MQTT message was received. */
    public void mqttToKafkaLatency(String mapping, int qos, long nanos) {
        if (!latencyEnabled) {
            return;
        }
        latencyTimer(mqttToKafkaLatency, MQTT_TO_KAFKA_LATENCY, mapping, qos).record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * A publish of {@code mapping} that the broker acknowledged {@code millis} after its Kafka record's timestamp. The two
     * ends are read from different clocks (the producer's or the Kafka broker's, and the bridge's): a negative value is
     * clock skew, recorded as 0 and counted in {@code bridge.kafka.to.mqtt.latency.negative}, so that the histogram's count
     * stays the number of publishes.
     */
    public void kafkaToMqttLatency(String mapping, int qos, long millis) {
        if (!latencyEnabled) {
            return;
        }
        if (millis < 0) {
            negativeKafkaToMqttLatency.increment();
            millis = 0;
        }
        latencyTimer(kafkaToMqttLatency, KAFKA_TO_MQTT_LATENCY, mapping, qos).record(millis, TimeUnit.MILLISECONDS);
    }

    private Timer latencyTimer(Map<String, Timer[]> byMapping, String name, String mapping, int qos) {
        Timer[] byQos = byMapping.get(mapping);
        if (byQos == null) {
            byQos = byMapping.computeIfAbsent(mapping, m -> new Timer[3]);
        }
        Timer timer = byQos[qos];
        if (timer == null) {
            // Registering twice returns the same timer: a race here only repeats the lookup.
            timer = registered(Timer.builder(name)
                    .description(name.equals(MQTT_TO_KAFKA_LATENCY)
                            ? "MQTT → Kafka: from the message's receipt by the bridge to Kafka's acknowledgement of its record"
                            : "Kafka → MQTT: from the record's timestamp to the MQTT broker's acknowledgement of the publish")
                    .tags("mapping", mapping, "qos", Integer.toString(qos))
                    .serviceLevelObjectives(LATENCY_BUCKETS.toArray(Duration[]::new))
                    .register(registry));
            byQos[qos] = timer;
        }
        return timer;
    }

    /**
     * The meters of one MQTT connection ({@code connection} is {@code subscriber} or {@code publisher}): whether it is
     * connected, how often it reconnected, and whether its last connect resumed a session.
     */
    public void mqttConnection(String connection, BooleanSupplier connected, LongSupplier reconnects,
            BooleanSupplier sessionPresent) {
        registered(Gauge.builder("bridge.mqtt.connected", () -> connected.getAsBoolean() ? 1 : 0)
                .description("1 while the MQTT connection is up, 0 otherwise").tag("connection", connection)
                .register(registry));
        counted.add(reconnects);
        registered(FunctionCounter.builder("bridge.mqtt.reconnects", reconnects, supplier -> supplier.getAsLong())
                .description("MQTT connections established again after the first one (a lost connection that came back, "
                        + "or one the broker closed)")
                .tag("connection", connection).register(registry));
        registered(Gauge.builder("bridge.mqtt.session.present", () -> sessionPresent.getAsBoolean() ? 1 : 0)
                .description("1 when the broker resumed a session at the last connect (CONNACK session present), 0 when "
                        + "it started a new one")
                .tag("connection", connection).register(registry));
    }

    /**
     * How often the MQTT → Kafka connection stopped reading its socket because the bridge held its maximum: the broker
     * then keeps what it would send (push back through TCP). Rising steadily means Kafka does not keep up.
     */
    public void mqttReadPauses(LongSupplier pauses) {
        counted.add(pauses);
        readPauses = pauses;
        registered(FunctionCounter.builder("bridge.mqtt.read.pauses", pauses, supplier -> supplier.getAsLong())
                .description("Times the MQTT → Kafka connection stopped reading because the bridge held its maximum of "
                        + "unwritten messages (bridge.mqtt.receive-maximum for QoS 1/2; bridge.kafka.qos0-max-in-flight for "
                        + "QoS 0 with qos0-overload: push-back)")
                .tag("connection", "subscriber").register(registry));
    }

    /**
     * Messages in flight on an MQTT connection: {@code mqtt-to-kafka}, QoS 1/2 messages received and not yet acknowledged
     * (at most the receive maximum); {@code kafka-to-mqtt}, QoS 1/2 publishes awaiting the broker's acknowledgement (at
     * most the broker's receive maximum).
     */
    public void mqttInFlight(String direction, Supplier<Number> value) {
        registered(Gauge.builder("bridge.mqtt.in.flight", value)
                .description("QoS 1/2 messages in flight on the MQTT connection of a direction: received and not yet "
                        + "acknowledged (mqtt-to-kafka), published and not yet acknowledged by the broker (kafka-to-mqtt)")
                .tag("direction", direction).register(registry));
    }

    // Totals, for tests and status output (0 when never counted).

    /** Records in the MQTT → Kafka latency histogram of a mapping and QoS (0 when none, or latency is off). */
    public long mqttToKafkaLatencyCount(String mapping, int qos) {
        Timer[] byQos = mqttToKafkaLatency.get(mapping);
        return byQos == null || byQos[qos] == null ? 0 : byQos[qos].count();
    }

    /** Records in the Kafka → MQTT latency histogram of a mapping and QoS (0 when none, or latency is off). */
    public long kafkaToMqttLatencyCount(String mapping, int qos) {
        Timer[] byQos = kafkaToMqttLatency.get(mapping);
        return byQos == null || byQos[qos] == null ? 0 : byQos[qos].count();
    }

    /** {@code bridge.mqtt.read.pauses}: how often the MQTT → Kafka connection stopped reading. */
    public long mqttReadPausesCount() {
        return readPauses.getAsLong();
    }

    public double receivedCount(int qos) {
        return receivedByQos[qos].count();
    }

    public double loopSuppressedCount() {
        return loopSuppressed.count();
    }

    public double writtenCount(String mapping) {
        return writtenByMapping.count(mapping);
    }

    public double publishedCount(String mapping) {
        return publishedByMapping.count(mapping);
    }

    public double skippedCount(String reason) {
        return skippedByReason.count(reason);
    }

    public double ignoredCount(String reason) {
        return ignoredByReason.count(reason);
    }

    public double droppedCount(String reason) {
        return droppedByReason.count(reason);
    }

    public double deadLetteredCount(String reason) {
        return deadLetteredByReason.count(reason);
    }

    public double retriedCount() {
        return retries.count();
    }

    public double headersSkippedCount() {
        return headersSkipped.count();
    }

    public double unroutedCount() {
        return unrouted.count();
    }

    /** One counter per value of a tag (mapping name, reason word), registered on first use. */
    private final class TaggedCounters {
        private final String name;
        private final String description;
        private final String tag;
        private final Map<String, Counter> byValue = new ConcurrentHashMap<>();

        TaggedCounters(String name, String description, String tag) {
            this.name = name;
            this.description = description;
            this.tag = tag;
        }

        void increment(String value) {
            byValue.computeIfAbsent(value, v -> registered(Counter.builder(name).description(description).tag(tag, v)
                    .register(registry))).increment();
        }

        double count(String value) {
            Counter counter = byValue.get(value);
            return counter == null ? 0 : counter.count();
        }
    }
}
