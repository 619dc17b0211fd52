package io.mqttkafka.bridge.testing;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;

/**
 * A plain MQTT subscriber for tests (MQTT 5 or 3.1.1) that records every message it receives, with the
 * metadata the tests check. Subscriptions are made (and acknowledged by the broker) before a method returns.
 */
public final class MqttTestSubscriber implements AutoCloseable {

    /**
     * One received message; MQTT 5 fields are null / empty with MQTT 3.1.1. {@code receivedAtMillis} is the
     * wall-clock time it reached this subscriber.
     */
    public record Received(String topic, byte[] payload, int qos, boolean retain, Map<String, String> userProperties,
            String contentType, String responseTopic, byte[] correlationData, Boolean payloadFormatUtf8,
            Long messageExpiry, long receivedAtMillis) {

        public String text() {
            return new String(payload, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private final Mqtt5AsyncClient client5;
    private final Mqtt3AsyncClient client3;
    private final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();

    private MqttTestSubscriber(Mqtt5AsyncClient client5, Mqtt3AsyncClient client3) {
        this.client5 = client5;
        this.client3 = client3;
    }

    /** Connects with a clean session and subscribes to {@code filters} at {@code qos}. */
    public static MqttTestSubscriber subscribe(int port, int protocolVersion, int qos, String... filters) {
        return subscribe(port, protocolVersion, qos, false, filters);
    }

    /**
     * MQTT 5 only: a subscriber with a persistent session and automatic reconnect, which receives what was
     * queued for it while the broker (with its data folder) was restarted.
     */
    public static MqttTestSubscriber subscribePersistent(int port, int qos, String... filters) {
        return subscribe(port, 5, qos, true, filters);
    }

    private static MqttTestSubscriber subscribe(int port, int protocolVersion, int qos, boolean persistent,
            String... filters) {
        String id = SharedBrokers.unique("subscriber");
        try {
            MqttTestSubscriber subscriber;
            if (protocolVersion == 5) {
                com.hivemq.client.mqtt.MqttClientBuilder builder = MqttClient.builder().identifier(id)
                        .serverHost("127.0.0.1").serverPort(port);
                if (persistent) {
                    builder = builder.automaticReconnect().initialDelay(100, TimeUnit.MILLISECONDS)
                            .maxDelay(500, TimeUnit.MILLISECONDS).applyAutomaticReconnect();
                }
                Mqtt5AsyncClient client = builder.useMqttVersion5().buildAsync();
                client.connectWith().cleanStart(!persistent).sessionExpiryInterval(persistent ? 3600 : 0).send()
                        .get(30, TimeUnit.SECONDS);
                subscriber = new MqttTestSubscriber(client, null);
                for (String filter : filters) {
                    client.subscribeWith().topicFilter(filter).qos(MqttQos.fromCode(qos))
                            .callback(subscriber::record5).send().get(30, TimeUnit.SECONDS);
                }
            } else {
                Mqtt3AsyncClient client = MqttClient.builder().identifier(id).serverHost("127.0.0.1").serverPort(port)
                        .useMqttVersion3().buildAsync();
                client.connectWith().cleanSession(true).send().get(30, TimeUnit.SECONDS);
                subscriber = new MqttTestSubscriber(null, client);
                for (String filter : filters) {
                    client.subscribeWith().topicFilter(filter).qos(MqttQos.fromCode(qos))
                            .callback(subscriber::record3).send().get(30, TimeUnit.SECONDS);
                }
            }
            return subscriber;
        } catch (Exception e) {
            throw new IllegalStateException("Test subscriber could not subscribe at 127.0.0.1:" + port, e);
        }
    }

    private void record5(com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish publish) {
        Map<String, String> userProperties = new LinkedHashMap<>();
        publish.getUserProperties().asList()
                .forEach(p -> userProperties.put(p.getName().toString(), p.getValue().toString()));
        received.add(new Received(publish.getTopic().toString(), publish.getPayloadAsBytes(), publish.getQos().getCode(),
                publish.isRetain(), userProperties,
                publish.getContentType().map(Object::toString).orElse(null),
                publish.getResponseTopic().map(Object::toString).orElse(null),
                publish.getCorrelationData().map(MqttTestSubscriber::bytes).orElse(null),
                publish.getPayloadFormatIndicator().map(p -> p == Mqtt5PayloadFormatIndicator.UTF_8).orElse(null),
                publish.getMessageExpiryInterval().isPresent() ? publish.getMessageExpiryInterval().getAsLong() : null,
                System.currentTimeMillis()));
    }

    private void record3(com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish publish) {
        received.add(new Received(publish.getTopic().toString(), publish.getPayloadAsBytes(), publish.getQos().getCode(),
                publish.isRetain(), Map.of(), null, null, null, null, null, System.currentTimeMillis()));
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    /** Everything received so far, in arrival order. */
    public List<Received> received() {
        return new ArrayList<>(received);
    }

    public int count() {
        return received.size();
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
