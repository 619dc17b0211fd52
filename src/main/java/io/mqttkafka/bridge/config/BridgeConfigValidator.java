package io.mqttkafka.bridge.config;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.mqttkafka.bridge.failure.FailureStrategy;
import io.mqttkafka.bridge.kafka.ProducerProfile;
import io.mqttkafka.bridge.mapping.KafkaRecordFields;
import io.mqttkafka.bridge.mapping.KafkaToMqttRoute;
import io.mqttkafka.bridge.mapping.KafkaToMqttRouteGroup;
import io.mqttkafka.bridge.mapping.KafkaTopicNames;
import io.mqttkafka.bridge.mapping.KafkaTopicSelector;
import io.mqttkafka.bridge.mapping.MqttTopicNames;
import io.mqttkafka.bridge.mapping.MqttToKafkaRoute;
import io.mqttkafka.bridge.mapping.PlaceholderSet;
import io.mqttkafka.bridge.mapping.RouteTable;
import io.mqttkafka.bridge.mapping.Template;
import io.mqttkafka.bridge.mapping.TopicFilter;

/**
 * Checks the rules that span several keys or need parsing (filters, templates, unique names) and turns
 * the mappings into a {@link RouteTable}. Every problem is collected and reported together, each naming
 * its key, so that a bad configuration fails startup once with everything to fix.
 */
public final class BridgeConfigValidator {

    /** The largest remaining length of an MQTT packet (variable byte integer of four bytes). */
    private static final int MAX_MQTT_PAYLOAD = 268_435_455;

    /**
     * Producer settings the delivery policy depends on. A user value would silently weaken a guarantee
     * (or break the record format), so it is rejected rather than overridden.
     */
    static final Map<String, String> POLICY_OWNED_KAFKA_PROPERTIES = Map.ofEntries(
            Map.entry("acks", "set per QoS by the delivery policy (QoS 1/2 need acks=all)"),
            Map.entry("enable.idempotence", "set per QoS by the delivery policy (QoS 1/2 need idempotence)"),
            Map.entry("key.serializer", "the bridge writes raw bytes"),
            Map.entry("value.serializer", "the bridge writes raw bytes"),
            Map.entry("key.deserializer", "the bridge reads raw bytes"),
            Map.entry("value.deserializer", "the bridge reads raw bytes"),
            Map.entry("transactional.id", "transactions are managed by the bridge"),
            Map.entry("enable.auto.commit", "offsets are committed by the bridge, only after MQTT acknowledged the records"),
            Map.entry("group.id", "set per mapping with bridge.kafka-to-mqtt[n].group-id"),
            Map.entry("bootstrap.servers", "use bridge.kafka.bootstrap-servers"),
            Map.entry("delivery.timeout.ms",
                    "use bridge.kafka.delivery-timeout (it decides when a refused record goes to the failure strategy)"));

    private static final Set<Integer> PROTOCOL_VERSIONS = Set.of(3, 5);
    /** Kafka's default {@code transaction.timeout.ms}. */
    private static final String DEFAULT_TRANSACTION_TIMEOUT_MS = "60000";

    private BridgeConfigValidator() {
    }

    /**
     * The routes of both directions, built from a valid configuration.
     *
     * @param mqttToKafka the MQTT → Kafka route table
     * @param kafkaToMqtt the Kafka → MQTT routes, one group per consumer group id
     * @param failureStrategies each mapping's failure strategy, by mapping name
     */
    public record Routes(RouteTable mqttToKafka, List<KafkaToMqttRouteGroup> kafkaToMqtt,
            Map<String, FailureStrategy> failureStrategies) {

        /** The failure strategy of the mapping named {@code mapping} (mapping names are unique). */
        public FailureStrategy failureStrategy(String mapping) {
            return failureStrategies.getOrDefault(mapping, FailureStrategy.DEAD_LETTER);
        }

        /** Whether any mapping may write to the dead-letter topic. */
        public boolean usesDeadLetters() {
            return failureStrategies.containsValue(FailureStrategy.DEAD_LETTER);
        }
    }

