package io.mqttkafka.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.mapping.KafkaRecordFields;
import io.mqttkafka.bridge.mapping.KafkaToMqttRoute;
import io.mqttkafka.bridge.mapping.KafkaToMqttRouteGroup;
import io.mqttkafka.bridge.mapping.MqttToKafkaRoute;
import io.mqttkafka.bridge.mapping.RouteTable;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.source.yaml.YamlConfigSource;

/** The example configuration shipped in {@code config/application.yaml} must bind and validate. */
class ShippedConfigTest {

    private static final Path SHIPPED = Path.of("config", "application.yaml");
    private static final Pattern MAPPING_KEY = Pattern.compile("bridge\\.mqtt-to-kafka\\[(\\d+)]\\.(.+)");

    private static Map<String, String> yamlProperties;
    private static BridgeConfig config;

    /** One mapping as written in the YAML file. */
    private record YamlMapping(String name, String filter, String kafkaTopic, Optional<String> key, int qos) {
    }

    @BeforeAll
    static void load() throws IOException {
        assertThat(SHIPPED).as("run from the project root").isRegularFile();
        YamlConfigSource source = new YamlConfigSource(SHIPPED.toUri().toURL());
        yamlProperties = source.getProperties();
        config = bind(source);
    }

    /** Same mapping and converters as TestConfigs.bind, with the YAML file as the only source. */
    private static BridgeConfig bind(YamlConfigSource source) {
        SmallRyeConfig smallRye = new SmallRyeConfigBuilder()
                .withMapping(BridgeConfig.class)
                .withConverter(Secret.class, 100, new SecretConverter())
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(source)
                .build();
        return smallRye.getConfigMapping(BridgeConfig.class);
    }

