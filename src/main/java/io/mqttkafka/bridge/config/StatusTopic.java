package io.mqttkafka.bridge.config;

import java.util.Optional;
import java.util.Set;

import io.mqttkafka.bridge.mapping.MqttTopicNames;
import io.mqttkafka.bridge.mapping.PlaceholderSet;
import io.mqttkafka.bridge.mapping.Template;

/**
 * Renders {@code bridge.status.topic}: the template with {@code {id}} and {@code {client-id}} filled in, checked to be
 * a topic name the bridge may publish to. The validator reports its problems naming the key; the runtime renders the
 * same way once the configuration is valid.
 */
public final class StatusTopic {

    /** The default of {@code bridge.status.topic}: one topic per replica, as the client id is unique per replica. */
    public static final String DEFAULT_TEMPLATE = "mqtt-kafka-bridge/{client-id}/status";

    static final PlaceholderSet PLACEHOLDERS = PlaceholderSet.of(Set.of("id", "client-id"), Set.of());

    private StatusTopic() {
    }

    /**
     * The status topic, or empty when the template is the empty string (status turned off).
     *
     * @param template the value of {@code bridge.status.topic}
     * @param bridgeId the value of {@code {id}}
     * @param clientId the value of {@code {client-id}} (the subscriber's client id, configured or derived)
     * @throws IllegalArgumentException saying why the template or the topic it renders cannot be used
     */
    public static Optional<String> render(String template, String bridgeId, String clientId) {
        if (template.isEmpty()) {
            return Optional.empty();
        }
        if (template.isBlank()) {
            throw new IllegalArgumentException("must not be blank; set it to \"\" to turn the status off");
        }
        Template parsed = Template.parse(template, PLACEHOLDERS);
        String topic = parsed.render(name -> "id".equals(name) ? bridgeId : clientId);
        Optional<String> invalid = MqttTopicNames.invalidReason(topic);
        if (invalid.isPresent()) {
            String rendered = parsed.isConstant() ? ""
                    : " (rendered from '" + template + "' with {id} = '" + bridgeId + "', {client-id} = '" + clientId
                            + "')";
            throw new IllegalArgumentException(invalid.get() + rendered);
        }
        return Optional.of(topic);
    }
}
