package io.mqttkafka.bridge.mqtt;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperty;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;

/** Adapts an {@link Mqtt5Publish} received with manual acknowledgement. */
final class Mqtt5InboundMessage extends ReceivedMessage {

    private final Mqtt5Publish publish;
    private final Set<String> deliveredFor;
    private Optional<Mqtt5Properties> properties;

    /** @param deliveredFor the subscription filters it was delivered for, empty when not known */
    Mqtt5InboundMessage(Mqtt5Publish publish, long receivedAtMillis, Set<String> deliveredFor) {
        super(publish.getTopic().toString(), publish.getPayload().orElse(null), publish.getQos().getCode(),
                publish.isRetain(), receivedAtMillis);
        this.publish = publish;
        this.deliveredFor = deliveredFor;
    }

    @Override
    public Set<String> deliveredFor() {
        return deliveredFor;
    }

    @Override
    public Optional<Mqtt5Properties> properties() {
        // Read by more than one stage, on one thread at a time (hand-offs publish it safely).
        if (properties == null) {
            properties = Optional.of(readProperties());
        }
        return properties;
    }

    private Mqtt5Properties readProperties() {
        List<? extends Mqtt5UserProperty> userProperties = publish.getUserProperties().asList();
        List<Map.Entry<String, String>> properties = userProperties.isEmpty() ? List.of()
                : new ArrayList<>(userProperties.size());
        for (Mqtt5UserProperty property : userProperties) {
            properties.add(Map.entry(property.getName().toString(), property.getValue().toString()));
        }
        return new Mqtt5Properties(
                publish.getContentType().map(Object::toString).orElse(null),
                publish.getResponseTopic().map(Object::toString).orElse(null),
                publish.getCorrelationData().map(Mqtt5InboundMessage::bytes).orElse(null),
                publish.getPayloadFormatIndicator().map(p -> p == Mqtt5PayloadFormatIndicator.UTF_8).orElse(null),
                publish.getMessageExpiryInterval().isPresent() ? publish.getMessageExpiryInterval().getAsLong() : null,
                properties);
    }

    @Override
    public IncomingQos2Identity.Identity qos2Identity() {
        return IncomingQos2Identity.of(publish);
    }

    @Override
    void acknowledgePublish() {
        publish.acknowledge();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