    /**
     * Validates the configuration and builds the routes of both directions.
     *
     * @throws ConfigValidationException naming every offending key
     */
    public static Routes validate(BridgeConfig config) {
        List<String> problems = new ArrayList<>();
        checkNotBlank(problems, "bridge.id", config.id());
        checkMqtt(problems, config.mqtt());
        checkStatus(problems, config);
        checkKafka(problems, config.kafka());
        checkExactlyOnce(problems, config);
        KafkaTopicNames.invalidReason(config.deadLetterTopic())
                .ifPresent(reason -> problems.add("bridge.dead-letter-topic: '" + config.deadLetterTopic()
                        + "' is not a legal Kafka topic name: " + reason));
        if (config.stallTimeout().isNegative() || config.stallTimeout().isZero()) {
            problems.add("bridge.stall-timeout: must be positive, was " + config.stallTimeout());
        }
        Duration refresh = config.metrics().kafkaClientRefresh();
        if (refresh.isNegative() || refresh.isZero()) {
            problems.add("bridge.metrics.kafka-client-refresh: must be positive, was " + refresh);
        }
        if (config.shutdownTimeout().isNegative()) {
            problems.add("bridge.shutdown-timeout: must not be negative, was " + config.shutdownTimeout());
        }
        Map<String, String> keyByName = new HashMap<>();
        List<MqttToKafkaRoute> routes = buildRoutes(problems, config.mqttToKafka(), keyByName);
        List<KafkaToMqttRoute> reverseRoutes = buildReverseRoutes(problems, config.id(), config.kafkaToMqtt(), keyByName);
        Map<String, FailureStrategy> strategies = new HashMap<>();
        for (int i = 0; i < config.mqttToKafka().size(); i++) {
            BridgeConfig.MqttToKafkaMapping mapping = config.mqttToKafka().get(i);
            parseStrategy(problems, "bridge.mqtt-to-kafka[" + i + "].", mapping.name(), mapping.failureStrategy(), strategies);
        }
        for (int i = 0; i < config.kafkaToMqtt().size(); i++) {
            BridgeConfig.KafkaToMqttMapping mapping = config.kafkaToMqtt().get(i);
            parseStrategy(problems, "bridge.kafka-to-mqtt[" + i + "].", mapping.name(), mapping.failureStrategy(), strategies);
        }
        if (!problems.isEmpty()) {
            throw new ConfigValidationException(problems);
        }
        return new Routes(new RouteTable(routes), KafkaToMqttRouteGroup.byGroup(reverseRoutes), Map.copyOf(strategies));
    }

    private static void checkMqtt(List<String> problems, BridgeConfig.Mqtt mqtt) {
        checkNotBlank(problems, "bridge.mqtt.host", mqtt.host());
        checkPort(problems, "bridge.mqtt.port", mqtt.port());
        if (!PROTOCOL_VERSIONS.contains(mqtt.protocolVersion())) {
            problems.add("bridge.mqtt.protocol-version: must be 5 (MQTT 5) or 3 (MQTT 3.1.1), was "
                    + mqtt.protocolVersion());
        }
        mqtt.clientId().ifPresent(id -> {
            if (id.isBlank()) {
                problems.add("bridge.mqtt.client-id: must not be blank; omit it to derive one from bridge.id");
            }
        });
        if (mqtt.sessionExpiry().isNegative() || mqtt.sessionExpiry().toSeconds() > 0xFFFF_FFFFL) {
            problems.add("bridge.mqtt.session-expiry: must be between 0 and 4294967295 seconds, was "
                    + mqtt.sessionExpiry());
        }
        if (mqtt.keepAlive().isNegative() || mqtt.keepAlive().toSeconds() > 65_535) {
            problems.add("bridge.mqtt.keep-alive: must be between 0 and 65535 seconds, was " + mqtt.keepAlive());
        }
        if (mqtt.receiveMaximum() < 1 || mqtt.receiveMaximum() > 65_535) {
            problems.add("bridge.mqtt.receive-maximum: must be between 1 and 65535, was " + mqtt.receiveMaximum());
        }
        mqtt.maximumMessageSize().filter(size -> size < 1 || size > MAX_MQTT_PAYLOAD).ifPresent(size -> problems.add(
                "bridge.mqtt.maximum-message-size: must be between 1 and " + MAX_MQTT_PAYLOAD + " bytes, was " + size));
        if (mqtt.password().isPresent() && mqtt.username().isEmpty() && mqtt.protocolVersion() == 3) {
            problems.add("bridge.mqtt.password: MQTT 3.1.1 allows a password only together with bridge.mqtt.username");
        }
        checkPasswordFile(problems, mqtt);
        mqtt.tlsConfigurationName().ifPresent(name -> {
            if (name.isBlank()) {
                problems.add("bridge.mqtt.tls-configuration-name: must not be blank; omit it to use the JVM's default "
                        + "trust store with bridge.mqtt.tls.enabled=true");
            } else if (mqtt.tls().enabled().equals(Optional.of(false))) {
                problems.add("bridge.mqtt.tls.enabled: false contradicts bridge.mqtt.tls-configuration-name ('" + name
                        + "'), which turns TLS on; remove bridge.mqtt.tls.enabled or set it to true");
            }
        });
        if (mqtt.reconnectInitialDelay().isNegative() || mqtt.reconnectInitialDelay().isZero()) {
            problems.add("bridge.mqtt.reconnect-initial-delay: must be positive, was " + mqtt.reconnectInitialDelay());
        }
        if (mqtt.reconnectMaxDelay().compareTo(mqtt.reconnectInitialDelay()) < 0) {
            problems.add("bridge.mqtt.reconnect-max-delay: must not be shorter than reconnect-initial-delay ("
                    + mqtt.reconnectInitialDelay() + "), was " + mqtt.reconnectMaxDelay());
        }
    }

