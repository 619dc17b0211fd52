package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.LogCapture;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestCertificates;
import io.mqttkafka.bridge.testing.TestConfigs;
import io.mqttkafka.bridge.testing.TestTlsConfiguration;
import io.mqttkafka.bridge.testing.WorkDirectories;

/**
 * The bridge over TLS to a real Mosquitto (issue 19): a TLS listener with a password file and an ACL that allows the
 * bridge's user only its own topics, and one that requires a client certificate (mutual TLS), with MQTT 5 and 3.1.1,
 * in both directions. Each Mosquitto also has an anonymous plain listener through which the test feeds and watches
 * the broker. Certificates are made here, for {@code IP:127.0.0.1} and {@code DNS:localhost}. Needs the
 * {@code mosquitto} executable (skipped, saying so, outside CI when absent).
 */
class MosquittoTlsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String USER = "bridge";
    private static final String PASSWORD = "s3cret-Pa55-for-tls";
    private static final String CLIENT_CN = "bridge-client";
    /** The only topics the ACLs allow the bridge. */
    private static final String ROOT = "secure";

    private static Path certs;
    private static TestCertificates ca;
    private static MosquittoProcess passwordBroker;
    private static MosquittoProcess mutualBroker;
    /** Presents a certificate for another host name only. */
    private static MosquittoProcess otherHostBroker;

    @BeforeAll
    static void startBrokers() throws IOException {
        MosquittoProcess.assumeInstalledUnlessCi("the TLS tests run the bridge against Mosquitto's TLS listener.");
        certs = Files.createTempDirectory("mosquitto-tls-");
        ca = TestCertificates.newCa(certs, "test-ca");
        TestCertificates.Pem server = ca.server("broker");
        Path passwords = certs.resolve("passwords");
        MosquittoProcess.writePasswordFile(passwords, USER, PASSWORD);
        Path acl = certs.resolve("acl");
        Files.writeString(acl, "user " + USER + "\ntopic readwrite " + ROOT + "/#\n\nuser " + CLIENT_CN
                + "\ntopic readwrite " + ROOT + "/#\n");
        String tls = "cafile " + ca.ca().cert() + "\ncertfile " + server.cert() + "\nkeyfile " + server.key() + "\n";
        passwordBroker = MosquittoProcess.startWithSecondListener(tls + "allow_anonymous false\npassword_file "
                + passwords + "\nacl_file " + acl + "\n");
        mutualBroker = MosquittoProcess.startWithSecondListener(tls + "require_certificate true\n"
                + "use_identity_as_username true\nacl_file " + acl + "\n");
        TestCertificates.Pem otherHost = ca.serverFor("other-host", "mqtt.example.com");
        otherHostBroker = MosquittoProcess.startWithSecondListener("cafile " + ca.ca().cert() + "\ncertfile "
                + otherHost.cert() + "\nkeyfile " + otherHost.key() + "\nallow_anonymous true\n");
    }

    @AfterAll
    static void stopBrokers() {
        for (MosquittoProcess broker : new MosquittoProcess[] {passwordBroker, mutualBroker, otherHostBroker}) {
            if (broker != null) {
                broker.close();
            }
        }
        if (certs != null) {
            WorkDirectories.delete(certs);
        }
    }

    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(ints = {5, 3})
    void serverTlsWithUserNameAndPasswordFileBridgesBothDirectionsAtEveryQos(int protocolVersion) throws Exception {
        Path passwordFile = Files.writeString(certs.resolve(SharedBrokers.unique("password")), PASSWORD + "\n");
        TestConfigs configs = bridgeConfig(passwordBroker, protocolVersion)
                .set("bridge.mqtt.username", USER)
                .set("bridge.mqtt.password-file", passwordFile.toString());
        TestTlsConfiguration tls = TestTlsConfiguration.trusting("mqtt", ca.ca().cert());

        TlsBridging.assertBridgesBothDirections(passwordBroker.port(), ROOT + "/", configs, protocolVersion,
                tls.resolver());
    }

    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(ints = {5, 3})
    void mutualTlsBridgesBothDirectionsAtEveryQos(int protocolVersion) throws Exception {
        TestCertificates.Pem client = ca.client(SharedBrokers.unique("client"), CLIENT_CN);
        TestTlsConfiguration tls = TestTlsConfiguration.mutual("mqtt", ca.ca().cert(), client.cert(), client.key());

        TlsBridging.assertBridgesBothDirections(mutualBroker.port(), ROOT + "/",
                bridgeConfig(mutualBroker, protocolVersion), protocolVersion, tls.resolver());
    }

    /**
     * {@code bridge.mqtt.tls.enabled} alone trusts the JVM's default trust store, which does not hold the test CA: the
     * connection fails with one line saying so, and the bridge does not become ready.
     */
    @Test
    void aServerCertificateNotTrustedIsReportedWithTheTrustStoreUsed() throws Exception {
        BridgeConfig config = plainTlsConfig(passwordBroker, 5)
                .set("bridge.mqtt.tls.enabled", "true")
                .set("bridge.mqtt.username", USER)
                .set("bridge.mqtt.password", PASSWORD)
                .build();

        TlsBridging.assertConnectionFailsWith(config, name -> {
            throw new AssertionError("no TLS configuration is named");
        }, passwordBroker.securePort(), "TLS: the broker's certificate is not trusted by the JVM's default trust store");
    }

    @Test
    void aClientCertificateRequiredButNotConfiguredIsReported() throws Exception {
        TestTlsConfiguration tls = TestTlsConfiguration.trusting("mqtt", ca.ca().cert());

        TlsBridging.assertConnectionFailsWith(bridgeConfig(mutualBroker, 5).build(), tls.resolver(),
                mutualBroker.securePort(),
                "TLS: the broker requires a client certificate and TLS configuration 'mqtt' has no key store");
    }

    /** A client certificate the broker does not trust (another CA signed it): the broker refuses it. */
    @Test
    void aClientCertificateTheBrokerDoesNotTrustIsReported() throws Exception {
        TestCertificates otherCa = TestCertificates.newCa(certs.resolve("other-ca"), "other-ca");
        TestCertificates.Pem client = otherCa.client(SharedBrokers.unique("untrusted-client"), CLIENT_CN);
        TestTlsConfiguration tls = TestTlsConfiguration.mutual("mqtt", ca.ca().cert(), client.cert(), client.key());

        TlsBridging.assertConnectionFailsWith(bridgeConfig(mutualBroker, 5).build(), tls.resolver(),
                mutualBroker.securePort(),
                "TLS: the broker refused the client certificate of TLS configuration 'mqtt' (Received fatal alert: "
                        + "unknown_ca)");
    }

    /**
     * No cipher suite in common: a TLS 1.2 listener that allows only ECDHE-ECDSA with AES-128-GCM, and a bridge whose TLS
     * configuration offers only AES-256-GCM. TLS 1.2 answers this with the same alert as a missing client certificate,
     * so the line names both, with what the bridge offered.
     */
    @Test
    void noCipherSuiteInCommonIsReportedWithWhatTheBridgeOffers() throws Exception {
        TestCertificates.Pem server = ca.server(SharedBrokers.unique("cipher-broker"));
        try (MosquittoProcess broker = MosquittoProcess.startWithSecondListener("cafile " + ca.ca().cert()
                + "\ncertfile " + server.cert() + "\nkeyfile " + server.key() + "\ntls_version tlsv1.2\n"
                + "ciphers ECDHE-ECDSA-AES128-GCM-SHA256\nallow_anonymous true\n")) {
            TestTlsConfiguration tls = TestTlsConfiguration.trusting("mqtt", ca.ca().cert())
                    .withCipherSuites("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");

            TlsBridging.assertConnectionFailsWith(bridgeConfig(broker, 5).build(),
                    tls.resolver(java.util.Optional.of(java.util.List.of("TLSv1.2"))), broker.securePort(),
                    "TLS: the broker ended the handshake (Received fatal alert: handshake_failure): no cipher suite in "
                            + "common (the bridge offers [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384] with [TLSv1.2]), or "
                            + "it requires a client certificate and TLS configuration 'mqtt' has no key store");
        }
    }

    @Test
    void aWrongPasswordIsReportedNamingTheUserButNotThePassword() throws Exception {
        String wrong = "not-the-Pa55word-" + SharedBrokers.unique("x");
        Path passwordFile = Files.writeString(certs.resolve(SharedBrokers.unique("password")), wrong);
        BridgeConfig config = bridgeConfig(passwordBroker, 5)
                .set("bridge.mqtt.username", USER)
                .set("bridge.mqtt.password-file", passwordFile.toString())
                .build();
        TestTlsConfiguration tls = TestTlsConfiguration.trusting("mqtt", ca.ca().cert());

        try (LogCapture log = LogCapture.of("io.mqttkafka")) {
            TlsBridging.assertConnectionFailsWith(config, tls.resolver(), passwordBroker.securePort(),
                    "the broker refused the login of user 'bridge' (NOT_AUTHORIZED): wrong user name or password, or "
                            + "the user may not connect");
            assertThat(log.containing(wrong)).as("log lines with the password").isEmpty();
        }
    }

    /**
     * "Not authorised to publish" over TLS: the ACL gives the bridge's user only its own topics, so the broker refuses a
     * Kafka → MQTT publish elsewhere with reason code NOT_AUTHORIZED. That record goes to the dead-letter topic naming
     * the MQTT topic and the reason code; the connection, and the records before and after it, are unaffected. MQTT 5
     * only: an MQTT 3.1.1 PUBACK carries no reason code, and Mosquitto acknowledges such a publish and drops it.
     */
    @Test
    void aPublishTheBrokerRefusesOverTlsIsDeadLetteredWithTheTopicAndReasonCode() throws Exception {
        String allowedTopic = SharedBrokers.unique("tls-allowed");
        String refusedTopic = SharedBrokers.unique("tls-refused");
        String deadLetterTopic = SharedBrokers.unique("tls-dlq");
        String root = ROOT + "/" + SharedBrokers.unique("acl");
        String outside = SharedBrokers.unique("outside");
        KafkaTestProducer.createTopic(bootstrap(), allowedTopic, 1);
        KafkaTestProducer.createTopic(bootstrap(), refusedTopic, 1);
        Path passwordFile = Files.writeString(certs.resolve(SharedBrokers.unique("password")), PASSWORD);
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.port", Integer.toString(passwordBroker.securePort()))
                .set("bridge.mqtt.tls-configuration-name", "mqtt")
                .set("bridge.mqtt.username", USER)
                .set("bridge.mqtt.password-file", passwordFile.toString())
                .set("bridge.dead-letter-topic", deadLetterTopic)
                .reverseMapping("allowed", allowedTopic, root + "/{key}", 1, false, null)
                .reverseMapping("refused", refusedTopic, outside + "/{key}", 1, false, null)
                .build();
        Instant since = Instant.now();

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(passwordBroker.port(), 5, 1, root + "/#");
                BridgeRuntime bridge = TlsBridging.started(config,
                        TestTlsConfiguration.trusting("mqtt", ca.ca().cert()).resolver());
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap())) {
            Awaitility.await("connected over TLS").atMost(TIMEOUT).until(bridge::isReady);
            producer.send(allowedTopic, "valve-1", "before".getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);
            producer.send(refusedTopic, "valve-2", "refused".getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);
            producer.send(allowedTopic, "valve-3", "after".getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);

            ConsumerRecord<byte[], byte[]> deadLetter = KafkaTestConsumer.readAtLeast(bootstrap(), deadLetterTopic, 1,
                    TIMEOUT).get(0);
            assertThat(new String(deadLetter.value(), StandardCharsets.UTF_8)).isEqualTo("refused");
            assertThat(KafkaTestConsumer.header(deadLetter, BridgeHeaders.DLQ_REASON)).isEqualTo("not-authorized: MQTT "
                    + "broker or client refused the publish to '" + outside + "/valve-2': reason code NOT_AUTHORIZED");
            assertThat(KafkaTestConsumer.header(deadLetter, BridgeHeaders.DLQ_TARGET_TOPIC)).isEqualTo(outside
                    + "/valve-2");
            assertThat(Instant.parse(KafkaTestConsumer.header(deadLetter, BridgeHeaders.DLQ_TIME))).isAfter(since);
            Awaitility.await("the records around it published").atMost(TIMEOUT).until(() -> subscriber.count() >= 2);
            assertThat(subscriber.received()).extracting(MqttTestSubscriber.Received::text)
                    .containsExactlyInAnyOrder("before", "after");
            assertThat(bridge.metrics().deadLetteredCount("not-authorized")).isEqualTo(1);
            assertThat(bridge.isReady()).as("ready").isTrue();
        }
    }

    @Test
    void aBrokerCertificateForAnotherHostIsRefused() throws Exception {
        TestTlsConfiguration tls = TestTlsConfiguration.trusting("mqtt", ca.ca().cert());

        TlsBridging.assertConnectionFailsWith(bridgeConfig(otherHostBroker, 5).build(), tls.resolver(),
                otherHostBroker.securePort(),
                // The JDK's trust manager checks the name for either TLS engine; with OpenSSL it goes on to list the
                // names the certificate has, so the line is matched up to there.
                "TLS: the broker's certificate does not name the host '127.0.0.1' (host-name verification: "
                        + "No subject alternative names matching IP address 127.0.0.1 found");
    }

    /**
     * {@code hostname-verification-algorithm=NONE} in the TLS configuration is the only way to turn the check off: the
     * bridge then accepts that certificate, and says once at startup what that means.
     */
    @Test
    void hostNameVerificationTurnedOffInTheTlsConfigurationConnectsAndWarnsOnce() {
        TestTlsConfiguration tls = TestTlsConfiguration.trusting("mqtt", ca.ca().cert()).withHostnameVerification("NONE");

        try (LogCapture log = LogCapture.of("io.mqttkafka");
                BridgeRuntime bridge = TlsBridging.started(bridgeConfig(otherHostBroker, 5).build(), tls.resolver())) {
            Awaitility.await("connected despite the host name").atMost(TIMEOUT).until(bridge::isReady);
            assertThat(log.containing("Host-name verification of the MQTT broker's certificate is off")).containsExactly(
                    "Host-name verification of the MQTT broker's certificate is off (TLS configuration 'mqtt' sets "
                            + "hostname-verification-algorithm=NONE): any server with a certificate the trust store "
                            + "accepts can pose as 127.0.0.1");
        }
    }

    /**
     * The password file is read again before every connection attempt: after the password changed on the broker and in
     * the file, the bridge's next reconnect logs in with the new one, without a restart.
     */
    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(ints = {5, 3})
    void aChangedPasswordFileIsUsedAtTheNextReconnect(int protocolVersion) throws Exception {
        Path brokerPasswords = certs.resolve(SharedBrokers.unique("rotating-passwords"));
        MosquittoProcess.writePasswordFile(brokerPasswords, USER, "first-Pa55word");
        Path passwordFile = Files.writeString(certs.resolve(SharedBrokers.unique("password")), "first-Pa55word\n");
        TestCertificates.Pem server = ca.server(SharedBrokers.unique("rotating-broker"));
        String root = ROOT + "/" + SharedBrokers.unique("rotation");
        String topic = SharedBrokers.unique("rotation-in");
        KafkaTestProducer.createTopic(bootstrap(), topic, 1);
        try (MosquittoProcess broker = MosquittoProcess.startWithSecondListener("cafile " + ca.ca().cert()
                + "\ncertfile " + server.cert() + "\nkeyfile " + server.key() + "\nallow_anonymous false\npassword_file "
                + brokerPasswords + "\n")) {
            BridgeConfig config = bridgeConfig(broker, protocolVersion)
                    .set("bridge.mqtt.username", USER)
                    .set("bridge.mqtt.password-file", passwordFile.toString())
                    .mapping("rotation", root + "/+", 1, topic, null)
                    .build();
            String reconnected = "MQTT connection of " + config.mqtt().clientId().orElseThrow() + " to 127.0.0.1:"
                    + broker.securePort() + " re-established";
            try (LogCapture log = LogCapture.of(MqttConnection.class.getName());
                    BridgeRuntime bridge = TlsBridging.started(config,
                            TestTlsConfiguration.trusting("mqtt", ca.ca().cert()).resolver())) {
                Awaitility.await("connected with the first password").atMost(TIMEOUT).until(bridge::isReady);

                MosquittoProcess.writePasswordFile(brokerPasswords, USER, "second-Pa55word");
                Files.writeString(passwordFile, "second-Pa55word\n");
                broker.restart();

                Awaitility.await("reconnected with the second password").atMost(TIMEOUT)
                        .until(() -> log.containing(reconnected).size() == 1 && bridge.isReady());
                assertThat(log.containing("refused the login")).as("logins refused").isEmpty();
                try (MqttTestClient publisher = MqttTestClient.connect(broker.port(), protocolVersion)) {
                    publisher.publish(root + "/dev-1", "after rotation".getBytes(StandardCharsets.UTF_8), 1)
                            .get(30, TimeUnit.SECONDS);
                }
                assertThat(KafkaTestConsumer.readAtLeast(bootstrap(), topic, 1, TIMEOUT))
                        .extracting(record -> new String(record.value(), StandardCharsets.UTF_8))
                        .containsExactly("after rotation");
            }
        }
    }

    /** Towards {@code broker}'s TLS listener, with the TLS configuration 'mqtt' (the test's). */
    private static TestConfigs bridgeConfig(MosquittoProcess broker, int protocolVersion) {
        return plainTlsConfig(broker, protocolVersion).set("bridge.mqtt.tls-configuration-name", "mqtt");
    }

    /** Towards {@code broker}'s TLS listener, with no TLS setting yet. */
    private static TestConfigs plainTlsConfig(MosquittoProcess broker, int protocolVersion) {
        return TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.port", Integer.toString(broker.securePort()))
                .set("bridge.mqtt.protocol-version", Integer.toString(protocolVersion))
                // Both connections exist, so that both report failures.
                .mapping("in", ROOT + "/in/+", 1, SharedBrokers.unique("unused"), null)
                .reverseMapping("out", SharedBrokers.unique("unused"), ROOT + "/out", 1, false, null);
    }

    private static String bootstrap() {
        return SharedBrokers.kafka().bootstrapServers();
    }
}
