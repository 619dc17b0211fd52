package io.mqttkafka.bridge.mqtt;

import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttClientSslConfigBuilder;

import io.netty.handler.ssl.OpenSsl;
import io.quarkus.tls.TlsConfiguration;
import io.vertx.core.Vertx;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.SSLOptions;
import io.vertx.core.net.TrustOptions;

/**
 * The TLS side of the bridge's MQTT connections: where the trust and key material come from, and which protocols,
 * cipher suites and host-name check apply. {@link #sslConfig()} builds the client's TLS settings with <em>new</em>
 * key and trust manager factories on every call, read from the material as it is at that moment: the HiveMQ client
 * keeps its TLS context as long as the factories are the same objects, so reusing them would keep a rotated
 * certificate out until a restart.
 */
public final class MqttTls {

    /**
     * Offered when the TLS configuration names no protocols. Quarkus would offer TLS 1.3 only; many MQTT brokers,
     * hosted ones included, still speak only TLS 1.2, and TLS 1.2 with the JDK's default cipher suites is sound. A
     * TLS configuration that sets {@code protocols} gets exactly those.
     */
    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** Accepts any host: only for a TLS configuration whose {@code hostname-verification-algorithm} is NONE. */
    private static final HostnameVerifier ANY_HOST = (host, session) -> true;

    private final String source;
    /** The configuration keys this comes from, e.g. {@code quarkus.tls.mqtt}, for startup errors. */
    private final String configPrefix;
    private final Supplier<TrustManagerFactory> trustManagers;
    /** Null when no client certificate is configured. */
    private final Supplier<KeyManagerFactory> keyManagers;
    private final List<String> protocols;
    /** Empty for the TLS engine's defaults. */
    private final List<String> cipherSuites;
    private final Duration handshakeTimeout;
    private final boolean hostnameVerification;

    private MqttTls(String source, String configPrefix, Supplier<TrustManagerFactory> trustManagers, Supplier<KeyManagerFactory> keyManagers,
            List<String> protocols, List<String> cipherSuites, Duration handshakeTimeout, boolean hostnameVerification) {
        this.source = source;
        this.configPrefix = configPrefix;
        this.trustManagers = trustManagers;
        this.keyManagers = keyManagers;
        this.protocols = List.copyOf(protocols);
        this.cipherSuites = List.copyOf(cipherSuites);
        this.handshakeTimeout = handshakeTimeout;
        this.hostnameVerification = hostnameVerification;
    }

    /**
     * {@code bridge.mqtt.tls.enabled} alone: the JVM's default trust store (public certificate authorities, or what
     * {@code javax.net.ssl.trustStore} names), no client certificate, host-name verification, {@link #DEFAULT_PROTOCOLS}.
     */
    public static MqttTls jvmDefaults() {
        return new MqttTls("the JVM's default trust store", "bridge.mqtt.tls", () -> trustManagerFactory(null), null, DEFAULT_PROTOCOLS,
                List.of(), Duration.ofSeconds(10), true);
    }

    /**
     * The Quarkus TLS configuration {@code tls}: its trust store (the JVM's default when it has none), key store,
     * cipher suites, handshake timeout and host-name verification algorithm ({@code NONE} turns the check off).
     *
     * @param vertx resolves file paths held by the configuration's Vert.x options (Quarkus' own options hold the
     *        files' contents, read at startup and at each reload)
     * @param configuredProtocols the configuration's {@code protocols} if the user set them; empty for
     *        {@link #DEFAULT_PROTOCOLS}
     */
    public static MqttTls of(TlsConfiguration tls, Vertx vertx, Optional<List<String>> configuredProtocols) {
        SSLOptions options = tls.getSSLOptions();
        String algorithm = tls.getHostnameVerificationAlgorithm().orElse("HTTPS");
        Supplier<TrustManagerFactory> trust = () -> {
            // Read on every call: a reload replaces the configuration's options with new ones.
            TrustOptions current = tls.getTrustStoreOptions();
            return current == null ? trustManagerFactory(null) : fresh(() -> current.copy().getTrustManagerFactory(vertx));
        };
        Supplier<KeyManagerFactory> keys = tls.getKeyStoreOptions() == null ? null : () -> {
            KeyCertOptions current = tls.getKeyStoreOptions();
            return fresh(() -> current.copy().getKeyManagerFactory(vertx));
        };
        return new MqttTls("TLS configuration '" + tls.getName() + "'", "quarkus.tls." + tls.getName(), trust, keys,
                configuredProtocols.orElse(DEFAULT_PROTOCOLS), List.copyOf(options.getEnabledCipherSuites()),
                Duration.of(options.getSslHandshakeTimeout(), options.getSslHandshakeTimeoutUnit().toChronoUnit()),
                !"NONE".equalsIgnoreCase(algorithm));
    }

