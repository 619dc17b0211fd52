package io.mqttkafka.bridge.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import io.mqttkafka.bridge.mqtt.MqttTls;
import io.quarkus.tls.BaseTlsConfiguration;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SSLOptions;
import io.vertx.core.net.TrustOptions;

/**
 * A Quarkus TLS configuration for bridges that tests build without Quarkus, made as Quarkus makes a PEM one: the
 * files' contents are read into Vert.x options at creation and again at each {@link #reload()} (what
 * {@code reload-period} does), never in between. The bridge turns it into MQTT TLS settings with the same code as in
 * production ({@link MqttTls#of}).
 */
public final class TestTlsConfiguration extends BaseTlsConfiguration {

    private static Vertx vertx;

    private final String name;
    private final Path caCert;
    /** Null for no client certificate. */
    private final Path clientCert;
    private final Path clientKey;
    private final Optional<String> hostnameVerification;
    private final List<String> cipherSuites;
    private volatile PemTrustOptions trust;
    private volatile PemKeyCertOptions keys;

    private TestTlsConfiguration(String name, Path caCert, Path clientCert, Path clientKey,
            Optional<String> hostnameVerification) {
        this(name, caCert, clientCert, clientKey, hostnameVerification, List.of());
    }

    private TestTlsConfiguration(String name, Path caCert, Path clientCert, Path clientKey,
            Optional<String> hostnameVerification, List<String> cipherSuites) {
        this.cipherSuites = List.copyOf(cipherSuites);
        this.name = name;
        this.caCert = caCert;
        this.clientCert = clientCert;
        this.clientKey = clientKey;
        this.hostnameVerification = hostnameVerification;
        reload();
    }

    /** Trusts the CA in {@code caCert}; no client certificate. */
    public static TestTlsConfiguration trusting(String name, Path caCert) {
        return new TestTlsConfiguration(name, caCert, null, null, Optional.empty());
    }

    /** Trusts {@code caCert} and presents {@code clientCert} (mutual TLS). */
    public static TestTlsConfiguration mutual(String name, Path caCert, Path clientCert, Path clientKey) {
        return new TestTlsConfiguration(name, caCert, clientCert, clientKey, Optional.empty());
    }

    /** The same files, with {@code hostname-verification-algorithm} set to {@code algorithm}. */
    public TestTlsConfiguration withHostnameVerification(String algorithm) {
        return new TestTlsConfiguration(name, caCert, clientCert, clientKey, Optional.of(algorithm));
    }

    /** The same files, with {@code cipher-suites} set to {@code suites} (JSSE names). */
    public TestTlsConfiguration withCipherSuites(String... suites) {
        return new TestTlsConfiguration(name, caCert, clientCert, clientKey, hostnameVerification, List.of(suites));
    }

    /** What {@code BridgeService} does with the Quarkus registry: this configuration under its name, no protocols set. */
    public Function<String, MqttTls> resolver() {
        return resolver(Optional.empty());
    }

    /** As {@link #resolver()}, as if {@code quarkus.tls.<name>.protocols} were set to {@code protocols}. */
    public Function<String, MqttTls> resolver(Optional<List<String>> protocols) {
        return requested -> {
            if (!requested.equals(name)) {
                throw new IllegalArgumentException("No test TLS configuration named " + requested);
            }
            return MqttTls.of(this, vertx(), protocols);
        };
    }

    private static synchronized Vertx vertx() {
        if (vertx == null) {
            vertx = Vertx.vertx();
        }
        return vertx;
    }

    @Override
    public synchronized boolean reload() {
        trust = new PemTrustOptions().addCertValue(read(caCert));
        keys = clientCert == null ? null
                : new PemKeyCertOptions().addCertValue(read(clientCert)).addKeyValue(read(clientKey));
        return true;
    }

    @Override
    public TrustOptions getTrustStoreOptions() {
        return trust;
    }

    @Override
    public KeyCertOptions getKeyStoreOptions() {
        return keys;
    }

    @Override
    public SSLOptions getSSLOptions() {
        SSLOptions options = new SSLOptions();
        cipherSuites.forEach(options::addEnabledCipherSuite);
        return options;
    }

    @Override
    public Optional<String> getHostnameVerificationAlgorithm() {
        return hostnameVerification;
    }

    @Override
    public String getName() {
        return name;
    }

    private static Buffer read(Path file) {
        try {
            return Buffer.buffer(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
