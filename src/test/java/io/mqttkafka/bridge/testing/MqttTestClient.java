package io.mqttkafka.bridge.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishBuilder;

/**
 * A plain MQTT publisher for tests (MQTT 5 or 3.1.1), connected to a real broker. Publish methods return
 * the broker's acknowledgement as a future: for QoS 1/2 it completes when the broker has the message.
 */
public final class MqttTestClient implements AutoCloseable {

    private final Mqtt5AsyncClient client5;
    private final Mqtt3AsyncClient client3;

    private MqttTestClient(Mqtt5AsyncClient client5, Mqtt3AsyncClient client3) {
        this.client5 = client5;
        this.client3 = client3;
    }

    public static MqttTestClient connect(int port, int protocolVersion) {
        String id = SharedBrokers.unique("publisher");
        try {
            if (protocolVersion == 5) {
                Mqtt5AsyncClient client = MqttClient.builder().identifier(id).serverHost("127.0.0.1").serverPort(port)
                        .useMqttVersion5().buildAsync();
                client.connectWith().cleanStart(true).send().get(30, TimeUnit.SECONDS);
                return new MqttTestClient(client, null);
            }
            Mqtt3AsyncClient client = MqttClient.builder().identifier(id).serverHost("127.0.0.1").serverPort(port)
                    .useMqttVersion3().buildAsync();
            client.connectWith().cleanSession(true).send().get(30, TimeUnit.SECONDS);
            return new MqttTestClient(null, client);
        } catch (Exception e) {
            throw new IllegalStateException("Test publisher could not connect to 127.0.0.1:" + port, e);
        }
    }

    /**
     * MQTT 5 with a persistent session and automatic reconnect: publishes made while the broker is away are
     * queued in the client and sent on reconnect, and those the broker had not acknowledged are sent again, so a
     * stream of QoS 1/2 publishes goes on through a broker restart (that keeps its sessions) without loss.
     */
    public static MqttTestClient connectPersistent(int port) {
        String id = SharedBrokers.unique("publisher");
        try {
            Mqtt5AsyncClient client = MqttClient.builder().identifier(id).serverHost("127.0.0.1").serverPort(port)
                    .automaticReconnect().initialDelay(100, TimeUnit.MILLISECONDS).maxDelay(500, TimeUnit.MILLISECONDS)
                    .applyAutomaticReconnect().useMqttVersion5().buildAsync();
            client.connectWith().cleanStart(false).sessionExpiryInterval(3600).send().get(30, TimeUnit.SECONDS);
            return new MqttTestClient(client, null);
        } catch (Exception e) {
            throw new IllegalStateException("Test publisher could not connect to 127.0.0.1:" + port, e);
        }
    }

    public CompletableFuture<?> publish(String topic, byte[] payload, int qos) {
        return publish(topic, payload, qos, false);
    }

    public CompletableFuture<?> publish(String topic, byte[] payload, int qos, boolean retain) {
        if (client5 != null) {
            return client5.publishWith().topic(topic).payload(payload).qos(MqttQos.fromCode(qos)).retain(retain).send();
        }
        return client3.publishWith().topic(topic).payload(payload).qos(MqttQos.fromCode(qos)).retain(retain).send();
    }

    /** MQTT 5 only: publish with properties set by {@code properties}. */
    public CompletableFuture<?> publish5(String topic, byte[] payload, int qos,
            java.util.function.UnaryOperator<Mqtt5PublishBuilder.Send.Complete<CompletableFuture<com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult>>> properties) {
        return properties.apply(client5.publishWith().topic(topic).payload(payload).qos(MqttQos.fromCode(qos))).send();
    }

    /** Publishes and waits for every acknowledgement. */
    public void publishAll(List<String> topics, List<byte[]> payloads, int qos) {
        List<CompletableFuture<?>> acks = new ArrayList<>();
        for (int i = 0; i < topics.size(); i++) {
            acks.add(publish(topics.get(i), payloads.get(i), qos));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).orTimeout(60, TimeUnit.SECONDS).join();
    }

    @Override
    public void close() {
        try {
            (client5 != null ? client5.disconnect() : client3.disconnect()).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the broker may already be gone in fault tests
        }
    }
}
