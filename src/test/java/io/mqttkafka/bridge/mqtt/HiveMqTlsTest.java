package io.mqttkafka.bridge.mqtt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.mqttkafka.bridge.dev.EmbeddedMqttBroker;
import io.mqttkafka.bridge.testing.FreePorts;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestCertificates;
import io.mqttkafka.bridge.testing.TestConfigs;
import io.mqttkafka.bridge.testing.TestTlsConfiguration;
import io.mqttkafka.bridge.testing.WorkDirectories;

/**
 * The bridge against the embedded HiveMQ CE TLS listener (a second broker implementation beside Mosquitto): mutual TLS
 * with {@code client-authentication-mode REQUIRED} and a listener that speaks TLS 1.2 only, MQTT 5 and 3.1.1, QoS
 * 0/1/2 in and QoS 1 out; and a bridge restricted to TLS 1.3 meeting that listener, which must say there is no
 * protocol version in common.
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
        Path keystore = ca.pkcs12(ca.server("broker"), "broker.p12", "broker-store-pw");
        Path truststore = ca.trustStore("clients.p12", "trust-store-pw");
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
    void aBridgeRestrictedToTls13IsToldThereIsNoProtocolInCommon() {
        TlsBridging.assertConnectionFailsWith(config(5).build(), mutualTls().resolver(Optional.of(List.of("TLSv1.3"))),
                tlsPort, "TLS: no protocol version in common with the broker (the bridge offers [TLSv1.3]; set "
                        + "quarkus.tls.<name>.protocols) (Received fatal alert: protocol_version)");
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
