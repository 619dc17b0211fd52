package io.mqttkafka.bridge.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.BridgeConfigValidator;
import io.mqttkafka.bridge.config.ConfigValidationException;
import io.mqttkafka.bridge.config.Secret;
import io.mqttkafka.bridge.config.SecretConverter;
import io.mqttkafka.bridge.mapping.RouteTarget;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.source.yaml.YamlConfigSource;

/**
 * The configurations the rig starts its bridges with bind and validate as the bridge binds them (same mapping, same
 * converters): a mistake in them would otherwise show only when someone runs the benchmark, as a bridge that does not
 * start.
 */
class BenchmarkBridgeConfigTest {

    private static final String BOOTSTRAP_SERVERS = "127.0.0.1:9092";

    /**
     * The exactly-once bridge: one QoS 2 mapping with exactly-once, from its own MQTT topics to its own Kafka topics, and
     * the transaction interval bench.bridge.transaction-interval asks for, the same the report's latency target is taken
     * from; unset, the bridge's default.
     */
    @ParameterizedTest(name = "bench.bridge.transaction-interval=''{0}'' -> {1}")
    @CsvSource({"'', PT0.1S", "50ms, PT0.05S", "1s, PT1S"})
    void theExactlyOnceBridgeWritesQos2ExactlyOnceAtTheIntervalAsked(String option, Duration expected) {
        BridgeConfig config = bind(exactlyOnceBridgeYaml("5", option));

        BridgeConfigValidator.Routes routes = BridgeConfigValidator.validate(config);

        assertThat(config.kafka().transactionInterval()).isEqualTo(expected)
                .isEqualTo(BenchmarkRig.transactionInterval(option));
        assertThat(config.mqtt().protocolVersion()).isEqualTo(5);
        assertThat(config.mqttToKafka()).singleElement().satisfies(mapping -> {
            assertThat(mapping.qos()).isEqualTo(2);
            assertThat(mapping.exactlyOnce()).isTrue();
        });
        assertThat(config.kafkaToMqtt()).isEmpty();
        for (int size : BenchmarkRig.SIZES) {
            assertThat(routes.mqttToKafka().route(BenchmarkRig.m2kExactlyOnceMqttTopic(size)))
                    .extracting(RouteTarget::kafkaTopic).containsExactly(BenchmarkRig.m2kExactlyOnceKafkaTopic(size));
        }
        assertThat(routes.mqttToKafka().route(BenchmarkRig.m2kMqttTopic(2, 256))).as("not the plain bridge's topics")
                .isEmpty();
    }

    /** With MQTT 3.1.1 the bridge refuses the mapping, which is why the harness leaves these cases out then. */
    @Test
    void theExactlyOnceBridgeIsRefusedWithMqtt3() {
        BridgeConfig config = bind(exactlyOnceBridgeYaml("3", ""));

        assertThatThrownBy(() -> BridgeConfigValidator.validate(config))
                .isInstanceOf(ConfigValidationException.class)
                .hasMessageContaining("bridge.mqtt-to-kafka[0].exactly-once: needs bridge.mqtt.protocol-version: 5");
    }

    /** The plain bridge, refactored to share the YAML with the exactly-once one, still binds: three QoS, two back. */
    @Test
    void thePlainBridgeMapsEachQosAndKafkaToMqtt() {
        BridgeConfig config = bind(BenchmarkRig.bridgeYaml(BenchmarkRig.BRIDGE_ID, 1883, "5", BOOTSTRAP_SERVERS, "",
                BenchmarkRig.m2kMappings(false), false, BenchmarkRig.K2M_GROUP));

        BridgeConfigValidator.Routes routes = BridgeConfigValidator.validate(config);

        assertThat(config.mqttToKafka()).extracting(BridgeConfig.MqttToKafkaMapping::qos).containsExactly(0, 1, 2);
        assertThat(config.mqttToKafka()).noneMatch(BridgeConfig.MqttToKafkaMapping::exactlyOnce);
        assertThat(config.kafkaToMqtt()).hasSize(2);
        assertThat(routes.mqttToKafka().route(BenchmarkRig.m2kMqttTopic(2, 4096)))
                .extracting(RouteTarget::kafkaTopic).containsExactly(BenchmarkRig.m2kKafkaTopic(2, 4096));
    }

    private static String exactlyOnceBridgeYaml(String protocolVersion, String transactionInterval) {
        return BenchmarkRig.bridgeYaml(BenchmarkRig.EXACTLY_ONCE_BRIDGE_ID, 1883, protocolVersion, BOOTSTRAP_SERVERS,
                BenchmarkRig.exactlyOnceKafkaYaml(transactionInterval), BenchmarkRig.EXACTLY_ONCE_MAPPING, false, null);
    }

    /** Binds {@code yaml} as the bridge does (ShippedConfigTest binds the shipped file the same way). */
    private static BridgeConfig bind(String yaml) {
        return new SmallRyeConfigBuilder()
                .withMapping(BridgeConfig.class)
                .withConverter(Secret.class, 100, new SecretConverter())
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new YamlConfigSource("bench-bridge.yaml", yaml))
                .build()
                .getConfigMapping(BridgeConfig.class);
    }
}