    /**
     * The client's TLS settings, with key and trust manager factories made now from the current material.
     *
     * @throws IllegalStateException when the key or trust material cannot be turned into managers
     */
    public MqttClientSslConfig sslConfig() {
        MqttClientSslConfigBuilder builder = MqttClientSslConfig.builder()
                .trustManagerFactory(trustManagers.get())
                .protocols(protocols)
                .handshakeTimeout(handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        if (keyManagers != null) {
            builder.keyManagerFactory(keyManagers.get());
        }
        if (!cipherSuites.isEmpty()) {
            builder.cipherSuites(cipherSuites);
        }
        if (!hostnameVerification) {
            builder.hostnameVerifier(ANY_HOST);
        }
        return builder.build();
    }

    /**
     * What keeps this from making a connection, each as {@code <key>: <reason>}: a trust or key store that cannot be
     * turned into managers (not a key, wrong password), a protocol this JVM does not know. Checked at startup, so
     * that such a configuration fails it instead of every connection attempt.
     */
    public List<String> problems() {
        List<String> problems = new java.util.ArrayList<>();
        try {
            trustManagers.get();
        } catch (RuntimeException e) {
            problems.add(configPrefix + ".trust-store: cannot be used for the MQTT connection: " + e.getMessage());
        }
        if (keyManagers != null) {
            try {
                keyManagers.get();
            } catch (RuntimeException e) {
                problems.add(configPrefix + ".key-store: cannot be used for the MQTT connection: " + e.getMessage());
            }
        }
        List<String> unsupported = unsupportedProtocols(protocols);
        if (!unsupported.isEmpty()) {
            problems.add(configPrefix + ".protocols: not supported by this JVM: " + unsupported);
        }
        return problems;
    }

    /**
     * Which TLS implementation the MQTT client uses: Netty picks OpenSSL (BoringSSL, from netty-tcnative on the class
     * path) when it loads on this platform, the JDK's engine otherwise or with {@code -Dio.netty.handler.ssl.noOpenSsl=true}.
     * Over plain TCP, TLS through OpenSSL added 18 % to the bridge's CPU per message, through the JDK's engine 51 %
     * (docs/benchmarks.md, "TLS to the broker").
     */
    public static String engine() {
        return OpenSsl.isAvailable() ? "OpenSSL" : "JDK";
    }

    /** Where trust and keys come from, for log lines: "TLS configuration 'mqtt'" or "the JVM's default trust store". */
    public String source() {
        return source;
    }

    public boolean hasClientCertificate() {
        return keyManagers != null;
    }

    public boolean verifiesHostname() {
        return hostnameVerification;
    }

    public List<String> protocols() {
        return protocols;
    }

    /** The cipher suites offered, for log lines: the configured ones, or the TLS engine's defaults when none are set. */
    public String cipherSuitesOffered() {
        return cipherSuites.isEmpty() ? engine() + "'s default cipher suites" : cipherSuites.toString();
    }

    /** The protocols in {@code requested} that this JVM's TLS implementation does not know. */
    public static List<String> unsupportedProtocols(List<String> requested) {
        try {
            Set<String> supported = Set.of(SSLContext.getDefault().getSupportedSSLParameters().getProtocols());
            return requested.stream().filter(protocol -> !supported.contains(protocol)).toList();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("This JVM has no default TLS implementation", e);
        }
    }

    /** A new factory over {@code trustStore}; null is the JVM's default trust store. */
    private static TrustManagerFactory trustManagerFactory(KeyStore trustStore) {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trustStore);
            return factory;
        } catch (Exception e) {
            throw new IllegalStateException("Cannot load the JVM's default trust store: " + e.getMessage(), e);
        }
    }

    private interface Factory<T> {
        T create() throws Exception;
    }

    private static <T> T fresh(Factory<T> factory) {
        try {
            return factory.create();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }
}
