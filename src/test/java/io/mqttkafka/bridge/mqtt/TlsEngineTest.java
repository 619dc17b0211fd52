package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;

/**
 * Which TLS engine the MQTT client gets, and what it offers when the TLS configuration names no cipher suites
 * (docs/security.md, "TLS engine"). The client builds its context as {@link #clientContext} does: no provider given,
 * so Netty picks OpenSSL when it loads, and no cipher suites, so Netty's defaults, filtered by what the engine supports.
 */
class TlsEngineTest {

    @Test
    void openSslLoadsFromTheShippedTcnativeOnThisPlatform() {
        assertThat(OpenSsl.isAvailable()).as("netty-tcnative loads: %s", OpenSsl.unavailabilityCause()).isTrue();
        assertThat(OpenSsl.versionString()).contains("BoringSSL");
        assertThat(MqttTls.engine()).isEqualTo("OpenSSL");
        assertThat(SslContext.defaultClientProvider()).as("what the MQTT client's context builder picks")
                .isEqualTo(SslProvider.OPENSSL);
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"OPENSSL", "JDK"})
    void theDefaultCipherSuitesAreModernOnEitherEngine(SslProvider provider) throws Exception {
        List<String> suites = clientContext(provider).cipherSuites();

        assertThat(suites).contains("TLS_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assertThat(suites.get(0)).as("forward secrecy and AES-GCM first").matches("TLS_(AES_.*_GCM|ECDHE_.*_GCM)_.*");
        assertThat(suites).noneMatch(suite -> suite.contains("RC4") || suite.contains("3DES") || suite.contains("NULL")
                || suite.contains("anon") || suite.contains("EXPORT") || suite.contains("_DES_"));
    }

    /** As hivemq-mqtt-client 1.3 builds it (MqttSslInitializer), with the engine chosen. */
    private static SslContext clientContext(SslProvider provider) throws Exception {
        return SslContextBuilder.forClient().sslProvider(provider)
                .ciphers(null, SupportedCipherSuiteFilter.INSTANCE)
                .protocols(MqttTls.DEFAULT_PROTOCOLS.toArray(String[]::new))
                .build();
    }
}
