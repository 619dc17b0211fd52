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
 * PEM trust and key stores, {@code reload-period} 1 s and no {@code protocols}, and a user name with a password file.
 */
public class HiveMqTlsResource implements QuarkusTestResourceLifecycleManager {

    /** The password the bridge reads from its password file (HiveMQ CE accepts any; it must simply be sent). */
    public static final String PASSWORD = "quarkus-tls-Pa55";

    /** The password of the broker's PKCS#12 key store and of its trust store, for {@link #tls12ListenerRequiringClientCertificates}. */
    public static final String BROKER_STORE_PASSWORD = "broker-store-pw";
    public static final String TRUST_STORE_PASSWORD = "trust-store-pw";

    private static EmbeddedMqttBroker broker;
    private static int tlsPort;
    private static Path home;
    private static int generation;

    /**
     * A HiveMQ {@code <tls-tcp-listener>} on loopback {@code port} that speaks TLS 1.2 only and requires a client
     * certificate; the stores are PKCS#12 with {@link #BROKER_STORE_PASSWORD} and {@link #TRUST_STORE_PASSWORD}.
     */
    public static String tls12ListenerRequiringClientCertificates(int port, Path keyStore, Path trustStore) {
        return """
                <tls-tcp-listener>
                    <port>%d</port>
                    <bind-address>127.0.0.1</bind-address>
                    <tls>
                        <keystore><path>%s</path><password>%s</password><private-key-password>%s</private-key-password></keystore>
                        <truststore><path>%s</path><password>%s</password></truststore>
                        <protocols><protocol>TLSv1.2</protocol></protocols>
                        <client-authentication-mode>REQUIRED</client-authentication-mode>
                    </tls>
                </tls-tcp-listener>
                """.formatted(port, keyStore, BROKER_STORE_PASSWORD, BROKER_STORE_PASSWORD, trustStore, TRUST_STORE_PASSWORD);
    }

    @Override
    public Map<String, String> start() {
        try {
            home = Files.createTempDirectory("hivemq-tls-");
            generation = 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        installPki();
        tlsPort = FreePorts.next();
        String listener = tls12ListenerRequiringClientCertificates(tlsPort, home.resolve("broker.p12"),
                home.resolve("clients.p12"));
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
        config.put("bridge.mqtt.reconnect-max-delay", "1s");
        config.put("quarkus.tls.mqtt.trust-store.pem.certs", home.resolve("ca.crt").toString());
        config.put("quarkus.tls.mqtt.key-store.pem.0.cert", home.resolve("bridge.crt").toString());
        config.put("quarkus.tls.mqtt.key-store.pem.0.key", home.resolve("bridge.key").toString());
        config.put("quarkus.tls.mqtt.reload-period", "1s");
        config.put("bridge.kafka.bootstrap-servers", SharedBrokers.kafka().bootstrapServers());
        return config;
    }

    /**
     * Replaces the whole PKI on disk, at the paths the broker and the bridge read: a new CA, a broker key store and
     * client trust store (PKCS#12) for the broker, and the CA certificate, client certificate and key (PEM) for the
     * bridge. The broker reads its files when it (re)starts; the bridge's TLS configuration at its reload period.
     */
    public static synchronized void installPki() {
        generation++;
        TestCertificates ca = TestCertificates.newCa(home.resolve("pki-" + generation), "quarkus-test-ca-" + generation);
        ca.pkcs12(ca.server("broker"), "broker.p12", BROKER_STORE_PASSWORD);
        ca.trustStore("clients.p12", TRUST_STORE_PASSWORD);
        TestCertificates.Pem client = ca.client("bridge", "bridge");
        copy(home.resolve("pki-" + generation).resolve("broker.p12"), home.resolve("broker.p12"));
        copy(home.resolve("pki-" + generation).resolve("clients.p12"), home.resolve("clients.p12"));
        copy(ca.ca().cert(), home.resolve("ca.crt"));
        copy(client.cert(), home.resolve("bridge.crt"));
        copy(client.key(), home.resolve("bridge.key"));
    }

    /** Stops the broker, runs {@code whileStopped}, starts it again (its sessions and queued messages survive). */
    public static void restartBroker(Runnable whileStopped) {
        broker.stop();
        whileStopped.run();
        broker.startAgain();
    }

    private static void copy(Path from, Path to) {
        try {
            Files.copy(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
            home = null;
        }
    }
}
