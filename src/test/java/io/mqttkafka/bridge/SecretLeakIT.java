package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.testing.BridgeProcess;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SecuredKafka;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestCertificates;
import io.mqttkafka.bridge.testing.WorkDirectories;

/**
 * No secret leaks (issue 19): the packaged bridge runs with every kind of secret it takes set, each a distinct string
 * (the MQTT password, first a wrong one and then the right one, from a password file; the MQTT key store and trust
 * store passwords of its Quarkus TLS configuration; the Kafka SCRAM password, resolved by Kafka's directory config
 * provider; the Kafka trust store password), logging at DEBUG for the bridge's packages and INFO for the rest, through
 * a failed MQTT login, a reconnect, traffic both ways and a dead letter. Then no secret may occur in the whole log
 * output, in {@code /q/health}, {@code /q/health/live}, {@code /q/health/ready} or {@code /q/metrics}, or in any
 * dead letter (key, value, headers). A second start with a configuration error that involves a secret
 * (both {@code password} and {@code password-file} set) must name the keys and not the password.
 *
 * <p>MQTT: Mosquitto with a TLS listener requiring a client certificate and a password (skipped, saying so, outside CI
 * when Mosquitto is absent). Kafka: {@link SecuredKafka}'s SASL_SSL listener.
 */
class SecretLeakIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final String MQTT_USER = "leak-bridge";
    private static final String KAFKA_USER = "leak-kafka";
    private static final Map<String, String> SECRETS = new LinkedHashMap<>();
    private static final String WRONG_MQTT_PASSWORD = secret("wrong MQTT password", "mqtt-wrong-9Kd4q");
    private static final String MQTT_PASSWORD = secret("MQTT password", "mqtt-right-7Hq2Z");
    private static final String MQTT_KEY_STORE_PASSWORD = secret("MQTT key store password", "mqtt-ks-4Rt8Vn");
    private static final String MQTT_TRUST_STORE_PASSWORD = secret("MQTT trust store password", "mqtt-ts-2Lm6Qc");
    private static final String KAFKA_PASSWORD = secret("Kafka SCRAM password", "kafka-scram-8Jf3W");
    private static final String KAFKA_TRUST_STORE_PASSWORD = secret("Kafka trust store password", "kafka-ts-5Np1Xb");

    private static Path directory;
    private static TestCertificates certificates;
    private static SecuredKafka kafka;
    private static MosquittoProcess mosquitto;

    private static String secret(String what, String value) {
        SECRETS.put(what, value);
        return value;
    }

    @BeforeAll
    static void startBrokers() throws Exception {
        MosquittoProcess.assumeInstalledUnlessCi("the leak test runs the bridge against Mosquitto's TLS listener.");
        directory = Files.createTempDirectory("secret-leak-");
        // Mosquitto, started as root, reads its files as user mosquitto: the directory must be traversable.
        directory.toFile().setExecutable(true, false);
        certificates = TestCertificates.newCa(directory.resolve("certs"), "leak-test-ca");
        directory.resolve("certs").toFile().setExecutable(true, false);
        kafka = SecuredKafka.start(directory.resolve("kafka"), certificates, Map.of());
        kafka.addScramUser(KAFKA_USER, KAFKA_PASSWORD);
        TestCertificates.Pem server = certificates.server("mosquitto");
        Path passwords = directory.resolve("certs/mosquitto-passwords");
        MosquittoProcess.writePasswordFile(passwords, MQTT_USER, MQTT_PASSWORD);
        for (Path file : List.of(server.cert(), server.key(), certificates.ca().cert(), passwords)) {
            file.toFile().setReadable(true, false);
        }
        mosquitto = MosquittoProcess.startWithSecondListener("cafile " + certificates.ca().cert() + "\ncertfile "
                + server.cert() + "\nkeyfile " + server.key() + "\nrequire_certificate true\nallow_anonymous false\n"
                + "password_file " + passwords + "\n");
    }

    @AfterAll
    static void stopBrokers() throws Exception {
        if (mosquitto != null) {
            mosquitto.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (directory != null) {
            WorkDirectories.delete(directory);
        }
    }

    @Test
    void noSecretAppearsInLogsHealthMetricsOrDeadLetters() throws Exception {
        String root = "leak/" + SharedBrokers.unique("run");
        String out = SharedBrokers.unique("leak-out");
        String in = SharedBrokers.unique("leak-in");
        String deadLetterTopic = SharedBrokers.unique("leak-dlq");
        kafka.createTopics(out, in);
        Path passwordFile = Files.writeString(directory.resolve("mqtt-password"), WRONG_MQTT_PASSWORD + "\n");
        Path kafkaSecrets = Files.createDirectories(directory.resolve("kafka-secrets"));
        Files.writeString(kafkaSecrets.resolve("password"), KAFKA_PASSWORD);
        TestCertificates.Pem client = certificates.client("leak-client", MQTT_USER);
        Path keyStore = certificates.pkcs12(client, "leak-client.p12", MQTT_KEY_STORE_PASSWORD);
        Path trustStore = certificates.trustStore("leak-trust.p12", MQTT_TRUST_STORE_PASSWORD);
        Path kafkaTrustStore = certificates.trustStore("leak-kafka-trust.p12", KAFKA_TRUST_STORE_PASSWORD);

        String yaml = """
                bridge:
                  id: leak-bridge
                  mqtt:
                    host: 127.0.0.1
                    port: %d
                    client-id: %s
                    username: %s
                    password-file: %s
                    tls-configuration-name: mqtt
                    reconnect-initial-delay: 100ms
                    reconnect-max-delay: 1s
                  kafka:
                    bootstrap-servers: localhost:%d
                    properties:
                      security.protocol: SASL_SSL
                      sasl.mechanism: SCRAM-SHA-512
                      config.providers: dir
                      config.providers.dir.class: org.apache.kafka.common.config.provider.DirectoryConfigProvider
                      sasl.jaas.config: 'org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="$${dir:%s:password}";'
                      ssl.truststore.type: PKCS12
                      ssl.truststore.location: %s
                      ssl.truststore.password: %s
                  dead-letter-topic: %s
                  mqtt-to-kafka:
                    - name: readings
                      filter: %s/{kind}/+
                      qos: 1
                      kafka-topic: "{kind}"
                  kafka-to-mqtt:
                    - name: commands
                      kafka-topic: %s
                      mqtt-topic: %s/cmd/{key}
                      qos: 1
                quarkus:
                  tls:
                    mqtt:
                      key-store:
                        p12:
                          path: %s
                          password: %s
                      trust-store:
                        p12:
                          path: %s
                          password: %s
                  log:
                    level: INFO
                    category:
                      "io.mqttkafka":
                        level: DEBUG
                """.formatted(mosquitto.securePort(), SharedBrokers.unique("leak-client"), MQTT_USER, passwordFile,
                kafka.port(SecuredKafka.SASL_SSL), KAFKA_USER, kafkaSecrets, kafkaTrustStore, KAFKA_TRUST_STORE_PASSWORD,
                deadLetterTopic, root, in, root, keyStore, MQTT_KEY_STORE_PASSWORD, trustStore, MQTT_TRUST_STORE_PASSWORD);

        List<String> outputs = new ArrayList<>();
        try (BridgeProcess bridge = BridgeProcess.prepare(yaml, Map.of()).start();
                MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(mosquitto.port(), 5, 1, root + "/cmd/#");
                MqttTestClient publisher = MqttTestClient.connect(mosquitto.port(), 5);
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.plainProperties(),
                        new ByteArraySerializer(), new ByteArraySerializer())) {
            // The wrong password is refused; the bridge reconnects, reading the file again, and gets in.
            bridge.awaitLog("the broker refused the login of user '" + MQTT_USER + "'");
            Files.writeString(passwordFile, MQTT_PASSWORD + "\n");
            bridge.awaitSubscribed(1);

            publisher.publish(root + "/" + out + "/dev-1", bytes("reading"), 1).get(30, TimeUnit.SECONDS);
            publisher.publish(root + "/bad kind/dev-1", bytes("poison"), 1).get(30, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(in, bytes("valve-1"), bytes("open"))).get(30, TimeUnit.SECONDS);
            assertThat(KafkaTestConsumer.readAtLeast(kafka.plainBootstrapServers(), out, 1, TIMEOUT)).hasSize(1);
            Awaitility.await("command published").atMost(TIMEOUT).until(() -> subscriber.count() == 1);
            List<ConsumerRecord<byte[], byte[]>> deadLetters = KafkaTestConsumer.readAtLeast(
                    kafka.plainBootstrapServers(), deadLetterTopic, 1, TIMEOUT);
            for (ConsumerRecord<byte[], byte[]> record : deadLetters) {
                outputs.add(text(record.key()) + " " + text(record.value()));
                for (Header header : record.headers()) {
                    outputs.add(header.key() + "=" + text(header.value()));
                }
            }
            for (String path : List.of("/q/health", "/q/health/live", "/q/health/ready", "/q/metrics")) {
                outputs.add(get(bridge.managementPort(), path));
            }
            assertThat(bridge.stopGracefully(Duration.ofSeconds(60))).isEqualTo(143);
            outputs.add(bridge.log());
        }
        assertThat(outputs.get(outputs.size() - 1)).as("the log covers the failed login")
                .contains("the broker refused the login").contains("DEBUG");
        assertNoSecretIn(outputs);
    }

    @Test
    void aConfigurationErrorInvolvingThePasswordDoesNotShowIt() throws IOException {
        Path passwordFile = Files.writeString(directory.resolve("config-error-password"), MQTT_PASSWORD);
        String yaml = """
                bridge:
                  mqtt:
                    port: %d
                    username: %s
                    password: %s
                    password-file: %s
                  kafka:
                    bootstrap-servers: localhost:%d
                  mqtt-to-kafka:
                    - name: readings
                      filter: leak/#
                      qos: 1
                      kafka-topic: readings
                """.formatted(mosquitto.securePort(), MQTT_USER, MQTT_PASSWORD, passwordFile,
                kafka.port(SecuredKafka.SASL_SSL));
        try (BridgeProcess bridge = BridgeProcess.prepare(yaml, Map.of()).start()) {
            assertThat(bridge.awaitExit(Duration.ofSeconds(60))).isNotZero();
            assertThat(bridge.log()).contains("bridge.mqtt.password").contains("bridge.mqtt.password-file");
            assertNoSecretIn(List.of(bridge.log()));
        }
    }

    private static void assertNoSecretIn(List<String> outputs) {
        String all = String.join("\n", outputs);
        SECRETS.forEach((what, value) -> assertThat(all).as("the %s appears in the output", what).doesNotContain(value));
    }

    private static String get(int port, String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return bytes == null ? "" : new String(bytes, StandardCharsets.UTF_8);
    }
}