    private static List<YamlMapping> yamlMappings() {
        Map<Integer, Map<String, String>> byIndex = new TreeMap<>();
        yamlProperties.forEach((key, value) -> {
            Matcher m = MAPPING_KEY.matcher(key);
            if (m.matches()) {
                byIndex.computeIfAbsent(Integer.parseInt(m.group(1)), i -> new TreeMap<>()).put(m.group(2), value);
            }
        });
        assertThat(byIndex.keySet()).as("mapping indexes are contiguous from 0")
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, byIndex.size()).boxed().toList());
        List<YamlMapping> mappings = new ArrayList<>();
        for (Map<String, String> m : byIndex.values()) {
            mappings.add(new YamlMapping(m.get("name"), m.get("filter"), m.get("kafka-topic"),
                    Optional.ofNullable(m.get("key")), Integer.parseInt(m.getOrDefault("qos", "1"))));
        }
        return mappings;
    }

    @Test
    void validates() {
        assertThatCode(() -> BridgeConfigValidator.validate(config)).doesNotThrowAnyException();
    }

    @Test
    void everyMappingOfTheFileIsARouteInDeclarationOrder() {
        List<YamlMapping> expected = yamlMappings();
        RouteTable table = BridgeConfigValidator.validate(config).mqttToKafka();

        assertThat(expected).extracting(YamlMapping::name).contains("temperatures", "events", "state");
        assertThat(table.routes()).extracting(MqttToKafkaRoute::name)
                .containsExactlyElementsOf(expected.stream().map(YamlMapping::name).toList());
        for (int i = 0; i < expected.size(); i++) {
            YamlMapping yaml = expected.get(i);
            MqttToKafkaRoute route = table.routes().get(i);
            assertThat(route.filter().toString()).as("filter of %s", yaml.name()).isEqualTo(yaml.filter());
            assertThat(route.kafkaTopic().toString()).as("kafka-topic of %s", yaml.name()).isEqualTo(yaml.kafkaTopic());
            assertThat(Optional.ofNullable(route.key()).map(Object::toString)).as("key of %s", yaml.name())
                    .isEqualTo(yaml.key());
            assertThat(route.qos()).as("qos of %s", yaml.name()).isEqualTo(yaml.qos());
        }
    }

    @Test
    void examplesFromTheFileCommentsRouteAsDocumented() {
        RouteTable table = BridgeConfigValidator.validate(config).mqttToKafka();

        // "sensors/plant-1/dev-42/temperature -> Kafka topic iot.temperature.plant-1, key dev-42"
        assertThat(table.route("sensors/plant-1/dev-42/temperature")).singleElement().satisfies(t -> {
            assertThat(t.route().name()).isEqualTo("temperatures");
            assertThat(t.kafkaTopic()).isEqualTo("iot.temperature.plant-1");
            assertThat(t.key()).isEqualTo("dev-42");
        });
        // "{1} is the first wildcard, the key is the MQTT topic"; shared subscription.
        assertThat(table.route("events/door-7/opened")).singleElement().satisfies(t -> {
            assertThat(t.route().name()).isEqualTo("events");
            assertThat(t.route().filter().shareGroup()).contains("bridge");
            assertThat(t.kafkaTopic()).isEqualTo("iot.events.door-7");
            assertThat(t.key()).isEqualTo("events/door-7/opened");
        });
        assertThat(table.route("state/valve/3")).singleElement().satisfies(t -> {
            assertThat(t.route().retainedEmptyAsTombstone()).isTrue();
            assertThat(t.kafkaTopic()).isEqualTo("iot.state");
            assertThat(t.key()).isEqualTo("state/valve/3");
        });
    }

    @Test
    void connectionSettingsAreTheDocumentedOnes() throws IOException {
        assertThat(config.id()).isEqualTo(yamlProperties.get("bridge.id"));
        assertThat(config.mqtt().host()).isEqualTo(yamlProperties.get("bridge.mqtt.host"));
        assertThat(config.mqtt().port()).isEqualTo(Integer.parseInt(yamlProperties.get("bridge.mqtt.port")));
        assertThat(config.mqtt().protocolVersion()).isEqualTo(5);
        assertThat(config.mqtt().cleanStart()).isFalse();
        assertThat(config.mqtt().sessionExpiry()).isEqualTo(Duration.ofHours(1));
        assertThat(config.kafka().bootstrapServers()).isEqualTo(yamlProperties.get("bridge.kafka.bootstrap-servers"));
        assertThat(config.deadLetterTopic()).isEqualTo(yamlProperties.get("bridge.dead-letter-topic"));
        // The example must not ship a password in clear text.
        assertThat(config.mqtt().password()).isEmpty();
        assertThat(Files.readString(SHIPPED)).doesNotContainPattern("(?m)^\\s*password:");
    }

    @Test
    void kafkaToMqttExamplesRouteAsDocumented() {
        List<KafkaToMqttRouteGroup> groups = BridgeConfigValidator.validate(config).kafkaToMqtt();

        assertThat(groups).extracting(KafkaToMqttRouteGroup::groupId)
                .containsExactly(config.id(), "mqtt-kafka-bridge-config");
        // "A record with key dev-42 on Kafka topic device-commands -> MQTT devices/dev-42/commands, QoS 1."
        KafkaToMqttRoute commands = groups.get(0).routesFor("device-commands").get(0);
        assertThat(commands.name()).isEqualTo("commands");
        assertThat(commands.qos()).isEqualTo(1);
        assertThat(commands.retain()).isFalse();
        assertThat(commands.render(new KafkaRecordFields("device-commands", 0,
                "dev-42".getBytes(java.nio.charset.StandardCharsets.UTF_8), name -> null)).topic())
                .isEqualTo("devices/dev-42/commands");
        // "Compacted config.<site> topics drive retained device configuration"
        assertThat(groups.get(1).routesFor("config.plant-1")).singleElement().satisfies(route -> {
            assertThat(route.retain()).isTrue();
            assertThat(route.render(new KafkaRecordFields("config.plant-1", 2,
                    "valve-3".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    name -> name.equals("site") ? "plant-1".getBytes(java.nio.charset.StandardCharsets.UTF_8) : null))
                    .topic()).isEqualTo("config/plant-1/valve-3");
        });
        assertThat(groups.get(1).routesFor("configuration")).isEmpty();
    }
}
