package io.mqttkafka.bridge.testing;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.Secret;
import io.mqttkafka.bridge.config.SecretConverter;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * Builds a {@link BridgeConfig} the way Quarkus does (same mapping, same converters), from flat
 * properties, so that tests exercise real binding without starting Quarkus.
 */
public final class TestConfigs {

    private final Map<String, String> properties = new LinkedHashMap<>();
    private int mappings;
    private int reverseMappings;

    private TestConfigs() {
    }

    /** Starts from the shared brokers' addresses and a unique bridge id and client id. */
    public static TestConfigs forSharedBrokers() {
        return new TestConfigs()
                .set("bridge.id", SharedBrokers.unique("bridge"))
                .set("bridge.mqtt.host", "127.0.0.1")
                .set("bridge.mqtt.port", Integer.toString(SharedBrokers.mqtt().port()))
                .set("bridge.mqtt.client-id", SharedBrokers.unique("bridge-client"))
                .set("bridge.mqtt.reconnect-initial-delay", "100ms")
                .set("bridge.mqtt.reconnect-max-delay", "1s")
                .set("bridge.kafka.bootstrap-servers", SharedBrokers.kafka().bootstrapServers())
                .set("bridge.shutdown-timeout", "10s");
    }

    /** No defaults at all: only what the test sets. */
    public static TestConfigs empty() {
        return new TestConfigs();
    }

    public TestConfigs set(String key, String value) {
        properties.put(key, value);
        return this;
    }

    /** Adds a mapping; {@code key} may be null for the default (the MQTT topic). */
    public TestConfigs mapping(String name, String filter, int qos, String kafkaTopic, String key) {
        String prefix = "bridge.mqtt-to-kafka[" + mappings++ + "].";
        set(prefix + "name", name);
        set(prefix + "filter", filter);
        set(prefix + "qos", Integer.toString(qos));
        set(prefix + "kafka-topic", kafkaTopic);
        if (key != null) {
            set(prefix + "key", key);
        }
        return this;
    }

    /**
     * Adds a Kafka → MQTT mapping; {@code kafkaTopic} starting with {@code ~} is a pattern (the rest is the
     * regex); {@code groupId} may be null for the default.
     */
    public TestConfigs reverseMapping(String name, String kafkaTopic, String mqttTopic, int qos, boolean retain,
            String groupId) {
        String prefix = "bridge.kafka-to-mqtt[" + reverseMappings++ + "].";
        set(prefix + "name", name);
        if (kafkaTopic.startsWith("~")) {
            set(prefix + "kafka-topic-pattern", kafkaTopic.substring(1));
        } else {
            set(prefix + "kafka-topic", kafkaTopic);
        }
        set(prefix + "mqtt-topic", mqttTopic);
        set(prefix + "qos", Integer.toString(qos));
        set(prefix + "retain", Boolean.toString(retain));
        if (groupId != null) {
            set(prefix + "group-id", groupId);
        }
        return this;
    }

    public Map<String, String> properties() {
        return Map.copyOf(properties);
    }

    public BridgeConfig build() {
        return bind(properties);
    }

    /** Binds flat properties to {@link BridgeConfig}; throws what SmallRye throws for unbindable ones. */
    public static BridgeConfig bind(Map<String, String> properties) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(BridgeConfig.class)
                .withConverter(Secret.class, 100, new SecretConverter())
                // Quarkus' own converter: accepts "10s", "1H" as well as ISO-8601 "PT10S".
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 500))
                .build();
        return config.getConfigMapping(BridgeConfig.class);
    }
}
