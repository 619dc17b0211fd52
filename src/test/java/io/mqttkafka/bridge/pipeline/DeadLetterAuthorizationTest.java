package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.DeadLetterAssertions.assertDeadLetterHeaders;
import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.test.JaasUtils;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Utils;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.ConfigValidationException;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * The dead-letter topic against Kafka's authorizer: the bridge's principal may write its data topic but not the
 * dead-letter topic. At startup that fails naming {@code bridge.dead-letter-topic}; when the permission is taken away
 * while the bridge runs, a dead letter is refused a bounded number of times, then MQTT → Kafka stops with the reason
 * (before, a refused dead letter was retried forever while health said UP).
 *
 * <p>A real cluster with SASL/PLAIN and the standard authorizer; the test kit's built-in users: {@code plain-admin}
 * (super user) and {@code plain-user1} (the bridge).
 */
class DeadLetterAuthorizationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String BRIDGE_USER = JaasUtils.KAFKA_PLAIN_USER1;
    private static KafkaClusterTestKit kafka;
    private static Path dataDirectory;

    @BeforeAll
    static void startKafkaWithAuthorizer() throws Exception {
        dataDirectory = Files.createTempDirectory("embedded-kafka-acl-");
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1)
                .setBrokerSecurityProtocol(SecurityProtocol.SASL_PLAINTEXT)
                .setBaseDirectory(dataDirectory)
                .build());
        builder.setDeleteOnClose(true);
        builder.setConfigProp("auto.create.topics.enable", "false");
        builder.setConfigProp("offsets.topic.replication.factor", "1");
        builder.setConfigProp("group.initial.rebalance.delay.ms", "0");
        // The controller listener is not authenticated: without ANONYMOUS as a super user the broker never starts.
        builder.setConfigProp("super.users", "User:" + JaasUtils.KAFKA_PLAIN_ADMIN + ";User:ANONYMOUS");
        kafka = builder.build();
        kafka.format();
        kafka.startup();
        kafka.waitForReadyBrokers();
    }

    @AfterAll
    static void stopKafka() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
        Utils.delete(dataDirectory.toFile());
    }

    @Test
    void aDeadLetterTopicTheBridgeMayNotWriteFailsStartupNamingTheKey() throws Exception {
        String out = SharedBrokers.unique("acl-out");
        String deadLetterTopic = SharedBrokers.unique("acl-dlq");
        try (Admin admin = admin()) {
            createTopics(admin, out, deadLetterTopic);
            allow(admin, out, AclOperation.WRITE);
            // It may see the dead-letter topic, not write to it.
            allow(admin, deadLetterTopic, AclOperation.DESCRIBE);
        }
        BridgeRuntime refused = new BridgeRuntime(config(out, deadLetterTopic)
                .mapping("readings", SharedBrokers.unique("acl-in") + "/#", 1, out, null).build(), new SimpleMeterRegistry());
        try {
            assertThatThrownBy(refused::start).isInstanceOf(ConfigValidationException.class)
                    .hasMessageContaining("bridge.dead-letter-topic: the topic '" + deadLetterTopic + "'")
                    .hasMessageContaining("not allowed to write to it");
        } finally {
            refused.close();
        }
    }

    @Test
    void aDeadLetterRefusedForLackOfAuthorisationStopsMqttToKafkaWithTheReason() throws Exception {
        String root = SharedBrokers.unique("acl");
        String out = SharedBrokers.unique("acl-out");
        String deadLetterTopic = SharedBrokers.unique("acl-dlq");
        try (Admin admin = admin()) {
            createTopics(admin, out, deadLetterTopic);
            allow(admin, out, AclOperation.WRITE);
            allow(admin, deadLetterTopic, AclOperation.WRITE);
        }
        TestConfigs configs = config(out, deadLetterTopic).mapping("readings", root + "/{kind}", 1, out + "-{kind}", null);

        try (BridgeRuntime bridge = start(configs.build());
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            try (Admin admin = admin()) {
                admin.deleteAcls(List.of(new AclBindingFilter(
                        new ResourcePatternFilter(ResourceType.TOPIC, deadLetterTopic, PatternType.LITERAL),
                        AccessControlEntryFilter.ANY))).all().get(30, TimeUnit.SECONDS);
            }
            // The topic '<out>bad kind' is not legal: the message must be dead-lettered, which is no longer allowed.
            publisher.publish(root + "/bad kind", "illegal".getBytes(StandardCharsets.UTF_8), 1).get(30, TimeUnit.SECONDS);

            Awaitility.await("MQTT → Kafka stopped, liveness down").atMost(TIMEOUT).until(() -> !bridge.isAlive());
            assertThat(bridge.stoppedDirections().get("mqtt-to-kafka"))
                    .contains("could not be dead-lettered", "'" + deadLetterTopic + "'", "bridge.dead-letter-topic",
                            "refused it 3 times", "TopicAuthorizationException");
            assertThat(bridge.mqttToKafkaInFlight()).as("the message stays unacknowledged").isEqualTo(1);
            assertThat(bridge.metrics().deadLetteredCount("invalid-topic")).as("nothing dead-lettered").isZero();
        }
    }

    /**
     * The dead-letter reason {@code not-authorized}, caused by the authorizer: the bridge may write its data topic and
     * the dead-letter topic, and a message routed to a third topic it may only see (or not even see) is dead-lettered
     * with Kafka's refusal; the messages around it are written, and nothing stops.
     */
    @ParameterizedTest(name = "may describe the refused topic: {0}")
    @ValueSource(booleans = {true, false})
    void aWriteTheAuthorizerRefusesIsDeadLetteredAsNotAuthorized(boolean mayDescribe) throws Exception {
        String root = SharedBrokers.unique("acl-reason");
        String prefix = SharedBrokers.unique("acl-reason");
        String deadLetterTopic = SharedBrokers.unique("acl-dlq");
        String forbidden = prefix + "-forbidden";
        try (Admin admin = admin()) {
            createTopics(admin, prefix + "-ok", forbidden, deadLetterTopic);
            allow(admin, prefix + "-ok", AclOperation.WRITE);
            allow(admin, deadLetterTopic, AclOperation.WRITE);
            if (mayDescribe) {
                allow(admin, forbidden, AclOperation.DESCRIBE);
            }
        }
        TestConfigs configs = config(prefix + "-ok", deadLetterTopic)
                .mapping("by-kind", root + "/{kind}", 1, prefix + "-{kind}", "{kind}");
        String bridgeId = configs.build().id();

        try (BridgeRuntime bridge = start(configs.build());
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            Instant since = Instant.now();
            publisher.publish(root + "/ok", "before".getBytes(StandardCharsets.UTF_8), 1).get(30, TimeUnit.SECONDS);
            publisher.publish(root + "/forbidden", "refused".getBytes(StandardCharsets.UTF_8), 1).get(30, TimeUnit.SECONDS);
            publisher.publish(root + "/ok", "after".getBytes(StandardCharsets.UTF_8), 1).get(30, TimeUnit.SECONDS);

            Map<String, Object> reader = adminProperties();
            assertThat(KafkaTestConsumer.readAtLeast(reader, prefix + "-ok", 2, TIMEOUT))
                    .extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly("before", "after");
            List<ConsumerRecord<byte[], byte[]>> deadLetters = KafkaTestConsumer.readAtLeast(reader, deadLetterTopic, 1,
                    TIMEOUT);
            assertThat(deadLetters).hasSize(1);
            ConsumerRecord<byte[], byte[]> deadLetter = deadLetters.get(0);
            assertThat(new String(deadLetter.value(), StandardCharsets.UTF_8)).isEqualTo("refused");
            String reason = assertDeadLetterHeaders(deadLetter, List.of(
                    Map.entry(BridgeHeaders.MQTT_TOPIC, root + "/forbidden"),
                    Map.entry(BridgeHeaders.MQTT_QOS, "1"),
                    Map.entry(BridgeHeaders.MQTT_RETAIN, "false"),
                    Map.entry(BridgeHeaders.ORIGIN, bridgeId)), TopicAuthorizationException.class, "by-kind", forbidden,
                    since);
            assertThat(reason).isEqualTo("not-authorized: Not authorized to access topics: [" + forbidden + "]");

            Awaitility.await("all acknowledged").atMost(TIMEOUT).until(() -> bridge.mqttToKafkaInFlight() == 0);
            assertThat(bridge.metrics().deadLetteredCount("not-authorized")).isEqualTo(1);
            assertThat(bridge.metrics().writtenCount("by-kind")).isEqualTo(2);
            assertThat(bridge.isAlive()).isTrue();
        }
    }

    private static TestConfigs config(String out, String deadLetterTopic) {
        return TestConfigs.forSharedBrokers()
                .set("bridge.kafka.bootstrap-servers", kafka.bootstrapServers())
                .set("bridge.kafka.properties.security.protocol", "SASL_PLAINTEXT")
                .set("bridge.kafka.properties.sasl.mechanism", "PLAIN")
                .set("bridge.kafka.properties.sasl.jaas.config", jaas(BRIDGE_USER, JaasUtils.KAFKA_PLAIN_USER1_PASSWORD))
                .set("bridge.dead-letter-topic", deadLetterTopic)
                .set("bridge.kafka.properties.max.block.ms", "2000");
    }

    private static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    private static Map<String, Object> adminProperties() {
        Map<String, Object> properties = new HashMap<>();
        kafka.clientProperties().forEach((key, value) -> properties.put(String.valueOf(key), value));
        properties.put("security.protocol", "SASL_PLAINTEXT");
        properties.put("sasl.mechanism", "PLAIN");
        properties.put("sasl.jaas.config", jaas(JaasUtils.KAFKA_PLAIN_ADMIN, JaasUtils.KAFKA_PLAIN_ADMIN_PASSWORD));
        return properties;
    }

    private static Admin admin() {
        return Admin.create(adminProperties());
    }

    private static void createTopics(Admin admin, String... names) throws Exception {
        admin.createTopics(java.util.Arrays.stream(names).map(name -> new NewTopic(name, 1, (short) 1)).toList())
                .all().get(30, TimeUnit.SECONDS);
    }

    private static void allow(Admin admin, String topic, AclOperation operation) throws Exception {
        admin.createAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                new AccessControlEntry("User:" + BRIDGE_USER, "*", operation, AclPermissionType.ALLOW))))
                .all().get(30, TimeUnit.SECONDS);
    }
}
