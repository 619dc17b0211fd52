package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.utils.Utils;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SecuredKafka;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestCertificates;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * The bridge against a Kafka cluster it may reach only through authenticated, encrypted listeners: SASL_SSL with
 * SCRAM-SHA-512 (the password read from a mounted directory through Kafka's {@code DirectoryConfigProvider}, so that
 * it stands in no configuration file), SASL_SSL with PLAIN, and SSL with a client certificate (mutual TLS, PEM).
 * The bridge is given only the secured listener: both directions, the dead-letter topic's creation at startup (an
 * admin client), dead-lettering (the reliable producer) and the topic checks all work, which shows that every Kafka
 * client the bridge makes gets the security settings. A wrong password keeps readiness down, moves nothing, and
 * recovers by itself once the credential is right again.
 *
 * <p>The cluster keeps an unauthenticated listener for the test's own admin work (SCRAM users, topics); the test's
 * consumers and producers that check the bridge's work use it too.
 */
class KafkaSecurityTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String SCRAM_USER = "scram-bridge";
    private static final String SCRAM_PASSWORD = "scram-secret-3f9a";
    private static final String PLAIN_USER = "plain-bridge";
    private static final String PLAIN_PASSWORD = "plain-secret-81c2";

    private static SecuredKafka kafka;
    private static Path directory;
    private static TestCertificates certificates;
    private static Path secrets;

    @BeforeAll
    static void startKafkaWithSecuredListeners() throws Exception {
        directory = Files.createTempDirectory("kafka-security-");
        certificates = TestCertificates.newCa(directory.resolve("certs"), "kafka-test-ca");
        kafka = SecuredKafka.start(directory.resolve("data"), certificates, Map.of(PLAIN_USER, PLAIN_PASSWORD));
        kafka.addScramUser(SCRAM_USER, SCRAM_PASSWORD);
        // A mounted secret as Kubernetes lays it out: one file per key, the file name being the key.
        secrets = Files.createDirectories(directory.resolve("secrets"));
        Files.writeString(secrets.resolve("kafka-password"), SCRAM_PASSWORD);
    }

    @AfterAll
    static void stopKafka() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
        Utils.delete(directory.toFile());
    }

    @Test
    void scramOverSaslSslWithThePasswordFromAMountedSecret() throws Exception {
        Map<String, String> security = saslSsl("SCRAM-SHA-512",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + SCRAM_USER
                        + "\" password=\"${dir:" + secrets + ":kafka-password}\";");
        security.put("config.providers", "dir");
        security.put("config.providers.dir.class", "org.apache.kafka.common.config.provider.DirectoryConfigProvider");
        bridgesBothWaysAndDeadLetters("scram", kafka.port(SecuredKafka.SASL_SSL), security);
    }

    @Test
    void plainOverSaslSsl() throws Exception {
        bridgesBothWaysAndDeadLetters("plain", kafka.port(SecuredKafka.SASL_SSL), saslSsl("PLAIN",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + PLAIN_USER
                        + "\" password=\"" + PLAIN_PASSWORD + "\";"));
    }

    @Test
    void mutualTlsWithAPemClientCertificate() throws Exception {
        TestCertificates.Pem client = certificates.client("bridge-client", "bridge");
        Map<String, String> security = new HashMap<>();
        security.put("security.protocol", "SSL");
        security.put("ssl.truststore.type", "PEM");
        security.put("ssl.truststore.location", certificates.ca().cert().toString());
        security.put("ssl.keystore.type", "PEM");
        security.put("ssl.keystore.certificate.chain", Files.readString(client.cert()));
        security.put("ssl.keystore.key", Files.readString(client.key()));
        bridgesBothWaysAndDeadLetters("mtls", kafka.port(SecuredKafka.MUTUAL_TLS), security);
    }

    /**
     * A wrong SCRAM password (from the mounted secret): the Kafka readiness check stays down and nothing is written.
     * Kafka clients read a config-provider reference once, when they are made: a fixed secret takes effect when the
     * bridge restarts, as the scenarios above show for the right one.
     */
    @Test
    void aWrongPasswordKeepsReadinessDownAndMovesNothing() throws Exception {
        Path wrongSecrets = Files.createDirectories(directory.resolve("wrong-secrets"));
        Files.writeString(wrongSecrets.resolve("kafka-password"), "not-the-password");
        Map<String, String> security = saslSsl("SCRAM-SHA-512",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + SCRAM_USER
                        + "\" password=\"${dir:" + wrongSecrets + ":kafka-password}\";");
        security.put("config.providers", "dir");
        security.put("config.providers.dir.class", "org.apache.kafka.common.config.provider.DirectoryConfigProvider");
        String root = SharedBrokers.unique("wrong-password");
        String out = SharedBrokers.unique("wrong-password-out");
        kafka.createTopics(out);
        TestConfigs configs = securedConfig(kafka.port(SecuredKafka.SASL_SSL), security)
                .mapping("readings", root + "/+", 1, out, null);
        try (BridgeRuntime bridge = new BridgeRuntime(configs.build(), new SimpleMeterRegistry());
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            bridge.start();
            publisher.publish(root + "/dev-1", bytes("never written"), 1).get(30, TimeUnit.SECONDS);
            Awaitility.await("readiness down").during(Duration.ofSeconds(3)).atMost(TIMEOUT)
                    .until(() -> !bridge.isKafkaReachable());
            assertThat(KafkaTestConsumer.readAvailable(kafka.plainBootstrapServers(), out, Duration.ofMillis(300))).isEmpty();
        }
    }

    private void bridgesBothWaysAndDeadLetters(String label, int port, Map<String, String> security) throws Exception {
        String root = SharedBrokers.unique(label);
        String out = SharedBrokers.unique(label + "-out");
        String in = SharedBrokers.unique(label + "-in");
        // Not created here: the bridge's admin client creates it at startup, through the secured listener.
        String deadLetterTopic = SharedBrokers.unique(label + "-dlq");
        kafka.createTopics(out, in);
        TestConfigs configs = securedConfig(port, security)
                .set("bridge.dead-letter-topic", deadLetterTopic)
                .mapping("readings", root + "/{kind}/+", 1, "{kind}", null)
                .reverseMapping("commands", in, root + "/cmd/{key}", 1, false, null);

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1,
                root + "/cmd/#");
                BridgeRuntime bridge = start(configs.build());
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5);
                org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer = plainProducer()) {
            publisher.publish(root + "/" + out + "/dev-1", bytes("first"), 1).get(30, TimeUnit.SECONDS);
            publisher.publish(root + "/bad kind/dev-1", bytes("illegal topic"), 1).get(30, TimeUnit.SECONDS);
            publisher.publish(root + "/" + out + "/dev-1", bytes("second"), 1).get(30, TimeUnit.SECONDS);
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(in, bytes("valve-1"), bytes("open")))
                    .get(30, TimeUnit.SECONDS);

            assertThat(KafkaTestConsumer.readAtLeast(kafka.plainBootstrapServers(), out, 2, TIMEOUT))
                    .extracting(record -> text(record.value())).containsExactly("first", "second");
            List<ConsumerRecord<byte[], byte[]>> deadLetters = KafkaTestConsumer.readAtLeast(kafka.plainBootstrapServers(),
                    deadLetterTopic, 1, TIMEOUT);
            assertThat(deadLetters).singleElement().satisfies(record -> {
                assertThat(text(record.value())).isEqualTo("illegal topic");
                assertThat(KafkaTestConsumer.header(record, BridgeHeaders.DLQ_REASON)).startsWith("invalid-topic:");
            });
            Awaitility.await("command published to MQTT").atMost(TIMEOUT).until(() -> subscriber.count() == 1);
            assertThat(subscriber.received()).singleElement().satisfies(message -> {
                assertThat(message.topic()).isEqualTo(root + "/cmd/valve-1");
                assertThat(message.text()).isEqualTo("open");
            });
            assertThat(bridge.isKafkaReachable()).isTrue();
            assertThat(bridge.isAlive()).isTrue();
        }
    }

    private static TestConfigs securedConfig(int port, Map<String, String> security) {
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.kafka.bootstrap-servers", "localhost:" + port);
        security.forEach((key, value) -> configs.set("bridge.kafka.properties." + key, value));
        return configs;
    }

    private static Map<String, String> saslSsl(String mechanism, String jaas) {
        Map<String, String> security = new HashMap<>();
        security.put("security.protocol", "SASL_SSL");
        security.put("sasl.mechanism", mechanism);
        security.put("sasl.jaas.config", jaas);
        security.put("ssl.truststore.type", "PEM");
        security.put("ssl.truststore.location", certificates.ca().cert().toString());
        return security;
    }

    private static org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> plainProducer() {
        return new org.apache.kafka.clients.producer.KafkaProducer<>(kafka.plainProperties(),
                new org.apache.kafka.common.serialization.ByteArraySerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
