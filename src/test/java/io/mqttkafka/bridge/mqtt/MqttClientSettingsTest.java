package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.BridgeConfigValidator;
import io.mqttkafka.bridge.config.ConfigValidationException;
import io.mqttkafka.bridge.config.PasswordFiles;
import io.mqttkafka.bridge.testing.LogCapture;
import io.mqttkafka.bridge.testing.TestCertificates;
import io.mqttkafka.bridge.testing.TestConfigs;
import io.mqttkafka.bridge.testing.TestTlsConfiguration;

/**
 * The configuration contract of issue 19 for the MQTT side: which combinations of {@code bridge.mqtt.tls.*},
 * {@code tls-configuration-name}, {@code password} and {@code password-file} are refused (naming the key), which TLS
 * settings result, and the warnings at startup.
 */
class MqttClientSettingsTest {

    private static final Function<String, MqttTls> NO_REGISTRY = name -> {
        throw new AssertionError("no TLS configuration expected, asked for " + name);
    };

    @TempDir
    Path directory;

    private static TestConfigs base() {
        return TestConfigs.empty().set("bridge.id", "settings-test");
    }

    @Test
    void tlsEnabledFalseBesideATlsConfigurationNameIsAConfigurationError() {
        BridgeConfig config = base()
                .set("bridge.mqtt.tls.enabled", "false")
                .set("bridge.mqtt.tls-configuration-name", "mqtt")
                .build();

        assertThat(problems(config)).containsExactly("bridge.mqtt.tls.enabled: false contradicts "
                + "bridge.mqtt.tls-configuration-name ('mqtt'), which turns TLS on; remove bridge.mqtt.tls.enabled or set "
                + "it to true");
    }

