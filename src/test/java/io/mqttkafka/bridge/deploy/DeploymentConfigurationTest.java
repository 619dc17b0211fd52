package io.mqttkafka.bridge.deploy;

import static io.mqttkafka.bridge.deploy.Manifests.at;
import static io.mqttkafka.bridge.deploy.Manifests.named;
import static io.mqttkafka.bridge.deploy.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.BridgeConfigValidator;
import io.mqttkafka.bridge.config.Secret;
import io.mqttkafka.bridge.config.SecretConverter;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.source.yaml.YamlConfigSource;

/**
 * Every {@code bridge.*} key and every {@code BRIDGE_*} environment variable that the deployment files set is a real
 * configuration key of the bridge. The real keys come from {@link BridgeConfig} itself ({@link ConfigurationKeys}),
 * so this needs no list kept by hand. The Kubernetes configuration also binds and validates as the bridge does at
 * startup, with the environment the StatefulSet gives it. Broken copies show that each check fails.
 */
class DeploymentConfigurationTest {

    private static final Path KUBERNETES_CONFIG = Manifests.BASE.resolve("application.yaml");
    private static final Path STATEFUL_SET = Manifests.BASE.resolve("statefulset.yaml");
    private static final Path COMPOSE = Path.of("deploy", "docker-compose.yml");

    private static final ConfigurationKeys KEYS = ConfigurationKeys.of(BridgeConfig.class);

    @Test
    void theKeysComeFromTheConfigMapping() {
        assertThat(KEYS.keys()).contains("bridge.id", "bridge.mqtt.client-id", "bridge.mqtt.password-file",
                "bridge.mqtt.tls.enabled", "bridge.kafka.properties.*", "bridge.kafka.consumer.high-watermark",
                "bridge.mqtt-to-kafka[*].kafka-topic", "bridge.kafka-to-mqtt[*].group-id");
        assertThat(KEYS.isProperty("bridge.kafka.properties.\"sasl.jaas.config\"")).isTrue();
        assertThat(KEYS.isProperty("bridge.mqtt-to-kafka[12].qos")).isTrue();
        assertThat(KEYS.isEnvironmentVariable("BRIDGE_MQTT_TO_KAFKA_0__KAFKA_TOPIC")).isTrue();
        assertThat(KEYS.isEnvironmentVariable("BRIDGE_KAFKA_PROPERTIES__COMPRESSION_TYPE_")).isTrue();
        assertThat(KEYS.isEnvironmentVariable("BRIDGE_MQTT_PASSWORD_FILE")).isTrue();
        assertThat(KEYS.isProperty("bridge.mqtt.hots")).isFalse();
        assertThat(KEYS.isEnvironmentVariable("BRIDGE_MQTT_CLIENTID")).isFalse();
        assertThat(KEYS.isEnvironmentVariable("BRIDGE_MQTT_TO_KAFKA_KAFKA_TOPIC")).isFalse();
    }

    @Test
    void everyKeyOfTheKubernetesConfigurationIsReal() throws IOException {
        assertThat(unknownKeys(KUBERNETES_CONFIG)).isEmpty();
    }

    @Test
    void everyBridgeVariableOfTheStatefulSetAndTheComposeFileIsReal() throws IOException {
        Map<String, String> statefulSet = statefulSetEnvironment(Files.readString(STATEFUL_SET));
        Map<String, String> compose = composeEnvironment(Files.readString(COMPOSE));
        assertThat(statefulSet).containsKey("BRIDGE_MQTT_CLIENT_ID");
        assertThat(compose).containsKeys("BRIDGE_MQTT_HOST", "BRIDGE_KAFKA_BOOTSTRAP_SERVERS");

        assertThat(unknownVariables(statefulSet.keySet())).as("StatefulSet").isEmpty();
        assertThat(unknownVariables(compose.keySet())).as("docker-compose.yml").isEmpty();
    }

