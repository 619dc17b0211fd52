package io.mqttkafka.bridge.mqtt;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import org.jboss.logging.Logger;

import com.hivemq.client.mqtt.MqttClientTransportConfig;
import com.hivemq.client.mqtt.MqttClientTransportConfigBuilder;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.message.auth.Mqtt3SimpleAuth;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5SimpleAuth;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5WillPublish;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.ConfigValidationException;

/**
 * What the MQTT connections (subscriber, publisher and status) share, decided once from the configuration: where the
 * broker is, TLS, credentials, the reconnect backoff, and the last will of the connection that carries the bridge's
 * status. Each connection asks it again before every attempt for the
 * transport and the credentials, because both can change while the bridge runs (a reloaded certificate, a rotated
 * password file); the connections themselves keep only their life cycle and session.
 */
public final class MqttClientSettings {

    private static final Logger LOG = Logger.getLogger(MqttClientSettings.class);

    private final String host;
    private final int port;
    /** Null for plain TCP. */
    private final MqttTls tls;
    private final MqttCredentials credentials;
    private final long reconnectInitialMillis;
    private final long reconnectMaxMillis;
    /** The bridge's status and with it the last will; null when {@code bridge.status.topic} is empty. */
    private final BridgeStatus status;

    private MqttClientSettings(String host, int port, MqttTls tls, MqttCredentials credentials,
            long reconnectInitialMillis, long reconnectMaxMillis, BridgeStatus status) {
        this.host = host;
        this.port = port;
        this.tls = tls;
        this.credentials = credentials;
        this.reconnectInitialMillis = reconnectInitialMillis;
        this.reconnectMaxMillis = reconnectMaxMillis;
        this.status = status;
    }

    /**
     * Decides transport, TLS, credentials and backoff for both connections.
     *
     * @param namedTls turns the name in {@code bridge.mqtt.tls-configuration-name} into TLS settings (the Quarkus TLS
     *        registry); throws {@link ConfigValidationException} for a name it does not know
     * @throws ConfigValidationException when the TLS material cannot be used (a key store that is no key, a protocol
     *         the JVM does not know), so that it fails startup rather than every connection attempt
     */
    public static MqttClientSettings of(BridgeConfig.Mqtt config, String host, int port,
            Function<String, MqttTls> namedTls) {
        MqttTls tls = config.tlsConfigurationName().map(namedTls)
                .orElse(config.tls().enabled().orElse(false) ? MqttTls.jvmDefaults() : null);
        if (tls != null) {
            List<String> problems = tls.problems();
            if (!problems.isEmpty()) {
                throw new ConfigValidationException(problems);
            }
        }
        return new MqttClientSettings(host, port, tls, new MqttCredentials(config),
                config.reconnectInitialDelay().toMillis(), config.reconnectMaxDelay().toMillis(), null);
    }

    /** These settings with the bridge's status, whose connection registers the last will ({@link #mqtt5Will}). */
    public MqttClientSettings withStatus(BridgeStatus status) {
        return new MqttClientSettings(host, port, tls, credentials, reconnectInitialMillis, reconnectMaxMillis, status);
    }

    /** The bridge's status, empty when turned off. */
    public Optional<BridgeStatus> status() {
        return Optional.ofNullable(status);
    }

    /**
     * The MQTT 5 last will of a connection that carries the status: the retained {@code offline} message with the
     * connection's timestamp, sent by the broker as soon as the connection ends other than by a normal DISCONNECT
     * (will delay 0: a delay would hold back the announcement of a crash; see docs/design.md, "Bridge status").
     * Empty when the status is off.
     *
     * @param connectionTimestamp epoch ms of the connection attempt the will is registered with
     */
    Optional<Mqtt5WillPublish> mqtt5Will(long connectionTimestamp) {
        if (status == null) {
            return Optional.empty();
        }
        return Optional.of(Mqtt5Publish.builder()
                .topic(status.topic())
                .qos(MqttQos.fromCode(status.qos()))
                .retain(true)
                .payload(status.payload(BridgeStatus.State.OFFLINE, connectionTimestamp))
                .contentType(BridgeStatus.MQTT5_PROPERTIES.contentType())
                .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
                .asWill()
                .delayInterval(0)
                .build());
    }