    @Test
    void passwordAndPasswordFileTogetherAreAConfigurationError() throws IOException {
        Path file = Files.writeString(directory.resolve("password"), "from-file");
        BridgeConfig config = base()
                .set("bridge.mqtt.username", "bridge")
                .set("bridge.mqtt.password", "inline-secret")
                .set("bridge.mqtt.password-file", file.toString())
                .build();

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));

        assertThat(e.problems()).containsExactly("bridge.mqtt.password-file: set exactly one of bridge.mqtt.password and "
                + "bridge.mqtt.password-file, not both");
        assertThat(e.getMessage()).doesNotContain("inline-secret").doesNotContain("from-file");
    }

    @Test
    void aPasswordFileThatCannotBeReadIsAConfigurationError() {
        Path missing = directory.resolve("no-such-password");
        BridgeConfig config = base()
                .set("bridge.mqtt.username", "bridge")
                .set("bridge.mqtt.password-file", missing.toString())
                .build();

        assertThat(problems(config)).containsExactly(
                "bridge.mqtt.password-file: cannot read " + missing + " (NoSuchFileException)");
    }

    @Test
    void anEmptyPasswordFileIsAConfigurationError() throws IOException {
        Path file = Files.writeString(directory.resolve("password"), "\n");
        BridgeConfig config = base()
                .set("bridge.mqtt.username", "bridge")
                .set("bridge.mqtt.password-file", file.toString())
                .build();

        assertThat(problems(config)).containsExactly("bridge.mqtt.password-file: the file " + file + " is empty");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "no line break   | secret     | secret",
            "LF              | secret\\n  | secret",
            "CRLF            | secret\\r\\n | secret",
            "only one LF off | secret\\n\\n | secret\\n",
            "inner space     | se cret\\n | se cret",
    })
    void oneTrailingLineBreakIsNotPartOfThePassword(String description, String contents, String expected)
            throws IOException {
        Path file = Files.writeString(directory.resolve("password"), unescape(contents));

        assertThat(new String(PasswordFiles.read(file), StandardCharsets.UTF_8)).isEqualTo(unescape(expected));
    }

    @Test
    void noTlsSettingMeansPlainTcp() {
        MqttClientSettings settings = MqttClientSettings.of(base().build().mqtt(), "127.0.0.1", 1883, NO_REGISTRY);

        assertThat(settings.transportDescription()).isEqualTo("plain TCP");
        assertThat(settings.transportConfig().getSslConfig()).isEmpty();
    }

    @Test
    void tlsEnabledAloneUsesTheJvmDefaultsAndOffersTls13And12() {
        BridgeConfig config = base().set("bridge.mqtt.tls.enabled", "true").build();

        MqttClientSettings settings = MqttClientSettings.of(config.mqtt(), "broker.example.com", 8883, NO_REGISTRY);

        assertThat(settings.transportDescription()).isEqualTo("TLS (the JVM's default trust store, TLSv1.3/TLSv1.2, OpenSSL)");
        var ssl = settings.transportConfig().getSslConfig().orElseThrow();
        assertThat(ssl.getKeyManagerFactory()).isEmpty();
        assertThat(ssl.getTrustManagerFactory()).isPresent();
        assertThat(ssl.getProtocols()).contains(List.of("TLSv1.3", "TLSv1.2"));
        assertThat(ssl.getHostnameVerifier()).as("null = the client's HTTPS-style host check").isEmpty();
    }

    /** The HiveMQ client reuses its TLS context while the factories are the same objects: each attempt gets new ones. */
    @Test
    void everyConnectionAttemptGetsNewKeyAndTrustManagerFactories() {
        TestCertificates ca = TestCertificates.newCa(directory, "settings-ca");
        TestCertificates.Pem client = ca.client("client", "bridge");
        TestTlsConfiguration tls = TestTlsConfiguration.mutual("mqtt", ca.ca().cert(), client.cert(), client.key());
        BridgeConfig config = base().set("bridge.mqtt.tls-configuration-name", "mqtt").build();
        MqttClientSettings settings = MqttClientSettings.of(config.mqtt(), "127.0.0.1", 8883, tls.resolver());

        var first = settings.transportConfig().getSslConfig().orElseThrow();
        var second = settings.transportConfig().getSslConfig().orElseThrow();

        assertThat(second.getKeyManagerFactory().orElseThrow()).isNotSameAs(first.getKeyManagerFactory().orElseThrow());
        assertThat(second.getTrustManagerFactory().orElseThrow()).isNotSameAs(first.getTrustManagerFactory().orElseThrow());
        assertThat(settings.transportDescription()).isEqualTo("TLS (TLS configuration 'mqtt', TLSv1.3/TLSv1.2, OpenSSL)");
    }

    @Test
    void protocolsSetInTheTlsConfigurationAreOfferedAlone() {
        TestCertificates ca = TestCertificates.newCa(directory, "settings-ca");
        TestTlsConfiguration tls = TestTlsConfiguration.trusting("mqtt", ca.ca().cert());
        BridgeConfig config = base().set("bridge.mqtt.tls-configuration-name", "mqtt").build();

        MqttClientSettings settings = MqttClientSettings.of(config.mqtt(), "127.0.0.1", 8883,
                tls.resolver(Optional.of(List.of("TLSv1.3"))));

        assertThat(settings.transportConfig().getSslConfig().orElseThrow().getProtocols()).contains(List.of("TLSv1.3"));
    }

    @Test
    void aProtocolTheJvmDoesNotKnowFailsStartupNamingTheKey() {
        TestCertificates ca = TestCertificates.newCa(directory, "settings-ca");
        TestTlsConfiguration tls = TestTlsConfiguration.trusting("mqtt", ca.ca().cert());
        BridgeConfig config = base().set("bridge.mqtt.tls-configuration-name", "mqtt").build();

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> MqttClientSettings.of(config.mqtt(), "127.0.0.1", 8883, tls.resolver(Optional.of(List.of("TLSv1.9")))));

        assertThat(e.problems()).containsExactly("quarkus.tls.mqtt.protocols: not supported by this JVM: [TLSv1.9]");
    }

    @Test
    void aKeyStoreThatIsNoKeyFailsStartupNamingTheKey() throws IOException {
        TestCertificates ca = TestCertificates.newCa(directory, "settings-ca");
        TestCertificates.Pem client = ca.client("client", "bridge");
        // The certificate where the key should be.
        TestTlsConfiguration tls = TestTlsConfiguration.mutual("mqtt", ca.ca().cert(), client.cert(), client.cert());
        BridgeConfig config = base().set("bridge.mqtt.tls-configuration-name", "mqtt").build();

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> MqttClientSettings.of(config.mqtt(), "127.0.0.1", 8883, tls.resolver()));

        assertThat(e.problems()).singleElement().asString()
                .startsWith("quarkus.tls.mqtt.key-store: cannot be used for the MQTT connection: ");
    }

    @Test
    void credentialsOverPlainTcpToAnotherHostWarnOnce() {
        BridgeConfig config = base().set("bridge.mqtt.username", "bridge").set("bridge.mqtt.password", "pw-123").build();

        try (LogCapture log = LogCapture.of(MqttClientSettings.class.getName())) {
            MqttClientSettings.of(config.mqtt(), "broker.example.com", 1883, NO_REGISTRY).warnAboutWeakSettings();

            assertThat(log.lines()).extracting(LogCapture.Line::message).containsExactly(
                    "The MQTT connection to broker.example.com:1883 is plain TCP but sends a user name or password: "
                            + "anyone on the path can read them. Set bridge.mqtt.tls.enabled=true or "
                            + "bridge.mqtt.tls-configuration-name");
        }
    }

    @ParameterizedTest
    @CsvSource({"localhost", "127.0.0.1", "::1", "127.0.0.2"})
    void credentialsOverPlainTcpToLoopbackDoNotWarn(String host) {
        BridgeConfig config = base().set("bridge.mqtt.username", "bridge").set("bridge.mqtt.password", "pw-123").build();

        try (LogCapture log = LogCapture.of(MqttClientSettings.class.getName())) {
            MqttClientSettings.of(config.mqtt(), host, 1883, NO_REGISTRY).warnAboutWeakSettings();

            assertThat(log.lines()).isEmpty();
        }
    }

    @Test
    void credentialsOverTlsDoNotWarn() {
        BridgeConfig config = base().set("bridge.mqtt.tls.enabled", "true")
                .set("bridge.mqtt.username", "bridge").set("bridge.mqtt.password", "pw-123").build();

        try (LogCapture log = LogCapture.of(MqttClientSettings.class.getName())) {
            MqttClientSettings.of(config.mqtt(), "broker.example.com", 8883, NO_REGISTRY).warnAboutWeakSettings();

            assertThat(log.lines()).isEmpty();
        }
    }

    private static List<String> problems(BridgeConfig config) {
        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));
        assertThat(e).as("validation failure").isNotNull();
        return e.problems();
    }

    private static String unescape(String text) {
        return text.replace("\\r", "\r").replace("\\n", "\n");
    }
}
