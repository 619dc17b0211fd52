package io.mqttkafka.bridge.benchmark;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.TrustManagerFactory;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;

import io.reactivex.schedulers.Schedulers;

/**
 * A bare MQTT 5 subscriber (default Receive Maximum, automatic acknowledgement) that feeds every message on one
 * filter into an {@link ArrivalCounter}.
 */
final class MqttArrivals implements AutoCloseable {

    private final Mqtt5AsyncClient client;

    private MqttArrivals(Mqtt5AsyncClient client) {
        this.client = client;
    }

    /** Connects and subscribes; returns once the broker granted the subscription. */
    static MqttArrivals subscribe(int port, String clientId, String filter, int qos, ArrivalCounter counter) {
        return subscribe(port, null, clientId, filter, qos, counter);
    }

    /** As {@link #subscribe}, over TLS, trusting the CA certificate (PEM) {@code caCertificate}; TLS 1.3 and 1.2. */
    static MqttArrivals subscribeOverTls(int port, Path caCertificate, String clientId, String filter, int qos,
            ArrivalCounter counter) {
        return subscribe(port, caCertificate, clientId, filter, qos, counter);
    }

    private static MqttArrivals subscribe(int port, Path caCertificate, String clientId, String filter, int qos,
            ArrivalCounter counter) {
        // Callbacks on the client's network thread, as the bridge's own connections do: the client's default thread
        // pool would add a thread hand-off per message, and the subscriber is meant to cost as little as it can.
        MqttClientBuilder builder = MqttClient.builder().identifier(clientId).serverHost("127.0.0.1").serverPort(port)
                .executorConfig().applicationScheduler(Schedulers.from(Runnable::run)).applyExecutorConfig();
        if (caCertificate != null) {
            builder = builder.sslConfig().trustManagerFactory(trusting(caCertificate))
                    .protocols(List.of("TLSv1.3", "TLSv1.2")).applySslConfig();
        }
        Mqtt5AsyncClient client = builder.useMqttVersion5().buildAsync();
        try {
            client.connectWith().cleanStart(true).send().get(30, TimeUnit.SECONDS);
            client.subscribeWith().topicFilter(filter).qos(MqttQos.fromCode(qos))
                    .callback(publish -> publish.getPayload().ifPresent(payload -> counter.record(payload, System.nanoTime())))
                    .send().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            client.disconnect();
            throw new IllegalStateException("Subscriber cannot subscribe to " + filter + " at 127.0.0.1:" + port, e);
        }
        return new MqttArrivals(client);
    }

    private static TrustManagerFactory trusting(Path caCertificate) {
        try (InputStream in = Files.newInputStream(caCertificate)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return factory;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("Cannot trust " + caCertificate, e);
        }
    }

    @Override
    public void close() {
        try {
            client.disconnect().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // end of a case; nothing left to count
        }
    }
}
