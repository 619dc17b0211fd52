package io.mqttkafka.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.entry;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.mqttkafka.bridge.mapping.KafkaToMqttRoute;
import io.mqttkafka.bridge.mapping.KafkaToMqttRouteGroup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.mqttkafka.bridge.mapping.MqttToKafkaRoute;
import io.mqttkafka.bridge.mapping.RouteTable;
import io.mqttkafka.bridge.mapping.RouteTarget;
import io.mqttkafka.bridge.testing.TestConfigs;

class BridgeConfigValidatorTest {

    private static final String M0 = "bridge.mqtt-to-kafka[0].";
    private static final String M1 = "bridge.mqtt-to-kafka[1].";
    private static final String ALLOWED_FOR_BASE = "allowed: {site}, {device}, {1}..{2}, {topic}";

    /** A valid configuration: one mapping with two named levels and no key; rows override keys of it. */
    private static TestConfigs base() {
        return TestConfigs.empty()
                .set("bridge.id", "test-bridge")
                .mapping("m0", "sensors/{site}/{device}", 1, "iot.{site}", null);
    }

    private static Map<String, String> props(String... keyValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put(keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    static Stream<Arguments> badConfigurations() {
        return Stream.of(
                // Templates: unknown placeholders list the allowed ones.
                Arguments.of("unknown placeholder in kafka-topic",
                        props(M0 + "kafka-topic", "iot.{sitee}"),
                        M0 + "kafka-topic", "unknown placeholder {sitee}; " + ALLOWED_FOR_BASE),
                Arguments.of("unknown placeholder in key",
                        props(M0 + "key", "{sitee}"),
                        M0 + "key", "unknown placeholder {sitee}; " + ALLOWED_FOR_BASE),
                Arguments.of("positional placeholder beyond the wildcards",
                        props(M0 + "filter", "a/+/+", M0 + "kafka-topic", "t.{3}"),
                        M0 + "kafka-topic", "placeholder {3} refers to a wildcard that topic filter 'a/+/+'"
                                + " does not have (it has 2 wildcards); allowed: {1}..{2}, {topic}"),
                Arguments.of("positional placeholder {0}",
                        props(M0 + "key", "{0}"),
                        M0 + "key", "placeholder {0} is invalid: wildcards are numbered from 1; " + ALLOWED_FOR_BASE),
                Arguments.of("unclosed brace in key",
                        props(M0 + "key", "{site"),
                        M0 + "key", "unclosed '{' at index 0 (write '{{' for a literal brace)"),
                // Filters.
                Arguments.of("'#' not last",
                        props(M0 + "filter", "a/#/b"),
                        M0 + "filter", "'a/#/b': '#' must be the last level"),
                Arguments.of("'+' not a whole level",
                        props(M0 + "filter", "a+/b"),
                        M0 + "filter", "'+' must occupy a whole level (level 1 is 'a+')"),
                Arguments.of("empty share group",
                        props(M0 + "filter", "$share//x"),
                        M0 + "filter", "'$share//x': empty share group"),
                Arguments.of("share without topic filter",
                        props(M0 + "filter", "$share/g/"),
                        M0 + "filter", "the topic filter after '$share/g/' must not be empty"),
                Arguments.of("reserved level name {topic}",
                        props(M0 + "filter", "a/{topic}"),
                        M0 + "filter", "level name {topic} is reserved for the whole MQTT topic"),
                // QoS.
                Arguments.of("qos 3", props(M0 + "qos", "3"), M0 + "qos", "must be 0, 1 or 2, was 3"),
                Arguments.of("qos -1", props(M0 + "qos", "-1"), M0 + "qos", "must be 0, 1 or 2, was -1"),
                // Names.
                Arguments.of("duplicate mapping name",
                        props(M1 + "name", "m0", M1 + "filter", "other/#", M1 + "kafka-topic", "other"),
                        M1 + "name", "duplicate mapping name 'm0', already used by bridge.mqtt-to-kafka[0]"),
                Arguments.of("blank mapping name",
                        props(M0 + "name", "  "),
                        M0 + "name", "must not be blank"),
                // Kafka topics.
                Arguments.of("constant kafka-topic with a space",
                        props(M0 + "kafka-topic", "bad topic"),
                        M0 + "kafka-topic", "'bad topic' is not a legal Kafka topic name: Kafka topic name"
                                + " 'bad topic' contains illegal character U+0020 at index 3;"
                                + " allowed are ASCII letters, digits, '.', '_' and '-'"),
                Arguments.of("constant kafka-topic '..'",
                        props(M0 + "kafka-topic", ".."),
                        M0 + "kafka-topic", "'..' is not a legal Kafka topic name: Kafka topic name must not be '.' or '..'"),
                Arguments.of("blank kafka-topic",
                        props(M0 + "kafka-topic", "   "),
                        M0 + "kafka-topic", "must not be blank"),
                Arguments.of("illegal dead-letter-topic",
                        props("bridge.dead-letter-topic", "dead letter"),
                        "bridge.dead-letter-topic", "'dead letter' is not a legal Kafka topic name: Kafka topic"
                                + " name 'dead letter' contains illegal character U+0020 at index 4"),
                Arguments.of("dead-letter-topic with '/'",
                        props("bridge.dead-letter-topic", "dlq/x"),
                        "bridge.dead-letter-topic", "contains illegal character '/' at index 3"),
                // MQTT connection.
                Arguments.of("protocol-version 4",
                        props("bridge.mqtt.protocol-version", "4"),
                        "bridge.mqtt.protocol-version", "must be 5 (MQTT 5) or 3 (MQTT 3.1.1), was 4"),
                Arguments.of("port 0", props("bridge.mqtt.port", "0"),
                        "bridge.mqtt.port", "must be between 1 and 65535, was 0"),
                Arguments.of("port 70000", props("bridge.mqtt.port", "70000"),
                        "bridge.mqtt.port", "must be between 1 and 65535, was 70000"),
                Arguments.of("receive-maximum 0", props("bridge.mqtt.receive-maximum", "0"),
                        "bridge.mqtt.receive-maximum", "must be between 1 and 65535, was 0"),
                Arguments.of("receive-maximum 65536", props("bridge.mqtt.receive-maximum", "65536"),
                        "bridge.mqtt.receive-maximum", "must be between 1 and 65535, was 65536"),
                Arguments.of("maximum-message-size 0", props("bridge.mqtt.maximum-message-size", "0"),
                        "bridge.mqtt.maximum-message-size", "must be between 1 and 268435455 bytes, was 0"),
                Arguments.of("maximum-message-size above MQTT's limit",
                        props("bridge.mqtt.maximum-message-size", "268435456"),
                        "bridge.mqtt.maximum-message-size", "must be between 1 and 268435455 bytes, was 268435456"),
                Arguments.of("reconnect-max-delay shorter than initial",
                        props("bridge.mqtt.reconnect-initial-delay", "10s", "bridge.mqtt.reconnect-max-delay", "5s"),
                        "bridge.mqtt.reconnect-max-delay",
                        "must not be shorter than reconnect-initial-delay (PT10S), was PT5S"),
                Arguments.of("kafka-client-refresh zero", props("bridge.metrics.kafka-client-refresh", "0s"),
                        "bridge.metrics.kafka-client-refresh", "must be positive, was PT0S"),
                Arguments.of("reconnect-initial-delay zero",
                        props("bridge.mqtt.reconnect-initial-delay", "0s"),
                        "bridge.mqtt.reconnect-initial-delay", "must be positive, was PT0S"),
                Arguments.of("blank client-id",
                        props("bridge.mqtt.client-id", "  "),
                        "bridge.mqtt.client-id", "must not be blank; omit it to derive one from bridge.id"),
                Arguments.of("keep-alive above 65535 s",
                        props("bridge.mqtt.keep-alive", "65536s"),
                        "bridge.mqtt.keep-alive", "must be between 0 and 65535 seconds, was PT18H12M16S"),
                Arguments.of("MQTT 3.1.1 password without username",
                        props("bridge.mqtt.protocol-version", "3", "bridge.mqtt.password", "pw"),
                        "bridge.mqtt.password", "MQTT 3.1.1 allows a password only together with bridge.mqtt.username"),
                Arguments.of("blank bridge.id", props("bridge.id", " "), "bridge.id", "must not be blank"),
                Arguments.of("negative shutdown-timeout", props("bridge.shutdown-timeout", "-1s"),
                        "bridge.shutdown-timeout", "must not be negative, was PT-1S"),
                // Kafka properties owned by the delivery policy.
                Arguments.of("acks", props("bridge.kafka.properties.acks", "1"),
                        "bridge.kafka.properties.acks",
                        "not configurable here: set per QoS by the delivery policy (QoS 1/2 need acks=all)"),
                Arguments.of("acks in upper case", props("bridge.kafka.properties.ACKS", "1"),
                        "bridge.kafka.properties.ACKS", "not configurable here: set per QoS by the delivery policy"),
                Arguments.of("enable.idempotence", props("bridge.kafka.properties.enable.idempotence", "false"),
                        "bridge.kafka.properties.enable.idempotence",
                        "not configurable here: set per QoS by the delivery policy (QoS 1/2 need idempotence)"),
                Arguments.of("bootstrap.servers", props("bridge.kafka.properties.bootstrap.servers", "other:9092"),
                        "bridge.kafka.properties.bootstrap.servers",
                        "not configurable here: use bridge.kafka.bootstrap-servers"),
                Arguments.of("value.serializer",
                        props("bridge.kafka.properties.value.serializer", "org.example.Json"),
                        "bridge.kafka.properties.value.serializer", "not configurable here: the bridge writes raw bytes"),
                Arguments.of("delivery.timeout.ms as a Kafka property",
                        props("bridge.kafka.properties.delivery.timeout.ms", "60000"),
                        "bridge.kafka.properties.delivery.timeout.ms",
                        "not configurable here: use bridge.kafka.delivery-timeout"),
                Arguments.of("delivery-timeout shorter than linger + default request timeout",
                        props("bridge.kafka.delivery-timeout", "20s"),
                        "bridge.kafka.delivery-timeout",
                        "must be at least linger.ms + request.timeout.ms (30005 ms), was PT20S"),
                Arguments.of("delivery-timeout shorter than the user's linger + request timeout",
                        props("bridge.kafka.delivery-timeout", "10s", "bridge.kafka.properties.request.timeout.ms", "9000",
                                "bridge.kafka.properties.linger.ms", "1500"),
                        "bridge.kafka.delivery-timeout",
                        "must be at least linger.ms + request.timeout.ms (10500 ms), was PT10S"),
                Arguments.of("delivery-timeout beyond Kafka's int milliseconds",
                        props("bridge.kafka.delivery-timeout", "P30D"),
                        "bridge.kafka.delivery-timeout", "must be at most 2147483647 ms, was PT720H"),
                Arguments.of("qos0-max-in-flight 0", props("bridge.kafka.qos0-max-in-flight", "0"),
                        "bridge.kafka.qos0-max-in-flight", "must be at least 1, was 0"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigurations")
    void rejectsBadConfigurationNamingTheKey(String description, Map<String, String> overrides, String key,
            String reasonFragment) {
        TestConfigs configs = base();
        overrides.forEach(configs::set);
        BridgeConfig config = configs.build();

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));

        assertThat(e).as("validation must fail for: %s", description).isNotNull();
        assertThat(e.problems()).hasSize(1);
        assertThat(e.problems().get(0)).startsWith(key + ": ").contains(reasonFragment);
        assertThat(e.getMessage())
                .startsWith("Invalid bridge configuration (1 problem):")
                .contains("  - " + e.problems().get(0));
    }

    // ---- Exactly-once (issue 22): the contract, MQTT 5 only ----

    private static final String EOS_QOS_1 = M0 + "exactly-once: only with qos: 2 (only QoS 2 has the PUBREL that tells "
            + "which written messages the broker will never send again), was qos: 1";
    private static final String EOS_CLEAN_START = M0 + "exactly-once: needs bridge.mqtt.clean-start: false (after a "
            + "crash, the kept session is what redelivers the messages in flight), was true";
    private static final String EOS_SESSION_EXPIRY = M0 + "exactly-once: needs bridge.mqtt.session-expiry above 0 (with 0 "
            + "the broker drops the session, and the messages in flight, when the connection ends), was PT0S";
    private static final String EOS_MQTT_3 = M0 + "exactly-once: needs bridge.mqtt.protocol-version: 5; with MQTT 3.1.1 "
            + "the bridge refuses it rather than run the mapping as plain QoS 2 (exactly-once is built and tested with "
            + "MQTT 5 only; docs/design.md, \"Exactly-once QoS 2\")";

    static Stream<Arguments> exactlyOnceConfigurations() {
        return Stream.of(
                Arguments.of("exactly-once with qos 2, MQTT 5 and a kept session",
                        props(M0 + "qos", "2", M0 + "exactly-once", "true"),
                        List.of()),
                Arguments.of("exactly-once with qos 1",
                        props(M0 + "exactly-once", "true"),
                        List.of(EOS_QOS_1)),
                Arguments.of("exactly-once with qos 0",
                        props(M0 + "qos", "0", M0 + "exactly-once", "true"),
                        List.of(EOS_QOS_1.replace("was qos: 1", "was qos: 0"))),
                Arguments.of("exactly-once with clean start",
                        props(M0 + "qos", "2", M0 + "exactly-once", "true", "bridge.mqtt.clean-start", "true"),
                        List.of(EOS_CLEAN_START)),
                Arguments.of("exactly-once with MQTT 5 session expiry 0",
                        props(M0 + "qos", "2", M0 + "exactly-once", "true", "bridge.mqtt.session-expiry", "0s"),
                        List.of(EOS_SESSION_EXPIRY)),
                Arguments.of("exactly-once with MQTT 3.1.1 is refused (its session expiry does not matter)",
                        props(M0 + "qos", "2", M0 + "exactly-once", "true", "bridge.mqtt.protocol-version", "3",
                                "bridge.mqtt.session-expiry", "0s"),
                        List.of(EOS_MQTT_3)),
                Arguments.of("exactly-once on the second mapping names its index",
                        props(M1 + "name", "m1", M1 + "filter", "orders/#", M1 + "qos", "2", M1 + "kafka-topic", "orders",
                                M1 + "exactly-once", "true", "bridge.mqtt.protocol-version", "3"),
                        List.of(EOS_MQTT_3.replace(M0, M1))),
                Arguments.of("an illegal state topic",
                        props("bridge.kafka.exactly-once-state-topic", "state topic"),
                        List.of("bridge.kafka.exactly-once-state-topic: 'state topic' is not a legal Kafka topic name: "
                                + io.mqttkafka.bridge.mapping.KafkaTopicNames.invalidReason("state topic").orElseThrow())),
                Arguments.of("exactly-once false (the default) with qos 1",
                        props(M0 + "exactly-once", "false"),
                        List.of()),
                Arguments.of("blank transactional-id-prefix",
                        props("bridge.kafka.transactional-id-prefix", " "),
                        List.of("bridge.kafka.transactional-id-prefix: must not be blank; omit it to use the MQTT client id")),
                Arguments.of("transaction-interval 0",
                        props("bridge.kafka.transaction-interval", "0s"),
                        List.of("bridge.kafka.transaction-interval: must be positive, was PT0S")),
                Arguments.of("negative transaction-interval",
                        props("bridge.kafka.transaction-interval", "-100ms"),
                        List.of("bridge.kafka.transaction-interval: must be positive, was PT-0.1S")),
                Arguments.of("transaction-interval equal to Kafka's default transaction timeout",
                        props("bridge.kafka.transaction-interval", "60s"),
                        List.of("bridge.kafka.transaction-interval: must be shorter than transaction.timeout.ms (60000 ms),"
                                + " or Kafka aborts every transaction before it is committed; was PT1M")),
                Arguments.of("transaction-interval beyond the user's transaction timeout",
                        props("bridge.kafka.transaction-interval", "10s",
                                "bridge.kafka.properties.transaction.timeout.ms", "5000"),
                        List.of("bridge.kafka.transaction-interval: must be shorter than transaction.timeout.ms (5000 ms),"
                                + " or Kafka aborts every transaction before it is committed; was PT10S")),
                Arguments.of("transaction-interval just below the transaction timeout",
                        props("bridge.kafka.transaction-interval", "59999ms", "bridge.kafka.transactional-id-prefix",
                                "plant-bridge"),
                        List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exactlyOnceConfigurations")
    void exactlyOnceContractIsCheckedAtStartup(String description, Map<String, String> overrides,
            List<String> expectedProblems) {
        TestConfigs configs = base();
        overrides.forEach(configs::set);
        BridgeConfig config = configs.build();

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));

        if (expectedProblems.isEmpty()) {
            assertThat(e).as("valid: %s", description).isNull();
        } else {
            assertThat(e).as("invalid: %s", description).isNotNull();
            assertThat(e.problems()).containsExactlyElementsOf(expectedProblems);
        }
    }

    @Test
    void exactlyOnceSettingsHaveTheDefaultsOfTheContract() {
        BridgeConfig defaults = base().set("bridge.mqtt.client-id", "plant-7").build();

        assertThat(defaults.kafka().transactionInterval()).isEqualTo(java.time.Duration.ofMillis(100));
        assertThat(defaults.kafka().transactionalIdPrefix()).isEmpty();
        assertThat(ClientIds.transactionalIdPrefix(defaults)).isEqualTo("plant-7");
        assertThat(defaults.mqttToKafka().get(0).exactlyOnce()).isFalse();
        assertThat(defaults.kafka().exactlyOnceStateTopic()).isEqualTo("mqtt-kafka-bridge.exactly-once-state");

        BridgeConfig set = base().set("bridge.mqtt.client-id", "plant-7")
                .set("bridge.kafka.transactional-id-prefix", "plant-bridge-0")
                .set("bridge.kafka.transaction-interval", "250ms")
                .build();
        assertThat(ClientIds.transactionalIdPrefix(set)).isEqualTo("plant-bridge-0");
        assertThat(set.kafka().transactionInterval()).isEqualTo(java.time.Duration.ofMillis(250));
    }

    @Test
    void duplicateNameMessageNamesBothIndexes() {
        BridgeConfig config = base().mapping("first", "x/#", 1, "x", null)
                .mapping("m0", "y/#", 1, "y", null).build();

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));

        assertThat(e.problems()).containsExactly(
                "bridge.mqtt-to-kafka[2].name: duplicate mapping name 'm0', already used by bridge.mqtt-to-kafka[0]");
    }

    @Test
    void reportsEveryProblemInOneException() {
        BridgeConfig config = base()
                .set("bridge.mqtt.port", "0")
                .set("bridge.mqtt.protocol-version", "4")
                .set("bridge.kafka.properties.acks", "1")
                .set("bridge.dead-letter-topic", "dead letter")
                .set(M0 + "qos", "3")
                .mapping("bad-filter", "a/#/b", 1, "t", null)
                .mapping("bad-key", "a/{site}", 1, "t.{site}", "{sitee}")
                .build();

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));

        assertThat(e.problems()).hasSize(7);
        assertThat(e.problems()).extracting(p -> p.substring(0, p.indexOf(": "))).containsExactly(
                "bridge.mqtt.port",
                "bridge.mqtt.protocol-version",
                "bridge.kafka.properties.acks",
                "bridge.dead-letter-topic",
                "bridge.mqtt-to-kafka[0].qos",
                "bridge.mqtt-to-kafka[1].filter",
                "bridge.mqtt-to-kafka[2].key");
        assertThat(e.getMessage()).startsWith("Invalid bridge configuration (7 problems):");
        for (String problem : e.problems()) {
            assertThat(e.getMessage()).contains(System.lineSeparator() + "  - " + problem);
        }
    }

