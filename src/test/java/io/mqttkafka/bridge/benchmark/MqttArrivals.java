package io.mqttkafka.bridge.benchmark;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import javax.net.ssl.TrustManagerFactory;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;

import io.reactivex.schedulers.Schedulers;

/**
 * A bare MQTT 5 subscriber (default Receive Maximum, automatic acknowledgement) that feeds every message on one
 * filter into an {@link ArrivalCounter}; MQTT 3.1.1 for a broker that speaks no MQTT 5.
 */
final class MqttArrivals implements AutoCloseable {

    private final Supplier<CompletableFuture<Void>> disconnect;

    private MqttArrivals(Supplier<CompletableFuture<Void>> disconnect) {
        this.disconnect = disconnect;
    }

    /** Connects and subscribes; returns once the broker granted the subscription. */
    static MqttArrivals subscribe(int port, String clientId, String filter, int qos, ArrivalCounter counter) {
        return subscribe(port, null, clientId, filter, qos, counter);
    }

    /** As {@link #subscribe}, with MQTT {@code protocol} (5, or 3 for MQTT 3.1.1). */
    static MqttArrivals subscribe(int port, int protocol, String clientId, String filter, int qos,
            ArrivalCounter counter) {
        if (protocol == 5) {
            return subscribe(port, clientId, filter, qos, counter);
        }
        Mqtt3AsyncClient client = onNetworkThread(MqttClient.builder().identifier(clientId).serverHost("127.0.0.1")
                .serverPort(port)).useMqttVersion3().buildAsync();
        return subscribed(port, filter, () -> client.connectWith().cleanSession(true).send(),
                () -> client.subscribeWith().topicFilter(filter).qos(MqttQos.fromCode(qos))
                        .callback(publish -> record(counter, publish.getPayload())).send(),
                client::disconnect);
    }

    /**
     * Callbacks on the client's network thread, as the bridge's own connections do: the client's default thread pool
     * would add a thread hand-off per message, and the subscriber is meant to cost as little as it can.
     */
    private static MqttClientBuilder onNetworkThread(MqttClientBuilder builder) {
        return builder.executorConfig().applicationScheduler(Schedulers.from(Runnable::run)).applyExecutorConfig();
    }

    /** As {@link #subscribe}, over TLS, trusting the CA certificate (PEM) {@code caCertificate}; TLS 1.3 and 1.2. */
    static MqttArrivals subscribeOverTls(int port, Path caCertificate, String clientId, String filter, int qos,
            ArrivalCounter counter) {
        return subscribe(port, caCertificate, clientId, filter, qos, counter);
    }

    private static MqttArrivals subscribe(int port, Path caCertificate, String clientId, String filter, int qos,
            ArrivalCounter counter) {
        MqttClientBuilder builder = onNetworkThread(MqttClient.builder().identifier(clientId).serverHost("127.0.0.1")
                .serverPort(port));
        if (caCertificate != null) {
            builder = builder.sslConfig().trustManagerFactory(trusting(caCertificate))
                    .protocols(List.of("TLSv1.3", "TLSv1.2")).applySslConfig();
        }
        Mqtt5AsyncClient client = builder.useMqttVersion5().buildAsync();
        return subscribed(port, filter, () -> client.connectWith().cleanStart(true).send(),
                () -> client.subscribeWith().topicFilter(filter).qos(MqttQos.fromCode(qos))
                        .callback(publish -> record(counter, publish.getPayload())).send(),
                client::disconnect);
    }

    /** Connects, then subscribes, each within 30 s; disconnects and throws if either fails. */
    private static MqttArrivals subscribed(int port, String filter, Supplier<CompletableFuture<?>> connect,
            Supplier<CompletableFuture<?>> subscribe, Supplier<CompletableFuture<Void>> disconnect) {
        try {
            connect.get().get(30, TimeUnit.SECONDS);
            subscribe.get().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            disconnect.get();
            throw new IllegalStateException("Subscriber cannot subscribe to " + filter + " at 127.0.0.1:" + port, e);
        }
        return new MqttArrivals(disconnect);
    }

    private static void record(ArrivalCounter counter, Optional<ByteBuffer> payload) {
        payload.ifPresent(bytes -> counter.record(bytes, System.nanoTime()));
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
            disconnect.get().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // end of a case; nothing left to count
        }
    }
}
