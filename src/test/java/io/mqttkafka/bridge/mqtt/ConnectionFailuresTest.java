package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A TLS failure line reads the same whichever engine the MQTT client uses: OpenSSL's report of an alert from the
 * broker is put in the JDK engine's words, which the diagnosis and the operator both read. The protocol-version,
 * handshake-failure, unknown-CA and certificate-required messages are the ones BoringSSL gave against Mosquitto and
 * HiveMQ in MosquittoTlsTest and HiveMqTlsTest.
 */
class ConnectionFailuresTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            error:1000042e:SSL routines:OPENSSL_internal:TLSV1_ALERT_PROTOCOL_VERSION  | Received fatal alert: protocol_version
            error:10000410:SSL routines:OPENSSL_internal:SSLV3_ALERT_HANDSHAKE_FAILURE | Received fatal alert: handshake_failure
            error:10000418:SSL routines:OPENSSL_internal:TLSV1_ALERT_UNKNOWN_CA        | Received fatal alert: unknown_ca
            error:10000412:SSL routines:OPENSSL_internal:SSLV3_ALERT_BAD_CERTIFICATE   | Received fatal alert: bad_certificate
            error:1000045c:SSL routines:OPENSSL_internal:TLSV1_ALERT_CERTIFICATE_REQUIRED | Received fatal alert: certificate_required
            Received fatal alert: protocol_version                                     | Received fatal alert: protocol_version
            error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED     | error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED
            """)
    void anAlertReportedByOpenSslReadsAsTheJdkReportsIt(String engineMessage, String expected) {
        assertThat(ConnectionFailures.alertInJdkTerms(engineMessage)).isEqualTo(expected);
    }
}