    @Test
    void validConfigurationYieldsRoutesInDeclarationOrder() {
        BridgeConfig config = TestConfigs.empty()
                .mapping("temperatures", "sensors/{site}/{device}/temperature", 1, "iot.temperature.{site}", "{device}")
                .mapping("events", "$share/bridge/events/+/#", 2, "iot.events.{1}", null)
                .mapping("state", "state/#", 0, "iot.state", "{topic}")
                .set("bridge.mqtt-to-kafka[2].retained-empty-as-tombstone", "false")
                .build();

        RouteTable table = BridgeConfigValidator.validate(config).mqttToKafka();

        assertThat(table.routes()).extracting(MqttToKafkaRoute::name).containsExactly("temperatures", "events", "state");
        assertThat(table.routes()).extracting(MqttToKafkaRoute::qos).containsExactly(1, 2, 0);
        assertThat(table.routes()).extracting(r -> r.filter().subscriptionFilter())
                .containsExactly("sensors/+/+/temperature", "$share/bridge/events/+/#", "state/#");
        assertThat(table.routes()).extracting(r -> r.key() == null ? null : r.key().toString())
                .containsExactly("{device}", null, "{topic}");
        assertThat(table.routes()).extracting(MqttToKafkaRoute::retainedEmptyAsTombstone)
                .containsExactly(true, true, false);

        List<RouteTarget> targets = table.route("sensors/plant-1/dev-42/temperature");
        assertThat(targets).singleElement().satisfies(t -> {
            assertThat(t.kafkaTopic()).isEqualTo("iot.temperature.plant-1");
            assertThat(t.key()).isEqualTo("dev-42");
        });
        assertThat(table.route("events/door/opened/now")).singleElement().satisfies(t -> {
            assertThat(t.kafkaTopic()).isEqualTo("iot.events.door");
            assertThat(t.key()).isEqualTo("events/door/opened/now");
        });
    }

