package io.mqttkafka.bridge.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The bridge's meters, created once and looked up without allocation on the hot path. Names follow
 * Micrometer conventions ({@code bridge.*}; Prometheus renders them as {@code bridge_*_total}).
 */
public final class BridgeMetrics {

    private final MeterRegistry registry;
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

    public BridgeMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (int qos = 0; qos < 3; qos++) {
            receivedByQos[qos] = Counter.builder("bridge.mqtt.messages.received")
                    .description("MQTT messages received by the MQTT → Kafka direction")
                    .tag("qos", Integer.toString(qos)).register(registry);
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
    }

    private Counter counter(String name, String description) {
        return Counter.builder(name).description(description).register(registry);
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

    /** Registers a gauge that reads {@code value} on scrape. */
    public void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).register(registry);
    }

    /** Registers a gauge with one tag, e.g. per consumer group. */
    public void gauge(String name, String description, String tag, String tagValue, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).tag(tag, tagValue).register(registry);
    }

    // Totals, for tests and status output (0 when never counted).

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
            byValue.computeIfAbsent(value, v -> Counter.builder(name).description(description).tag(tag, v)
                    .register(registry)).increment();
        }

        double count(String value) {
            Counter counter = byValue.get(value);
            return counter == null ? 0 : counter.count();
        }
    }
}