    /**
     * The ConfigMap's application.yaml with the StatefulSet's environment binds to {@link BridgeConfig} and passes the
     * startup validation, as in a pod (the mounted password file stands in a temporary file).
     */
    @Test
    void theKubernetesConfigurationBindsAndValidatesWithTheStatefulSetsEnvironment() throws IOException {
        Map<String, String> environment = new TreeMap<>(statefulSetEnvironment(Files.readString(STATEFUL_SET)));
        environment.put("BRIDGE_MQTT_CLIENT_ID", "mqtt-kafka-bridge-0");
        environment.put("BRIDGE_MQTT_USERNAME", "bridge");
        Path passwordFile = Files.createTempFile("mqtt-password-", "");
        Files.writeString(passwordFile, "secret\n");

        BridgeConfig config = bind(KUBERNETES_CONFIG, environment, Map.of("bridge.mqtt.password-file", passwordFile.toString()));

        assertThatCode(() -> BridgeConfigValidator.validate(config)).doesNotThrowAnyException();
        assertThat(config.mqtt().clientId()).contains("mqtt-kafka-bridge-0");
        assertThat(config.mqtt().username()).contains("bridge");
        assertThat(config.kafka().properties()).containsEntry("config.providers", "dir")
                .hasEntrySatisfying("sasl.jaas.config", jaas -> assertThat(jaas)
                        .contains("password=\"${dir:/var/run/secrets/mqtt-kafka-bridge/kafka:password}\""));
        assertThat(config.mqttToKafka()).extracting(BridgeConfig.MqttToKafkaMapping::filter)
                .allSatisfy(filter -> assertThat(filter).as("replicas share MQTT -> Kafka").startsWith("$share/"));
    }

    /** The Compose stack's bridge: the image's config/application.yaml with the Compose file's environment. */
    @Test
    void theComposeBridgeConfigurationBindsAndValidates() throws IOException {
        Map<String, String> environment = composeEnvironment(Files.readString(COMPOSE));

        BridgeConfig config = bind(Path.of("config", "application.yaml"), environment, Map.of());

        assertThatCode(() -> BridgeConfigValidator.validate(config)).doesNotThrowAnyException();
        assertThat(config.mqtt().host()).isEqualTo("mosquitto");
        assertThat(config.kafka().bootstrapServers()).isEqualTo("kafka:9092");
        assertThat(config.mqtt().clientId()).contains("mqtt-kafka-bridge-0");
    }

    /** The files the configuration names are where the StatefulSet mounts the Secret. */
    @Test
    void theCredentialFilesOfTheConfigurationAreMountedFromTheSecret() throws IOException {
        Map<String, Object> pod = at(only(Manifests.objects(Files.readString(STATEFUL_SET)), "StatefulSet"),
                "spec", "template", "spec");
        List<Map<String, Object>> containers = at(pod, "containers");
        List<Map<String, Object>> mounts = at(named(containers, "bridge"), "volumeMounts");
        List<Map<String, Object>> volumes = at(pod, "volumes");
        List<String> mountedFiles = new ArrayList<>();
        for (Map<String, Object> mount : mounts) {
            List<Map<String, Object>> items = at(named(volumes, (String) mount.get("name")), "secret", "items");
            if (items != null) {
                items.forEach(item -> mountedFiles.add(mount.get("mountPath") + "/" + item.get("path")));
            }
        }
        List<String> referenced = new ArrayList<>();
        java.util.regex.Pattern file = java.util.regex.Pattern.compile("(/var/run/secrets/[^\\s\"';:}]+)(?::([\\w.-]+))?");
        for (String value : new YamlConfigSource(KUBERNETES_CONFIG.toUri().toURL()).getProperties().values()) {
            java.util.regex.Matcher m = file.matcher(value);
            while (m.find()) {
                referenced.add(m.group(2) == null ? m.group(1) : m.group(1) + "/" + m.group(2));
            }
        }
        assertThat(referenced).isNotEmpty();
        assertThat(mountedFiles).containsAll(referenced);
    }

    // Broken copies.

    @Test
    void aMisspelledKeyIsReported() throws IOException {
        Path broken = Manifests.copy(Manifests.BASE);
        Manifests.replace(broken.resolve("application.yaml"), "    host: mqtt-broker", "    hots: mqtt-broker");
        Manifests.replace(broken.resolve("application.yaml"), "      kafka-topic: device-commands",
                "      kafka-topics: device-commands");

        assertThat(unknownKeys(broken.resolve("application.yaml")))
                .containsExactlyInAnyOrder("bridge.mqtt.hots", "bridge.kafka-to-mqtt[0].kafka-topics");
    }

