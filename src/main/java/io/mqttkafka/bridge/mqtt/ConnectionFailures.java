package io.mqttkafka.bridge.mqtt;

import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLException;

import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;

/**
 * Says in one phrase why a connection attempt failed, in the operator's terms (whose certificate, which user, which
 * TLS configuration) rather than as the exception chain the client reports. Never includes a password: the client's
 * exceptions carry none, and only the user name is added.
 */
final class ConnectionFailures {

    /** An alert received from the peer as OpenSSL (BoringSSL) reports it; group 1 is the alert's name. */
    private static final Pattern OPENSSL_ALERT = Pattern.compile(":(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z0-9_]+)\\b");

    private ConnectionFailures() {
    }

    /**
     * @param tls the connection's TLS settings, or null for plain TCP
     * @param username the user name sent, if any
     */
    static String describe(Throwable failure, String host, MqttTls tls, java.util.Optional<String> username) {
        if (failure == null) {
            return "no cause given";
        }
        String user = username.map(name -> "user '" + name + "'").orElse("no user name");
        Mqtt5ConnAckException connAck5 = find(failure, Mqtt5ConnAckException.class);
        if (connAck5 != null) {
            Mqtt5ConnAckReasonCode code = connAck5.getMqttMessage().getReasonCode();
            if (code == Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD || code == Mqtt5ConnAckReasonCode.NOT_AUTHORIZED) {
                return "the broker refused the login of " + user + " (" + code + "): wrong user name or password, or "
                        + "the user may not connect";
            }
            return "the broker refused the connection (CONNACK " + code + ")";
        }
        Mqtt3ConnAckException connAck3 = find(failure, Mqtt3ConnAckException.class);
        if (connAck3 != null) {
            Mqtt3ConnAckReturnCode code = connAck3.getMqttMessage().getReturnCode();
            if (code == Mqtt3ConnAckReturnCode.BAD_USER_NAME_OR_PASSWORD || code == Mqtt3ConnAckReturnCode.NOT_AUTHORIZED) {
                return "the broker refused the login of " + user + " (" + code + "): wrong user name or password, or "
                        + "the user may not connect";
            }
            return "the broker refused the connection (CONNACK " + code + ")";
        }
        if (tls != null) {
            String tlsReason = describeTls(failure, host, tls);
            if (tlsReason != null) {
                return tlsReason;
            }
        }
        return plain(failure);
    }

    private static String describeTls(Throwable failure, String host, MqttTls tls) {
        if (find(failure, CertPathBuilderException.class) != null || find(failure, CertPathValidatorException.class) != null) {
            return "TLS: the broker's certificate is not trusted by " + tls.source() + " (" + plain(innermost(failure)) + ")";
        }
        CertificateException certificate = find(failure, CertificateException.class);
        if (certificate != null && certificate.getMessage() != null
                && certificate.getMessage().toLowerCase(Locale.ROOT).contains("match")) {
            return "TLS: the broker's certificate does not name the host '" + host + "' (host-name verification: "
                    + certificate.getMessage() + ")";
        }
        SSLException ssl = find(failure, SSLException.class);
        if (ssl == null) {
            return null;
        }
        String message = alertInJdkTerms(String.valueOf(ssl.getMessage()));
        String lower = message.toLowerCase(Locale.ROOT);
        if (lower.contains("certificate_required")
                || (lower.contains("bad_certificate") && !tls.hasClientCertificate())) {
            return "TLS: the broker requires a client certificate and " + tls.source() + " has no key store (" + message + ")";
        }
        if (lower.contains("unknown_ca") || lower.contains("bad_certificate") || lower.contains("certificate_unknown")
                || lower.contains("access_denied")) {
            return "TLS: the broker refused the client certificate of " + tls.source() + " (" + message + ")";
        }
        if (lower.contains("protocol_version") || lower.contains("no appropriate protocol")) {
            return "TLS: no protocol version in common with the broker (the bridge offers " + tls.protocols()
                    + "; set quarkus.tls.<name>.protocols) (" + message + ")";
        }
        if (lower.contains("handshake_failure") || lower.contains("insufficient_security")) {
            // A TLS 1.2 broker answers both a missing cipher suite in common and a missing or refused client
            // certificate with this one alert; the client cannot tell which, so the line names both.
            return "TLS: the broker ended the handshake (" + message + "): no cipher suite in common (the bridge offers "
                    + tls.cipherSuitesOffered() + " with " + tls.protocols() + "), or it "
                    + (tls.hasClientCertificate() ? "refused the client certificate of " + tls.source()
                            : "requires a client certificate and " + tls.source() + " has no key store");
        }
        return "TLS: " + plain(ssl);
    }

    /**
     * OpenSSL's report of an alert the broker sent ({@code error:1000042e:SSL routines:OPENSSL_internal:
     * TLSV1_ALERT_PROTOCOL_VERSION}) in the JDK engine's words ({@code Received fatal alert: protocol_version}), so that
     * a line reads the same whichever engine the client uses; any other message as it is.
     */
    static String alertInJdkTerms(String message) {
        Matcher alert = OPENSSL_ALERT.matcher(message);
        return alert.find() ? "Received fatal alert: " + alert.group(1).toLowerCase(Locale.ROOT) : message;
    }

    /** The exception's class and message, with the wrappers of futures taken off. */
    static String plain(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    private static Throwable innermost(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }
}
