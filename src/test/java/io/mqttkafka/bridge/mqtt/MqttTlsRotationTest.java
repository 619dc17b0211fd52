package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.Endpoints;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.LogCapture;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestCertificates;
import io.mqttkafka.bridge.testing.TestConfigs;
import io.mqttkafka.bridge.testing.TestTlsConfiguration;
import io.mqttkafka.bridge.testing.WorkDirectories;

/**
 * Certificate rotation without a restart (issue 19): the whole PKI is replaced (new CA, new broker certificate, new
 * client certificate) while the broker is down, the bridge's TLS configuration reloads its files (what Quarkus'
 * {@code reload-period} does), and the broker comes back with the new material. The bridge must reconnect with the new
 * trust store and client certificate (the HiveMQ client keeps its TLS context for as long as it is handed the same key
 * and trust manager factories), and the Kafka records produced meanwhile reach the subscriber (QoS 1, none lost).
 */
class MqttTlsRotationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String CLIENT_CN = "bridge-client";

    private Path home;
    private MosquittoProcess broker;

    @BeforeEach
    void makeDirectory() throws IOException {
        MosquittoProcess.assumeInstalledUnlessCi("the rotation test runs the bridge against Mosquitto's TLS listener.");
        home = Files.createTempDirectory("tls-rotation-");
    }

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
        if (home != null) {
            WorkDirectories.delete(home);
        }
    }

    @Test
    void replacedCertificatesAreUsedFromTheNextConnectionWithoutLosingRecords() throws Exception {
        Path bridgeFiles = Files.createDirectories(home.resolve("bridge"));
        Path brokerFiles = Files.createDirectories(home.resolve("broker"));
        installPki(TestCertificates.newCa(home.resolve("pki-1"), "first-ca"), bridgeFiles, brokerFiles);
        broker = MosquittoProcess.startWithSecondListener(
                // The test subscriber's persistent session and its queued messages must survive the restart.
                "persistence true\npersistence_location " + Files.createDirectories(home.resolve("data")) + "/\n",
                "cafile " + brokerFiles.resolve("ca.crt") + "\ncertfile " + brokerFiles.resolve("server.crt")
                        + "\nkeyfile " + brokerFiles.resolve("server.key")
                        + "\nrequire_certificate true\nuse_identity_as_username true\n");
        TestTlsConfiguration tls = TestTlsConfiguration.mutual("mqtt", bridgeFiles.resolve("ca.crt"),
                bridgeFiles.resolve("client.crt"), bridgeFiles.resolve("client.key"));
        String root = SharedBrokers.unique("rotation");
        String commands = SharedBrokers.unique("rotation-commands");
        KafkaTestProducer.createTopic(bootstrap(), commands, 1);
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.port", Integer.toString(broker.securePort()))
                .set("bridge.mqtt.tls-configuration-name", "mqtt")
                .reverseMapping("commands", commands, root + "/{key}", 1, false, null)
                .build();
        String reconnected = "MQTT connection of " + config.mqtt().clientId().orElseThrow() + "-pub to 127.0.0.1:"
                + broker.securePort() + " re-established";

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribePersistent(broker.port(), 1, root + "/#");
                LogCapture log = LogCapture.of(MqttConnection.class.getName());
                BridgeRuntime bridge = new BridgeRuntime(config, Endpoints.from(config), new SimpleMeterRegistry(),
                        tls.resolver());
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap())) {
            bridge.start();
            Awaitility.await("connected with the first PKI").atMost(TIMEOUT).until(bridge::isReady);
            send(producer, commands, 0, 10);
            Awaitility.await("records before the rotation").atMost(TIMEOUT).until(() -> distinctPayloads(subscriber) == 10);

            broker.restart(() -> {
                send(producer, commands, 10, 20);
                installPki(TestCertificates.newCa(home.resolve("pki-2"), "second-ca"), bridgeFiles, brokerFiles);
                assertThat(tls.reload()).as("reloaded").isTrue();
            });

            Awaitility.await("reconnected with the second PKI, records of the outage published").atMost(TIMEOUT)
                    .until(() -> distinctPayloads(subscriber) == 20);
            assertThat(log.containing(reconnected)).hasSize(1);
            assertThat(subscriber.received()).extracting(MqttTestSubscriber.Received::text)
                    .containsAll(IntStream.range(0, 20).mapToObj(i -> "command " + i).toList());
        }
    }

    /** A CA's certificate for the bridge to trust, a broker certificate and key, a client certificate and key. */
    private static void installPki(TestCertificates pki, Path bridgeFiles, Path brokerFiles) {
        TestCertificates.Pem server = pki.server("server");
        TestCertificates.Pem client = pki.client("client", CLIENT_CN);
        copy(pki.ca().cert(), bridgeFiles.resolve("ca.crt"));
        copy(client.cert(), bridgeFiles.resolve("client.crt"));
        copy(client.key(), bridgeFiles.resolve("client.key"));
        copy(pki.ca().cert(), brokerFiles.resolve("ca.crt"));
        copy(server.cert(), brokerFiles.resolve("server.crt"));
        copy(server.key(), brokerFiles.resolve("server.key"));
    }

    private static void copy(Path from, Path to) {
        try {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void send(KafkaTestProducer producer, String topic, int from, int to) {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (int i = from; i < to; i++) {
            acks.add(producer.send(topic, "valve", ("command " + i).getBytes(StandardCharsets.UTF_8)));
        }
        KafkaTestProducer.flushAndWait(acks);
    }

    private static long distinctPayloads(MqttTestSubscriber subscriber) {
        return subscriber.received().stream().map(MqttTestSubscriber.Received::text).distinct().count();
    }

    private static String bootstrap() {
        return SharedBrokers.kafka().bootstrapServers();
    }
}
