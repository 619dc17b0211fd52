package io.mqttkafka.bridge.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.mqttkafka.bridge.dev.EmbeddedMqttBroker;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * For a {@code @QuarkusTest} of the bridge's TLS through the real Quarkus TLS registry: an embedded HiveMQ with a
 * plain listener (for the test's own clients) and a mutual-TLS listener that speaks <em>TLS 1.2 only</em> and requires
 * a client certificate; certificates made here. The bridge gets a TLS configuration {@code quarkus.tls.mqtt.*} with
 * PEM trust and key stores and no {@code protocols}, and a user name with a password file.
 */
public class HiveMqTlsResource implements QuarkusTestResourceLifecycleManager {

    /** The password the bridge reads from its password file (HiveMQ CE accepts any; it must simply be sent). */
    public static final String PASSWORD = "quarkus-tls-Pa55";

    private static EmbeddedMqttBroker broker;
    private static int tlsPort;
    private Path home;

    @Override
    public Map<String, String> start() {
        try {
            home = Files.createTempDirectory("hivemq-tls-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TestCertificates ca = TestCertificates.newCa(home, "quarkus-test-ca");
        Path keystore = ca.pkcs12(ca.server("broker"), "broker.p12", "broker-store-pw");
        Path truststore = ca.trustStore("clients.p12", "trust-store-pw");
        TestCertificates.Pem client = ca.client("bridge", "bridge");
        tlsPort = FreePorts.next();
        String listener = """
                <tls-tcp-listener>
                    <port>%d</port>
                    <bind-address>127.0.0.1</bind-address>
                    <tls>
                        <keystore><path>%s</path><password>broker-store-pw</password><private-key-password>broker-store-pw</private-key-password></keystore>
                        <truststore><path>%s</path><password>trust-store-pw</password></truststore>
                        <protocols><protocol>TLSv1.2</protocol></protocols>
                        <client-authentication-mode>REQUIRED</client-authentication-mode>
                    </tls>
                </tls-tcp-listener>
                """.formatted(tlsPort, keystore, truststore);
        broker = FreePorts.startOnFreePort(port -> EmbeddedMqttBroker.start(port, null, listener));
        Path passwordFile = home.resolve("mqtt-password");
        try {
            Files.writeString(passwordFile, PASSWORD + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> config = new HashMap<>();
        config.put("bridge.mqtt.host", "127.0.0.1");
        config.put("bridge.mqtt.port", Integer.toString(tlsPort));
        config.put("bridge.mqtt.client-id", SharedBrokers.unique("quarkus-tls-bridge"));
        config.put("bridge.mqtt.username", "bridge");
        config.put("bridge.mqtt.password-file", passwordFile.toString());
        config.put("bridge.mqtt.tls-configuration-name", "mqtt");
        config.put("quarkus.tls.mqtt.trust-store.pem.certs", ca.ca().cert().toString());
        config.put("quarkus.tls.mqtt.key-store.pem.0.cert", client.cert().toString());
        config.put("quarkus.tls.mqtt.key-store.pem.0.key", client.key().toString());
        config.put("bridge.kafka.bootstrap-servers", SharedBrokers.kafka().bootstrapServers());
        return config;
    }

    /** The broker's plain listener, for the test's own clients. */
    public static int plainPort() {
        return broker.port();
    }

    public static int tlsPort() {
        return tlsPort;
    }

    @Override
    public void stop() {
        if (broker != null) {
            broker.close();
            broker = null;
        }
        if (home != null) {
            WorkDirectories.delete(home);
        }
    }
}