    @Test
    void missingKafkaTopicFailsAtBinding() {
        Map<String, String> properties = props(M0 + "name", "m0", M0 + "filter", "a/b");

        assertThatThrownBy(() -> TestConfigs.bind(properties))
                .hasMessageContaining("bridge.mqtt-to-kafka[0].kafka-topic")
                .hasMessageContaining("is required");
    }

    @Test
    void emptyFilterFailsAtBinding() {
        // SmallRye treats "" as absent, so an empty filter never reaches the validator from real config.
        Map<String, String> properties = props(M0 + "name", "m0", M0 + "filter", "", M0 + "kafka-topic", "t");

        assertThatThrownBy(() -> TestConfigs.bind(properties))
                .hasMessageContaining("bridge.mqtt-to-kafka[0].filter");
    }

    @Test
    void emptyFilterIsRejectedByTheValidatorToo() {
        BridgeConfig config = overrideMapping0(base().build(), "filter", "");

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));

        assertThat(e.problems()).singleElement().asString()
                .startsWith(M0 + "filter: ")
                .contains("must not be empty");
    }

    @Test
    void configurationWithoutMappingsBindsAndValidatesToAnEmptyRouteTable() {
        // Expectation documented in BridgeConfig: "an empty configuration ... bridges nothing".
        BridgeConfig config = TestConfigs.bind(Map.of());

        assertThat(config.mqttToKafka()).isEmpty();
        assertThat(BridgeConfigValidator.validate(config).mqttToKafka().routes()).isEmpty();
    }

    @Test
    void defaultsOfAnEmptyConfigurationAreValid() {
        BridgeConfig config = TestConfigs.bind(Map.of());

        assertThat(config.id()).isEqualTo("mqtt-kafka-bridge");
        assertThat(config.mqtt().host()).isEqualTo("localhost");
        assertThat(config.mqtt().port()).isEqualTo(1883);
        assertThat(config.mqtt().protocolVersion()).isEqualTo(5);
        assertThat(config.kafka().bootstrapServers()).isEqualTo("localhost:9092");
        assertThat(config.kafka().properties()).isEmpty();
        assertThat(config.deadLetterTopic()).isEqualTo("mqtt-kafka-bridge.dead-letter");
    }

    @Test
    void dottedKafkaPropertyKeysBindWithTheirDots() {
        String jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";";
        BridgeConfig config = base()
                .set("bridge.kafka.properties.compression.type", "lz4")
                .set("bridge.kafka.properties.sasl.jaas.config", jaas)
                .set("bridge.kafka.properties.linger.ms", "20")
                .build();

        assertThat(config.kafka().properties()).containsOnly(
                entry("compression.type", "lz4"),
                entry("sasl.jaas.config", jaas),
                entry("linger.ms", "20"));
        assertThat(BridgeConfigValidator.validate(config).mqttToKafka().routes()).hasSize(1);
    }

    @Test
    void passwordIsMaskedButRevealable() {
        String password = "s3cr3t-P@ss";
        BridgeConfig config = base()
                .set("bridge.mqtt.username", "bridge")
                .set("bridge.mqtt.password", password)
                .build();

        Secret secret = config.mqtt().password().orElseThrow();
        assertThat(secret.toString()).isEqualTo("******").doesNotContain(password);
        assertThat(config.mqtt().password().toString()).doesNotContain(password);
        assertThat(secret.reveal()).isEqualTo(password);
        assertThat(secret.revealBytes()).isEqualTo(password.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void passwordDoesNotLeakIntoValidationMessages() {
        String password = "hunter2-very-secret";
        BridgeConfig config = base()
                .set("bridge.mqtt.protocol-version", "3")
                .set("bridge.mqtt.password", password)
                .build();

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));

        assertThat(e.problems()).singleElement().asString().startsWith("bridge.mqtt.password: ");
        assertThat(e.getMessage()).doesNotContain(password);
    }

    // ---- Kafka → MQTT ----

    private static final String K0 = "bridge.kafka-to-mqtt[0].";
    private static final String K1 = "bridge.kafka-to-mqtt[1].";
    private static final String ALLOWED_FOR_RECORDS = "allowed: {key}, {partition}, {topic}, {header:<name>}";

    /**
     * {@link #base()} plus one valid Kafka → MQTT mapping; an override with a null value removes the key
     * (SmallRye cannot be told to unset a property otherwise).
     */
    private static BridgeConfig reverseBase(Map<String, String> overrides) {
        Map<String, String> properties = new LinkedHashMap<>(base()
                .reverseMapping("k0", "commands", "devices/{key}/cmd", 1, false, null)
                .properties());
        overrides.forEach((key, value) -> {
            if (value == null) {
                properties.remove(key);
            } else {
                properties.put(key, value);
            }
        });
        return TestConfigs.bind(properties);
    }

    private static Arguments reverse(String description, Map<String, String> overrides, String... problems) {
        return Arguments.of(description, overrides, List.of(problems));
    }

    static Stream<Arguments> badKafkaToMqttConfigurations() {
        String exactlyOne = K0 + "kafka-topic: set exactly one of kafka-topic and kafka-topic-pattern";
        return Stream.of(
                // Topic selection.
                reverse("neither kafka-topic nor kafka-topic-pattern", props(K0 + "kafka-topic", null), exactlyOne),
                reverse("both kafka-topic and kafka-topic-pattern", props(K0 + "kafka-topic-pattern", "cmd-.*"),
                        exactlyOne),
                reverse("illegal kafka-topic", props(K0 + "kafka-topic", "bad topic"),
                        K0 + "kafka-topic: 'bad topic' is not a legal Kafka topic name: Kafka topic name 'bad topic'"
                                + " contains illegal character U+0020 at index 3; allowed are ASCII letters, digits,"
                                + " '.', '_' and '-'"),
                reverse("kafka-topic with '/'", props(K0 + "kafka-topic", "devices/cmd"),
                        K0 + "kafka-topic: 'devices/cmd' is not a legal Kafka topic name: Kafka topic name"
                                + " 'devices/cmd' contains illegal character '/' at index 7; allowed are ASCII"
                                + " letters, digits, '.', '_' and '-'"),
                reverse("kafka-topic '..'", props(K0 + "kafka-topic", ".."),
                        K0 + "kafka-topic: '..' is not a legal Kafka topic name: Kafka topic name must not be"
                                + " '.' or '..'"),
                reverse("bad regex", props(K0 + "kafka-topic", null, K0 + "kafka-topic-pattern", "commands.("),
                        K0 + "kafka-topic-pattern: 'commands.(' is not a valid regular expression: Unclosed group"
                                + " near index 10"),
                reverse("dangling quantifier", props(K0 + "kafka-topic", null, K0 + "kafka-topic-pattern", "*cmd"),
                        K0 + "kafka-topic-pattern: '*cmd' is not a valid regular expression: Dangling meta"
                                + " character '*' near index 0"),
                // MQTT topic template.
                reverse("unknown placeholder", props(K0 + "mqtt-topic", "devices/{device}/cmd"),
                        K0 + "mqtt-topic: invalid template 'devices/{device}/cmd': unknown placeholder {device}; "
                                + ALLOWED_FOR_RECORDS),
                reverse("MQTT → Kafka placeholder in a Kafka → MQTT template", props(K0 + "mqtt-topic", "d/{1}"),
                        K0 + "mqtt-topic: invalid template 'd/{1}': unknown placeholder {1}; " + ALLOWED_FOR_RECORDS),
                reverse("header placeholder without a name", props(K0 + "mqtt-topic", "d/{header:}"),
                        K0 + "mqtt-topic: invalid template 'd/{header:}': placeholder {header:} needs a name after"
                                + " 'header:'; " + ALLOWED_FOR_RECORDS),
                reverse("unclosed brace", props(K0 + "mqtt-topic", "d/{key"),
                        K0 + "mqtt-topic: invalid template 'd/{key': unclosed '{' at index 2 (write '{{' for a"
                                + " literal brace)"),
                reverse("blank mqtt-topic", props(K0 + "mqtt-topic", "   "), K0 + "mqtt-topic: must not be blank"),
                reverse("constant mqtt-topic with '+'", props(K0 + "mqtt-topic", "devices/+/cmd"),
                        K0 + "mqtt-topic: MQTT topic name 'devices/+/cmd' contains wildcard '+' at index 8;"
                                + " wildcards are only allowed in topic filters"),
                reverse("constant mqtt-topic with '#'", props(K0 + "mqtt-topic", "devices/#"),
                        K0 + "mqtt-topic: MQTT topic name 'devices/#' contains wildcard '#' at index 8;"
                                + " wildcards are only allowed in topic filters"),
                reverse("constant mqtt-topic starting with '$'", props(K0 + "mqtt-topic", "$SYS/cmd"),
                        K0 + "mqtt-topic: MQTT topic name '$SYS/cmd' starts with '$'; such topics are reserved"
                                + " for the broker"),
                // QoS and group.
                reverse("qos 3", props(K0 + "qos", "3"), K0 + "qos: must be 0, 1 or 2, was 3"),
                reverse("qos -1", props(K0 + "qos", "-1"), K0 + "qos: must be 0, 1 or 2, was -1"),
                reverse("blank group-id", props(K0 + "group-id", "  "),
                        K0 + "group-id: must not be blank; omit it to use bridge.id"),
                // Names are unique across both directions.
                reverse("name used by an MQTT → Kafka mapping", props(K0 + "name", "m0"),
                        K0 + "name: duplicate mapping name 'm0', already used by bridge.mqtt-to-kafka[0]"),
                reverse("name used twice in Kafka → MQTT",
                        props(K1 + "name", "k0", K1 + "kafka-topic", "other", K1 + "mqtt-topic", "o/{key}"),
                        K1 + "name: duplicate mapping name 'k0', already used by bridge.kafka-to-mqtt[0]"),
                reverse("blank name", props(K0 + "name", "  "), K0 + "name: must not be blank"),
                // Consumer flow control.
                reverse("low-watermark equal to high-watermark",
                        props("bridge.kafka.consumer.high-watermark", "100", "bridge.kafka.consumer.low-watermark", "100"),
                        "bridge.kafka.consumer.low-watermark: must be at least 0 and below high-watermark (100),"
                                + " was 100"),
                reverse("low-watermark above high-watermark",
                        props("bridge.kafka.consumer.high-watermark", "5", "bridge.kafka.consumer.low-watermark", "10"),
                        "bridge.kafka.consumer.low-watermark: must be at least 0 and below high-watermark (5),"
                                + " was 10"),
                reverse("low-watermark above the default high-watermark",
                        props("bridge.kafka.consumer.low-watermark", "2000"),
                        "bridge.kafka.consumer.low-watermark: must be at least 0 and below high-watermark (2000),"
                                + " was 2000"),
                reverse("negative low-watermark", props("bridge.kafka.consumer.low-watermark", "-1"),
                        "bridge.kafka.consumer.low-watermark: must be at least 0 and below high-watermark (2000),"
                                + " was -1"),
                reverse("high-watermark 0",
                        props("bridge.kafka.consumer.high-watermark", "0", "bridge.kafka.consumer.low-watermark", "0"),
                        "bridge.kafka.consumer.high-watermark: must be at least 1, was 0",
                        "bridge.kafka.consumer.low-watermark: must be at least 0 and below high-watermark (0), was 0"),
                reverse("high-watermark-bytes 0", props("bridge.kafka.consumer.high-watermark-bytes", "0"),
                        "bridge.kafka.consumer.high-watermark-bytes: must be at least 1, was 0"),
                reverse("negative revoke-timeout", props("bridge.kafka.consumer.revoke-timeout", "-1s"),
                        "bridge.kafka.consumer.revoke-timeout: must not be negative, was PT-1S"),
                // Consumer settings owned by the bridge.
                reverse("enable.auto.commit", props("bridge.kafka.properties.enable.auto.commit", "true"),
                        "bridge.kafka.properties.enable.auto.commit: not configurable here: offsets are committed by"
                                + " the bridge, only after MQTT acknowledged the records"),
                reverse("group.id", props("bridge.kafka.properties.group.id", "my-group"),
                        "bridge.kafka.properties.group.id: not configurable here: set per mapping with"
                                + " bridge.kafka-to-mqtt[n].group-id"),
                reverse("group.id in upper case", props("bridge.kafka.properties.GROUP.ID", "my-group"),
                        "bridge.kafka.properties.GROUP.ID: not configurable here: set per mapping with"
                                + " bridge.kafka-to-mqtt[n].group-id"),
                reverse("value.deserializer", props("bridge.kafka.properties.value.deserializer", "org.example.Json"),
                        "bridge.kafka.properties.value.deserializer: not configurable here: the bridge reads raw bytes"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badKafkaToMqttConfigurations")
    void rejectsBadKafkaToMqttConfiguration(String description, Map<String, String> overrides, List<String> problems) {
        BridgeConfig config = reverseBase(overrides);

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));

        assertThat(e).as("validation must fail for: %s", description).isNotNull();
        assertThat(e.problems()).containsExactlyElementsOf(problems);
    }

    @Test
    void kafkaToMqttProblemsAreReportedWithEveryOtherProblem() {
        BridgeConfig config = reverseBase(props(
                "bridge.mqtt.port", "0",
                M0 + "qos", "3",
                K0 + "qos", "3",
                K0 + "mqtt-topic", "d/{device}",
                K1 + "name", "k1", K1 + "kafka-topic-pattern", "(", K1 + "mqtt-topic", "x"));

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));

        assertThat(e.problems()).extracting(p -> p.substring(0, p.indexOf(": "))).containsExactly(
                "bridge.mqtt.port",
                M0 + "qos",
                K0 + "qos",
                K0 + "mqtt-topic",
                K1 + "kafka-topic-pattern");
    }

    @Test
    void validKafkaToMqttMappingsAreGroupedByConsumerGroup() {
        BridgeConfig config = base()
                .reverseMapping("commands", "commands", "devices/{key}/cmd", 1, false, null)
                .reverseMapping("alerts", "~alerts\\..*", "alerts/{topic}/{partition}", 0, true, null)
                .reverseMapping("audit", "audit", "audit/{header:source}", 2, false, "auditors")
                .reverseMapping("config", "config", "config/{key}", 1, true, "test-bridge")
                .build();

        BridgeConfigValidator.Routes routes = BridgeConfigValidator.validate(config);

        List<KafkaToMqttRouteGroup> groups = routes.kafkaToMqtt();
        assertThat(groups).extracting(KafkaToMqttRouteGroup::groupId).containsExactly("test-bridge", "auditors");
        // The default group id is bridge.id, so "commands", "alerts" and "config" share one group and consumer.
        assertThat(groups.get(0).routes()).extracting(KafkaToMqttRoute::name).containsExactly("commands", "alerts", "config");
        assertThat(groups.get(1).routes()).extracting(KafkaToMqttRoute::name).containsExactly("audit");

        List<KafkaToMqttRoute> all = groups.stream().flatMap(g -> g.routes().stream()).toList();
        assertThat(all).extracting(KafkaToMqttRoute::groupId)
                .containsExactly("test-bridge", "test-bridge", "test-bridge", "auditors");
        assertThat(all).extracting(r -> r.source().toString())
                .containsExactly("commands", "/alerts\\..*/", "config", "audit");
        assertThat(all).extracting(r -> r.mqttTopic().toString())
                .containsExactly("devices/{key}/cmd", "alerts/{topic}/{partition}", "config/{key}", "audit/{header:source}");
        assertThat(all).extracting(KafkaToMqttRoute::qos).containsExactly(1, 0, 1, 2);
        assertThat(all).extracting(KafkaToMqttRoute::retain).containsExactly(false, true, true, false);

        assertThat(groups.get(0).subscription().topics()).isEmpty();
        assertThat(groups.get(0).subscription().pattern().matcher("alerts.fire").matches()).isTrue();
        assertThat(groups.get(0).subscription().pattern().matcher("commands").matches()).isTrue();
        assertThat(groups.get(0).subscription().pattern().matcher("alertsXfire").matches()).isFalse();
        assertThat(groups.get(1).subscription().topics()).containsExactly("audit");
        assertThat(groups.get(0).routesFor("alerts.fire")).extracting(KafkaToMqttRoute::name).containsExactly("alerts");

        // The MQTT → Kafka side is unaffected.
        assertThat(routes.mqttToKafka().routes()).extracting(MqttToKafkaRoute::name).containsExactly("m0");
    }

    @Test
    void defaultGroupIdIsTheDefaultBridgeId() {
        BridgeConfig config = TestConfigs.empty()
                .reverseMapping("a", "t1", "a/{key}", 1, false, null)
                .reverseMapping("b", "t2", "b/{key}", 1, false, null)
                .build();

        List<KafkaToMqttRouteGroup> groups = BridgeConfigValidator.validate(config).kafkaToMqtt();

        assertThat(groups).singleElement().satisfies(g -> {
            assertThat(g.groupId()).isEqualTo("mqtt-kafka-bridge");
            assertThat(g.routes()).extracting(KafkaToMqttRoute::name).containsExactly("a", "b");
            assertThat(g.subscription().topics()).containsExactly("t1", "t2");
        });
    }

    @Test
    void noKafkaToMqttMappingsMeansNoGroups() {
        assertThat(BridgeConfigValidator.validate(base().build()).kafkaToMqtt()).isEmpty();
    }

    @Test
    void consumerWatermarkDefaultsAreValid() {
        BridgeConfig config = TestConfigs.bind(Map.of());

        assertThat(config.kafka().consumer().highWatermark()).isEqualTo(2000);
        assertThat(config.kafka().consumer().lowWatermark()).isEqualTo(1000);
        assertThat(BridgeConfigValidator.validate(
                reverseBase(props("bridge.kafka.consumer.high-watermark", "1", "bridge.kafka.consumer.low-watermark", "0")))
                .kafkaToMqtt()).hasSize(1);
    }

    // ---- Kafka → MQTT: cases found by review ----

    /**
     * Two patterns that are valid one by one but define the same named group cannot be joined into the
     * group's one subscription pattern: each is reported, naming its key and the remedy.
     */
    @Test
    void patternsThatCannotShareAConsumerAreReportedAsAProblem() {
        BridgeConfig config = base()
                .reverseMapping("dev", "~(?<env>dev)[.]cmd", "dev/{key}", 1, false, null)
                .reverseMapping("prod", "~(?<env>prod)[.]cmd", "prod/{key}", 1, false, null)
                .build();

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));

        assertThat(e.problems()).containsExactly(
                "bridge.kafka-to-mqtt[0].kafka-topic-pattern: pattern '(?<env>dev)[.]cmd' defines a named group, so it"
                        + " cannot share consumer group '" + config.id() + "' with other mappings; give this mapping its"
                        + " own group-id",
                "bridge.kafka-to-mqtt[1].kafka-topic-pattern: pattern '(?<env>prod)[.]cmd' defines a named group, so it"
                        + " cannot share consumer group '" + config.id() + "' with other mappings; give this mapping its"
                        + " own group-id");
    }

    /** With a blank bridge.id and no group-id, only bridge.id is wrong: the mapping is not blamed. */
    @Test
    void blankBridgeIdIsNotBlamedOnMappingsWithoutGroupId() {
        BridgeConfig config = reverseBase(props("bridge.id", " "));

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));

        assertThat(e.problems()).containsExactly("bridge.id: must not be blank");
    }

    // ---- Templated topics whose fixed text is illegal ----

    /**
     * A non-constant kafka-topic whose literal part is illegal must be reported like every other problem.
     * (MqttToKafkaRoute's constructor rejects it; the validator must turn that into a problem naming the key
     * rather than let it escape and hide every other problem collected so far.)
     */
    @Test
    void illegalLiteralInKafkaTopicTemplateIsReportedAsAProblem() {
        BridgeConfig config = base()
                .set("bridge.mqtt.port", "0")
                .set(M0 + "kafka-topic", "bad topic.{site}")
                .build();

        assertThatThrownBy(() -> BridgeConfigValidator.validate(config))
                .isInstanceOf(ConfigValidationException.class)
                .satisfies(t -> assertThat(((ConfigValidationException) t).problems())
                        .hasSize(2)
                        .anySatisfy(p -> assertThat(p).startsWith("bridge.mqtt.port: "))
                        .anySatisfy(p -> assertThat(p).startsWith(M0 + "kafka-topic: ").contains("U+0020")));
    }

    /** The reason should name the offending value once, not "invalid X 'v': invalid X 'v': ...". */
    @Test
    void problemNamesTheOffendingValueOnlyOnce() {
        BridgeConfig config = base()
                .set(M0 + "kafka-topic", "iot.{sitee}")
                .mapping("m1", "a/#/b", 1, "t", null)
                .build();

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));

        assertThat(e.problems()).hasSize(2);
        assertThat(occurrences(e.problems().get(0), "'iot.{sitee}'")).as(e.problems().get(0)).isEqualTo(1);
        assertThat(occurrences(e.problems().get(1), "'a/#/b'")).as(e.problems().get(1)).isEqualTo(1);
    }

    private static int occurrences(String text, String part) {
        int count = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            count++;
        }
        return count;
    }

    /** The bound config, with one property of mapping 0 replaced (for values SmallRye cannot bind). */
    private static BridgeConfig overrideMapping0(BridgeConfig real, String method, Object value) {
        BridgeConfig.MqttToKafkaMapping realMapping = real.mqttToKafka().get(0);
        BridgeConfig.MqttToKafkaMapping mapping = proxy(BridgeConfig.MqttToKafkaMapping.class, realMapping,
                (m, args) -> m.getName().equals(method) ? value : m.invoke(realMapping, args));
        List<BridgeConfig.MqttToKafkaMapping> mappings = List.of(mapping);
        return proxy(BridgeConfig.class, real,
                (m, args) -> m.getName().equals("mqttToKafka") ? mappings : m.invoke(real, args));
    }

    private interface Call {
        Object apply(java.lang.reflect.Method method, Object[] args) throws Exception;
    }

    private static <T> T proxy(Class<T> type, T delegate, Call call) {
        InvocationHandler handler = (p, m, args) -> {
            try {
                return call.apply(m, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler));
    }

    @Test
    void failureStrategiesAreParsedPerMappingAndUnknownOnesNamed() {
        BridgeConfig config = reverseBase(props(M0 + "failure-strategy", "drop",
                "bridge.kafka-to-mqtt[0].failure-strategy", "ignore"));

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));
        assertThat(e.problems()).containsExactly(
                M0 + "failure-strategy: must be dead-letter, ignore or fail, was 'drop'");

        BridgeConfigValidator.Routes routes = BridgeConfigValidator.validate(reverseBase(props(
                M0 + "failure-strategy", "fail", "bridge.kafka-to-mqtt[0].failure-strategy", "ignore")));
        assertThat(routes.failureStrategy("m0")).isEqualTo(io.mqttkafka.bridge.failure.FailureStrategy.FAIL);
        assertThat(routes.failureStrategy("k0")).isEqualTo(io.mqttkafka.bridge.failure.FailureStrategy.IGNORE);
        assertThat(BridgeConfigValidator.validate(reverseBase(props())).failureStrategy("k0"))
                .as("default").isEqualTo(io.mqttkafka.bridge.failure.FailureStrategy.DEAD_LETTER);
    }
}