    @Test
    void aMisspelledVariableIsReported() throws IOException {
        String statefulSet = Files.readString(STATEFUL_SET).replace("name: BRIDGE_MQTT_CLIENT_ID", "name: BRIDGE_MQTT_CLIENTID");
        String compose = Files.readString(COMPOSE).replace("BRIDGE_KAFKA_BOOTSTRAP_SERVERS:", "BRIDGE_KAFKA_BOOTSTRAP_SERVER:");

        assertThat(unknownVariables(statefulSetEnvironment(statefulSet).keySet())).containsExactly("BRIDGE_MQTT_CLIENTID");
        assertThat(unknownVariables(composeEnvironment(compose).keySet())).containsExactly("BRIDGE_KAFKA_BOOTSTRAP_SERVER");
    }

    @Test
    void aConfigurationThatDoesNotValidateFailsTheBindingCheck() throws IOException {
        Path broken = Manifests.copy(Manifests.BASE);
        Manifests.replace(broken.resolve("application.yaml"), "kafka-topic: iot.telemetry.{site}",
                "kafka-topic: iot.telemetry.{sitee}");
        Path passwordFile = Files.createTempFile("mqtt-password-", "");
        Files.writeString(passwordFile, "secret\n");
        BridgeConfig config = bind(broken.resolve("application.yaml"), Map.of(),
                Map.of("bridge.mqtt.password-file", passwordFile.toString()));

        assertThatThrownBy(() -> BridgeConfigValidator.validate(config)).hasMessageContaining("{sitee}");
    }

    // Helpers.

    private static List<String> unknownKeys(Path yaml) throws IOException {
        Map<String, String> properties = new YamlConfigSource(yaml.toUri().toURL()).getProperties();
        assertThat(properties).isNotEmpty();
        return properties.keySet().stream().filter(key -> !KEYS.isProperty(key)).sorted().toList();
    }

    private static List<String> unknownVariables(java.util.Collection<String> names) {
        return names.stream().filter(n -> n.startsWith("BRIDGE_")).filter(n -> !KEYS.isEnvironmentVariable(n)).sorted()
                .toList();
    }

    /** The environment of the bridge container; a value from a field or a Secret as {@code <from ...>}. */
    static Map<String, String> statefulSetEnvironment(String statefulSetYaml) {
        Map<String, Object> container = named(at(only(Manifests.objects(statefulSetYaml), "StatefulSet"),
                "spec", "template", "spec", "containers"), "bridge");
        Map<String, String> environment = new LinkedHashMap<>();
        List<Map<String, Object>> env = at(container, "env");
        for (Map<String, Object> variable : env) {
            Object value = variable.get("value");
            environment.put((String) variable.get("name"), value != null ? value.toString() : "<from " + variable.get("valueFrom") + ">");
        }
        return environment;
    }

    /** The environment of every service of a Compose file (map or list form). */
    @SuppressWarnings("unchecked")
    static Map<String, String> composeEnvironment(String composeYaml) {
        Map<String, Object> compose = new Yaml(new SafeConstructor(new LoaderOptions())).load(composeYaml);
        Map<String, String> environment = new LinkedHashMap<>();
        Map<String, Object> services = (Map<String, Object>) compose.get("services");
        services.values().forEach(service -> {
            Object env = ((Map<String, Object>) service).get("environment");
            if (env instanceof Map<?, ?> map) {
                map.forEach((k, v) -> environment.put(k.toString(), String.valueOf(v)));
            } else if (env instanceof List<?> list) {
                list.forEach(entry -> {
                    String text = entry.toString();
                    int eq = text.indexOf('=');
                    environment.put(eq < 0 ? text : text.substring(0, eq), eq < 0 ? "" : text.substring(eq + 1));
                });
            }
        });
        return environment;
    }

    /** Binds like the bridge at startup: the YAML file, below the environment, below explicit overrides. */
    private static BridgeConfig bind(Path yaml, Map<String, String> environment, Map<String, String> overrides)
            throws IOException {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .addDefaultInterceptors() // expressions, as in Quarkus: $${...} reaches Kafka as ${...}
                .withMapping(BridgeConfig.class)
                .withConverter(Secret.class, 100, new SecretConverter())
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new YamlConfigSource(yaml.toUri().toURL(), 250),
                        new EnvConfigSource(environment, 300),
                        new PropertiesConfigSource(overrides, "overrides", 400))
                .build();
        return config.getConfigMapping(BridgeConfig.class);
    }
}
