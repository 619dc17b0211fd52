package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.SubscriptionAuthorizer;
import com.hivemq.extension.sdk.api.packets.subscribe.SubackReasonCode;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.dev.EmbeddedMqttBroker;
import io.mqttkafka.bridge.testing.FreePorts;
import io.mqttkafka.bridge.testing.HiveMqTlsResource;
import io.mqttkafka.bridge.testing.LogCapture;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestCertificates;
import io.mqttkafka.bridge.testing.TestConfigs;
import io.mqttkafka.bridge.testing.TestTlsConfiguration;
import io.mqttkafka.bridge.testing.WorkDirectories;

/**
 * The bridge against the embedded HiveMQ CE TLS listener (a second broker implementation beside Mosquitto): mutual TLS
 * with {@code client-authentication-mode REQUIRED} and a listener that speaks TLS 1.2 only, MQTT 5 and 3.1.1, QoS
 * 0/1/2 in and QoS 1 out; a bridge restricted to TLS 1.3 meeting that listener, which must say there is no
 * protocol version in common; and a subscription the broker refuses (an extension refuses {@code forbidden/...}).
 */
class HiveMqTlsTest {

    private static Path certs;
    private static TestCertificates ca;
    private static EmbeddedMqttBroker broker;
    private static int tlsPort;

    @BeforeAll
    static void startBroker() throws IOException {
        certs = Files.createTempDirectory("hivemq-tls-test-");
        ca = TestCertificates.newCa(certs, "hivemq-test-ca");
        Path keystore = ca.pkcs12(ca.server("broker"), "broker.p12", HiveMqTlsResource.BROKER_STORE_PASSWORD);
        Path truststore = ca.trustStore("clients.p12", HiveMqTlsResource.TRUST_STORE_PASSWORD);
        tlsPort = FreePorts.next();
        String listener = HiveMqTlsResource.tls12ListenerRequiringClientCertificates(tlsPort, keystore, truststore);
        EmbeddedExtension authorizer = EmbeddedExtension.builder()
                .withId("refuse-forbidden").withName("refuse-forbidden").withVersion("1")
                .withExtensionMain(new RefuseForbiddenSubscriptions()).build();
        broker = FreePorts.startOnFreePort(port -> EmbeddedMqttBroker.start(port, authorizer, listener));
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
        if (certs != null) {
            WorkDirectories.delete(certs);
        }
    }

    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(ints = {5, 3})
    void mutualTlsToATls12OnlyListenerBridgesBothDirections(int protocolVersion) throws Exception {
        TlsBridging.assertBridgesBothDirections(broker.port(), "", config(protocolVersion), protocolVersion,
                mutualTls().resolver());
    }

    @Test
    void aBridgeRestrictedToTls13IsToldThereIsNoProtocolInCommon() throws Exception {
        TlsBridging.assertConnectionFailsWith(config(5).build(), mutualTls().resolver(Optional.of(List.of("TLSv1.3"))),
                tlsPort, "TLS: no protocol version in common with the broker (the bridge offers [TLSv1.3]; set "
                        + "quarkus.tls.<name>.protocols) (Received fatal alert: protocol_version)");
    }

    /** "Not authorised to subscribe" over TLS: one line naming the filter, the connection and the reason code. */
    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(ints = {5, 3})
    void aSubscriptionTheBrokerRefusesIsReportedWithTheFilterAndReasonCode(int protocolVersion) {
        BridgeConfig config = config(protocolVersion).mapping("forbidden", "forbidden/+", 1, SharedBrokers.unique("unused"),
                null).build();
        String code = protocolVersion == 5 ? "NOT_AUTHORIZED" : "FAILURE";

        try (LogCapture log = LogCapture.of(MqttConnection.class.getName());
                BridgeRuntime bridge = TlsBridging.started(config, mutualTls().resolver())) {
            String refused = "MQTT broker refused the subscription to 'forbidden/+' (QoS 1) of "
                    + config.mqtt().clientId().orElseThrow() + ": " + code;
            Awaitility.await("the refusal logged").atMost(Duration.ofSeconds(60))
                    .until(() -> !log.containing(refused).isEmpty());
            assertThat(log.containing("refused the subscription")).containsExactly(refused);
            assertThat(bridge.isReady()).as("ready").isFalse();
        }
    }

    /** Refuses subscriptions to filters under {@code forbidden/}; allows the rest. */
    public static final class RefuseForbiddenSubscriptions implements ExtensionMain {

        @Override
        public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
            SubscriptionAuthorizer authorizer = (subscription, result) -> {
                if (subscription.getSubscription().getTopicFilter().startsWith("forbidden/")) {
                    result.failAuthorization(SubackReasonCode.NOT_AUTHORIZED, "test: forbidden");
                } else {
                    result.authorizeSuccessfully();
                }
            };
            Services.securityRegistry().setAuthorizerProvider(providerInput -> authorizer);
        }

        @Override
        public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
        }
    }

    private static TestTlsConfiguration mutualTls() {
        TestCertificates.Pem client = ca.client(SharedBrokers.unique("client"), "bridge");
        return TestTlsConfiguration.mutual("mqtt", ca.ca().cert(), client.cert(), client.key());
    }

    private static TestConfigs config(int protocolVersion) {
        return TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.port", Integer.toString(tlsPort))
                .set("bridge.mqtt.protocol-version", Integer.toString(protocolVersion))
                .set("bridge.mqtt.tls-configuration-name", "mqtt")
                // Both connections exist, so that both report failures.
                .mapping("in", SharedBrokers.unique("in") + "/+", 1, SharedBrokers.unique("unused"), null)
                .reverseMapping("out", SharedBrokers.unique("unused"), SharedBrokers.unique("out"), 1, false, null);
    }
}