    /** As {@link #mqtt5Will}, for MQTT 3.1.1 (which has neither properties nor a will delay). */
    Optional<Mqtt3Publish> mqtt3Will(long connectionTimestamp) {
        if (status == null) {
            return Optional.empty();
        }
        return Optional.of(Mqtt3Publish.builder()
                .topic(status.topic())
                .qos(MqttQos.fromCode(status.qos()))
                .retain(true)
                .payload(status.payload(BridgeStatus.State.OFFLINE, connectionTimestamp))
                .build());
    }

    /**
     * The transport for the next connection attempt: address and, with TLS, settings made with new key and trust
     * manager factories from the current material (see {@link MqttTls}).
     */
    MqttClientTransportConfig transportConfig() {
        MqttClientTransportConfigBuilder builder = MqttClientTransportConfig.builder().serverHost(host).serverPort(port);
        if (tls != null) {
            builder.sslConfig(tls.sslConfig());
        }
        return builder.build();
    }

    /** The MQTT 5 user name and password for the next attempt (a password file is read now). */
    Optional<Mqtt5SimpleAuth> mqtt5Auth() {
        return credentials.mqtt5();
    }

    /** The MQTT 3.1.1 user name and password for the next attempt (a password file is read now). */
    Optional<Mqtt3SimpleAuth> mqtt3Auth() {
        return credentials.mqtt3();
    }

    /**
     * Delay before reconnect attempt {@code attempt + 1}: the initial delay doubled per attempt, capped, then
     * "equal jitter" (between half and all of that), so that replicas do not reconnect in lockstep.
     *
     * @param random a number in [0, 1)
     */
    long reconnectDelayMillis(int attempt, double random) {
        return reconnectDelayMillis(reconnectInitialMillis, reconnectMaxMillis, attempt, random);
    }

    static long reconnectDelayMillis(long initialMillis, long maxMillis, int attempt, double random) {
        long base = Math.min(maxMillis, initialMillis << Math.min(attempt, 20));
        return base / 2 + (long) (base / 2.0 * random);
    }

    /** Why a connection attempt failed, in one phrase naming the certificate, host or user concerned. */
    String describeFailure(Throwable failure) {
        return ConnectionFailures.describe(failure, host, tls, credentials.username());
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** "TLS (TLS configuration 'mqtt', TLSv1.3/TLSv1.2, OpenSSL)" or "plain TCP", for the connection lines. */
    public String transportDescription() {
        return tls == null ? "plain TCP"
                : "TLS (" + tls.source() + ", " + String.join("/", tls.protocols()) + ", " + MqttTls.engine() + ")";
    }

    /**
     * Logs, once per bridge, the settings that weaken the connection: credentials sent in clear to a host other than
     * loopback, and a TLS configuration that turned host-name verification off.
     */
    public void warnAboutWeakSettings() {
        if (tls == null && credentials.isPresent() && !isLoopback(host)) {
            LOG.warnf("The MQTT connection to %s:%d is plain TCP but sends a user name or password: anyone on the path "
                    + "can read them. Set bridge.mqtt.tls.enabled=true or bridge.mqtt.tls-configuration-name", host, port);
        }
        if (tls != null && !tls.verifiesHostname()) {
            LOG.warnf("Host-name verification of the MQTT broker's certificate is off (%s sets "
                    + "hostname-verification-algorithm=NONE): any server with a certificate the trust store accepts can "
                    + "pose as %s", tls.source(), host);
        }
    }

    /**
     * Whether {@code host} is this machine: {@code localhost} or a loopback address literal. Other names count as
     * remote without a DNS lookup (a name may resolve differently tomorrow).
     */
    static boolean isLoopback(String host) {
        if ("localhost".equalsIgnoreCase(host)) {
            return true;
        }
        if (!host.matches("[0-9.]+|.*:.*")) {
            return false;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress(); // a literal: no lookup
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