    /**
     * The status topic must render to a topic the bridge may publish to, with the client id this replica will use, so
     * that a client id with a wildcard in it is reported here rather than by the broker.
     */
    private static void checkStatus(List<String> problems, BridgeConfig config) {
        BridgeConfig.Status status = config.status();
        if (status.qos() < 0 || status.qos() > 2) {
            problems.add("bridge.status.qos: must be 0, 1 or 2, was " + status.qos());
        }
        try {
            StatusTopic.render(status.topic().orElse(""), config.id(), ClientIds.of(config));
        } catch (IllegalArgumentException e) {
            problems.add("bridge.status.topic: " + e.getMessage());
        }
    }

    /**
     * The file is read again at every connection attempt; at startup it must be readable, so that a wrong path fails
     * the start instead of every connection.
     */
    private static void checkPasswordFile(List<String> problems, BridgeConfig.Mqtt mqtt) {
        if (mqtt.passwordFile().isEmpty()) {
            return;
        }
        if (mqtt.password().isPresent()) {
            problems.add("bridge.mqtt.password-file: set exactly one of bridge.mqtt.password and "
                    + "bridge.mqtt.password-file, not both");
            return;
        }
        if (mqtt.username().isEmpty() && mqtt.protocolVersion() == 3) {
            problems.add("bridge.mqtt.password-file: MQTT 3.1.1 allows a password only together with bridge.mqtt.username");
        }
        Path file = mqtt.passwordFile().get();
        try {
            if (PasswordFiles.read(file).length == 0) {
                problems.add("bridge.mqtt.password-file: the file " + file + " is empty");
            }
        } catch (IOException e) {
            problems.add("bridge.mqtt.password-file: cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static void checkKafka(List<String> problems, BridgeConfig.Kafka kafka) {
        checkNotBlank(problems, "bridge.kafka.bootstrap-servers", kafka.bootstrapServers());
        for (String key : kafka.properties().keySet()) {
            String reason = POLICY_OWNED_KAFKA_PROPERTIES.get(key.toLowerCase(Locale.ROOT));
            if (reason != null) {
                problems.add("bridge.kafka.properties." + key + ": not configurable here: " + reason);
            }
        }
        checkDeliveryTimeout(problems, kafka);
        if (kafka.qos0MaxInFlight() < 1) {
            problems.add("bridge.kafka.qos0-max-in-flight: must be at least 1, was " + kafka.qos0MaxInFlight());
        }
        BridgeConfig.Consumer consumer = kafka.consumer();
        if (consumer.highWatermark() < 1) {
            problems.add("bridge.kafka.consumer.high-watermark: must be at least 1, was " + consumer.highWatermark());
        }
        if (consumer.lowWatermark() < 0 || consumer.lowWatermark() >= consumer.highWatermark()) {
            problems.add("bridge.kafka.consumer.low-watermark: must be at least 0 and below high-watermark ("
                    + consumer.highWatermark() + "), was " + consumer.lowWatermark());
        }
        if (consumer.highWatermarkBytes() < 1) {
            problems.add("bridge.kafka.consumer.high-watermark-bytes: must be at least 1, was "
                    + consumer.highWatermarkBytes());
        }
        if (consumer.revokeTimeout().isNegative()) {
            problems.add("bridge.kafka.consumer.revoke-timeout: must not be negative, was " + consumer.revokeTimeout());
        }
    }

    /**
     * The exactly-once contract (docs/design.md, "Exactly-once QoS 2"): the transactional settings, and per mapping the
     * conditions without which a crash could still lose or repeat a message. MQTT 3.1.1 is refused: the runtime is
     * wired and tested with MQTT 5 only, and a setting that would silently do less than it says is never accepted.
     */
    private static void checkExactlyOnce(List<String> problems, BridgeConfig config) {
        BridgeConfig.Kafka kafka = config.kafka();
        kafka.transactionalIdPrefix().filter(String::isBlank).ifPresent(prefix -> problems.add(
                "bridge.kafka.transactional-id-prefix: must not be blank; omit it to use the MQTT client id"));
        Duration interval = kafka.transactionInterval();
        long transactionTimeout = numericProperty(kafka, "transaction.timeout.ms", DEFAULT_TRANSACTION_TIMEOUT_MS);
        if (interval.isNegative() || interval.isZero()) {
            problems.add("bridge.kafka.transaction-interval: must be positive, was " + interval);
        } else if (transactionTimeout >= 0 && interval.toMillis() >= transactionTimeout) {
            problems.add("bridge.kafka.transaction-interval: must be shorter than transaction.timeout.ms ("
                    + transactionTimeout + " ms), or Kafka aborts every transaction before it is committed; was "
                    + interval);
        }
        KafkaTopicNames.invalidReason(kafka.exactlyOnceStateTopic())
                .ifPresent(reason -> problems.add("bridge.kafka.exactly-once-state-topic: '"
                        + kafka.exactlyOnceStateTopic() + "' is not a legal Kafka topic name: " + reason));
        BridgeConfig.Mqtt mqtt = config.mqtt();
        for (int i = 0; i < config.mqttToKafka().size(); i++) {
            BridgeConfig.MqttToKafkaMapping mapping = config.mqttToKafka().get(i);
            if (!mapping.exactlyOnce()) {
                continue;
            }
            String key = "bridge.mqtt-to-kafka[" + i + "].exactly-once";
            if (mapping.qos() != 2) {
                problems.add(key + ": only with qos: 2 (only QoS 2 has the PUBREL that tells which written messages the "
                        + "broker will never send again), was qos: " + mapping.qos());
            }
            if (mqtt.cleanStart()) {
                problems.add(key + ": needs bridge.mqtt.clean-start: false (after a crash, the kept session is what "
                        + "redelivers the messages in flight), was true");
            }
            if (mqtt.protocolVersion() == 5 && mqtt.sessionExpiry().isZero()) {
                problems.add(key + ": needs bridge.mqtt.session-expiry above 0 (with 0 the broker drops the session, and "
                        + "the messages in flight, when the connection ends), was " + mqtt.sessionExpiry());
            }
            if (mqtt.protocolVersion() == 3) {
                problems.add(key + ": needs bridge.mqtt.protocol-version: 5; with MQTT 3.1.1 the bridge refuses it rather "
                        + "than run the mapping as plain QoS 2 (exactly-once is built and tested with MQTT 5 only; "
                        + "docs/design.md, \"Exactly-once QoS 2\")");
            }
        }
    }

    /** Kafka refuses a producer whose delivery timeout is shorter than one linger plus one request. */
    private static void checkDeliveryTimeout(List<String> problems, BridgeConfig.Kafka kafka) {
        Duration timeout = kafka.deliveryTimeout();
        if (timeout.toMillis() > Integer.MAX_VALUE) {
            problems.add("bridge.kafka.delivery-timeout: must be at most " + Integer.MAX_VALUE + " ms, was " + timeout);
            return;
        }
        long linger = numericProperty(kafka, "linger.ms", ProducerProfile.RELIABLE.defaults().get("linger.ms"));
        long request = numericProperty(kafka, "request.timeout.ms", "30000");
        if (linger >= 0 && request >= 0 && timeout.toMillis() < linger + request) {
            problems.add("bridge.kafka.delivery-timeout: must be at least linger.ms + request.timeout.ms ("
                    + (linger + request) + " ms), was " + timeout);
        }
    }

    /** A numeric Kafka property as the user set it, or the default; -1 if unparsable (Kafka reports that). */
    private static long numericProperty(BridgeConfig.Kafka kafka, String key, String defaultValue) {
        try {
            return Long.parseLong(kafka.properties().getOrDefault(key, defaultValue).trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static List<MqttToKafkaRoute> buildRoutes(List<String> problems,
            List<BridgeConfig.MqttToKafkaMapping> mappings, Map<String, String> keyByName) {
        List<MqttToKafkaRoute> routes = new ArrayList<>(mappings.size());
        for (int i = 0; i < mappings.size(); i++) {
            BridgeConfig.MqttToKafkaMapping mapping = mappings.get(i);
            String prefix = "bridge.mqtt-to-kafka[" + i + "].";
            int problemsBefore = problems.size();

            checkName(problems, prefix, mapping.name(), keyByName);
            if (mapping.qos() < 0 || mapping.qos() > 2) {
                problems.add(prefix + "qos: must be 0, 1 or 2, was " + mapping.qos());
            }
            TopicFilter filter = null;
            try {
                filter = TopicFilter.parse(mapping.filter());
            } catch (IllegalArgumentException e) {
                problems.add(prefix + "filter: " + e.getMessage());
            }
            Template kafkaTopic = null;
            Template key = null;
            if (filter != null) {
                PlaceholderSet placeholders = PlaceholderSet.forFilter(filter);
                kafkaTopic = parseTemplate(problems, prefix + "kafka-topic", mapping.kafkaTopic(), placeholders);
                if (kafkaTopic != null && kafkaTopic.isConstant()) {
                    KafkaTopicNames.invalidReason(kafkaTopic.toString()).ifPresent(reason -> problems.add(
                            prefix + "kafka-topic: '" + mapping.kafkaTopic() + "' is not a legal Kafka topic name: " + reason));
                }
                if (mapping.key().isPresent()) {
                    key = parseTemplate(problems, prefix + "key", mapping.key().get(), placeholders);
                }
            }
            if (problems.size() == problemsBefore) {
                try {
                    routes.add(new MqttToKafkaRoute(mapping.name(), filter, mapping.qos(), kafkaTopic, key,
                            mapping.retainedEmptyAsTombstone(), mapping.exactlyOnce()));
                } catch (IllegalArgumentException e) {
                    // Placeholders and constant names are checked above; what is left is the literal text
                    // of a templated Kafka topic containing characters Kafka does not allow.
                    problems.add(prefix + "kafka-topic: " + e.getMessage());
                }
            }
        }
        return routes;
    }

    private static void parseStrategy(List<String> problems, String prefix, String mapping, String value,
            Map<String, FailureStrategy> strategies) {
        FailureStrategy strategy = FailureStrategy.parse(value).orElse(null);
        if (strategy == null) {
            problems.add(prefix + "failure-strategy: must be dead-letter, ignore or fail, was '" + value + "'");
        } else {
            strategies.put(mapping, strategy);
        }
    }

    /** Mapping names are unique across both directions: metrics and dead-letter headers are keyed on them. */
    private static void checkName(List<String> problems, String prefix, String name, Map<String, String> keyByName) {
        if (name.isBlank()) {
            problems.add(prefix + "name: must not be blank");
            return;
        }
        String first = keyByName.putIfAbsent(name, prefix.substring(0, prefix.length() - 1));
        if (first != null) {
            problems.add(prefix + "name: duplicate mapping name '" + name + "', already used by " + first);
        }
    }

    private static List<KafkaToMqttRoute> buildReverseRoutes(List<String> problems, String bridgeId,
            List<BridgeConfig.KafkaToMqttMapping> mappings, Map<String, String> keyByName) {
        List<KafkaToMqttRoute> routes = new ArrayList<>(mappings.size());
        Map<String, String> keyByRoute = new HashMap<>();
        for (int i = 0; i < mappings.size(); i++) {
            BridgeConfig.KafkaToMqttMapping mapping = mappings.get(i);
            String prefix = "bridge.kafka-to-mqtt[" + i + "].";
            int problemsBefore = problems.size();

            checkName(problems, prefix, mapping.name(), keyByName);
            KafkaTopicSelector source = null;
            if (mapping.kafkaTopic().isPresent() == mapping.kafkaTopicPattern().isPresent()) {
                problems.add(prefix + "kafka-topic: set exactly one of kafka-topic and kafka-topic-pattern");
            } else if (mapping.kafkaTopic().isPresent()) {
                source = selector(problems, prefix + "kafka-topic", () -> KafkaTopicSelector.topic(mapping.kafkaTopic().get()));
            } else {
                source = selector(problems, prefix + "kafka-topic-pattern",
                        () -> KafkaTopicSelector.pattern(mapping.kafkaTopicPattern().get()));
            }
            String groupId = mapping.groupId().orElse(bridgeId);
            if (mapping.groupId().isPresent() && groupId.isBlank()) {
                problems.add(prefix + "group-id: must not be blank; omit it to use bridge.id");
            }
            if (mapping.qos() < 0 || mapping.qos() > 2) {
                problems.add(prefix + "qos: must be 0, 1 or 2, was " + mapping.qos());
            }
            Template mqttTopic = parseTemplate(problems, prefix + "mqtt-topic", mapping.mqttTopic(),
                    KafkaRecordFields.PLACEHOLDERS);
            if (mqttTopic != null && mqttTopic.isConstant()) {
                MqttTopicNames.invalidReason(mqttTopic.render(placeholder -> null))
                        .ifPresent(reason -> problems.add(prefix + "mqtt-topic: " + reason));
            }
            if (problems.size() == problemsBefore) {
                try {
                    routes.add(new KafkaToMqttRoute(mapping.name(), source, groupId, mqttTopic, mapping.qos(),
                            mapping.retain(), mapping.multiLevelValues()));
                    keyByRoute.put(mapping.name(), prefix + (mapping.kafkaTopic().isPresent() ? "kafka-topic"
                            : "kafka-topic-pattern"));
                } catch (IllegalArgumentException e) {
                    // Placeholders and constant topics are checked above; left is the template's fixed text.
                    problems.add(prefix + "mqtt-topic: " + e.getMessage());
                }
            }
        }
        checkSharedSubscriptions(problems, routes, keyByRoute);
        return routes;
    }

    /** Mappings of one consumer group share one subscription, which needs patterns that can be merged. */
    private static void checkSharedSubscriptions(List<String> problems, List<KafkaToMqttRoute> routes,
            Map<String, String> keyByRoute) {
        Map<String, Long> routesPerGroup = routes.stream()
                .collect(java.util.stream.Collectors.groupingBy(KafkaToMqttRoute::groupId,
                        java.util.stream.Collectors.counting()));
        for (KafkaToMqttRoute route : routes) {
            String reason = route.source().uncombinableReason();
            if (reason != null && routesPerGroup.get(route.groupId()) > 1) {
                problems.add(keyByRoute.get(route.name()) + ": " + reason + ", so it cannot share consumer group '"
                        + route.groupId() + "' with other mappings; give this mapping its own group-id");
            }
        }
    }

    private static KafkaTopicSelector selector(List<String> problems, String key,
            java.util.function.Supplier<KafkaTopicSelector> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            problems.add(key + ": " + e.getMessage());
            return null;
        }
    }

    private static Template parseTemplate(List<String> problems, String key, String text, PlaceholderSet allowed) {
        if (text.isBlank()) {
            problems.add(key + ": must not be blank");
            return null;
        }
        try {
            return Template.parse(text, allowed);
        } catch (IllegalArgumentException e) {
            problems.add(key + ": " + e.getMessage());
            return null;
        }
    }

    private static void checkNotBlank(List<String> problems, String key, String value) {
        if (value == null || value.isBlank()) {
            problems.add(key + ": must not be blank");
        }
    }

    private static void checkPort(List<String> problems, String key, int port) {
        if (port < 1 || port > 65_535) {
            problems.add(key + ": must be between 1 and 65535, was " + port);
        }
    }
}
