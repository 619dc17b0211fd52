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
    private final Map<String, Counter> writtenByMapping = new ConcurrentHashMap<>();
    private final Map<String, Counter> droppedByReason = new ConcurrentHashMap<>();
    private final Map<String, Counter> deadLetteredByReason = new ConcurrentHashMap<>();
    private final Map<String, Counter> publishedByMapping = new ConcurrentHashMap<>();
    private final Map<String, Counter> skippedByReason = new ConcurrentHashMap<>();
    private final Map<String, Counter> ignoredByReason = new ConcurrentHashMap<>();
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
        consumed = Counter.builder("bridge.kafka.records.consumed")
                .description("Kafka records polled by the Kafka → MQTT direction").register(registry);
        publishRetries = Counter.builder("bridge.mqtt.publish.retries")
                .description("MQTT publishes retried after a transient failure").register(registry);
        headersSkipped = Counter.builder("bridge.kafka.headers.skipped")
                .description("Kafka headers left out of an MQTT 5 publish because MQTT cannot carry their value")
                .register(registry);
        loopSuppressed = Counter.builder("bridge.messages.loop.suppressed")
                .description("Messages not bridged because they carry this bridge's own origin")
                .register(registry);
        unrouted = Counter.builder("bridge.mqtt.messages.unrouted")
                .description("MQTT messages that matched no mapping (e.g. a stale subscription of the session)")
                .register(registry);
        retries = Counter.builder("bridge.kafka.send.retries")
                .description("Kafka sends retried after a transient failure").register(registry);
    }

    public void received(int qos) {
        receivedByQos[qos].increment();
    }

    public void written(String mapping) {
        writtenByMapping.computeIfAbsent(mapping, name -> Counter.builder("bridge.kafka.records.written")
                .description("Records Kafka acknowledged, per mapping").tag("mapping", name).register(registry))
                .increment();
    }

    /** A QoS 0 message given up; {@code reason} is a short stable word (e.g. {@code overload}). */
    public void dropped(String reason) {
        droppedByReason.computeIfAbsent(reason, r -> Counter.builder("bridge.messages.dropped")
                .description("QoS 0 messages dropped, by reason").tag("reason", r).register(registry))
                .increment();
    }

    /** A record written to the dead-letter topic; {@code reason} is a short stable word. */
    public void deadLettered(String reason) {
        deadLetteredByReason.computeIfAbsent(reason, r -> Counter.builder("bridge.messages.dead.lettered")
                .description("Records written to the dead-letter topic, by reason").tag("reason", r).register(registry))
                .increment();
    }

    public void consumed() {
        consumed.increment();
    }

    public void published(String mapping) {
        publishedByMapping.computeIfAbsent(mapping, name -> Counter.builder("bridge.mqtt.messages.published")
                .description("MQTT publishes the broker acknowledged, per mapping").tag("mapping", name)
                .register(registry)).increment();
    }

    /** A Kafka record deliberately not published; {@code reason} is a short stable word. */
    public void skipped(String reason) {
        skippedByReason.computeIfAbsent(reason, r -> Counter.builder("bridge.kafka.records.skipped")
                .description("Kafka records not published to MQTT on purpose, by reason").tag("reason", r)
                .register(registry)).increment();
    }

    /** A message a mapping with {@code failure-strategy: ignore} could not write and let go. */
    public void ignored(String reason) {
        ignoredByReason.computeIfAbsent(reason, r -> Counter.builder("bridge.messages.ignored")
                .description("Unwritable messages let go by failure-strategy ignore, by reason").tag("reason", r)
                .register(registry)).increment();
    }

    public double ignoredCount(String reason) {
        Counter counter = ignoredByReason.get(reason);
        return counter == null ? 0 : counter.count();
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

    public double loopSuppressedCount() {
        return loopSuppressed.count();
    }

    public double receivedCount(int qos) {
        return receivedByQos[qos].count();
    }

    public double writtenCount(String mapping) {
        Counter counter = writtenByMapping.get(mapping);
        return counter == null ? 0 : counter.count();
    }

    public double publishedCount(String mapping) {
        Counter counter = publishedByMapping.get(mapping);
        return counter == null ? 0 : counter.count();
    }

    public double skippedCount(String reason) {
        Counter counter = skippedByReason.get(reason);
        return counter == null ? 0 : counter.count();
    }

    /** Total dropped for a reason (0 if never); for tests and status output. */
    public double droppedCount(String reason) {
        Counter counter = droppedByReason.get(reason);
        return counter == null ? 0 : counter.count();
    }

    public double deadLetteredCount(String reason) {
        Counter counter = deadLetteredByReason.get(reason);
        return counter == null ? 0 : counter.count();
    }
}
