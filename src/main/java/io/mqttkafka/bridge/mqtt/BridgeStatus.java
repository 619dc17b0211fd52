package io.mqttkafka.bridge.mqtt;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the bridge announces about itself on its status topic, and the messages that carry it: retained JSON
 * {@code {"state":"online","bridge":"<id>","client_id":"<client-id>","version":"<version>","timestamp":<epoch ms>}},
 * the same shape with {@code "offline"} as the last will and on a graceful shutdown. Immutable.
 *
 * <p>The timestamp orders the messages for readers that follow the topic: {@code online} and the will registered with
 * the same connection carry that connection's timestamp (taken when its CONNECT was built), and an {@code offline}
 * published on shutdown carries the time of shutdown. A message with a lower timestamp than one already seen is stale
 * (docs/design.md, "Bridge status").
 *
 * @param topic the rendered status topic
 * @param qos QoS of the status messages and of the will
 * @param bridgeId {@code bridge.id}
 * @param clientId the replica's client id (the subscriber's)
 * @param version the bridge's version
 */
public record BridgeStatus(String topic, int qos, String bridgeId, String clientId, String version) {

    /** The two states a status message announces. */
    public enum State {
        ONLINE("online"), OFFLINE("offline");

        private final String text;

        State(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    private static final Pattern STATE = Pattern.compile("\"state\"\\s*:\\s*\"(online|offline)\"");
    private static final Pattern TIMESTAMP = Pattern.compile("\"timestamp\"\\s*:\\s*(\\d+)");

    public BridgeStatus {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(bridgeId, "bridgeId");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(version, "version");
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("QoS must be 0, 1 or 2, was " + qos);
        }
    }

    /** The JSON payload announcing {@code state} at {@code timestamp} (epoch ms), UTF-8. */
    public byte[] payload(State state, long timestamp) {
        return ("{\"state\":\"" + state.text() + "\",\"bridge\":" + json(bridgeId) + ",\"client_id\":" + json(clientId)
                + ",\"version\":" + json(version) + ",\"timestamp\":" + timestamp + "}").getBytes(StandardCharsets.UTF_8);
    }

    /** The retained status message announcing {@code state}; with MQTT 5 marked as UTF-8 JSON. */
    public OutboundMessage message(State state, long timestamp) {
        return new OutboundMessage(topic, payload(state, timestamp), qos, true, MQTT5_PROPERTIES);
    }

    /** MQTT 5 properties of every status message and of the will: UTF-8 JSON. */
    static final Mqtt5Properties MQTT5_PROPERTIES = new Mqtt5Properties("application/json", null, null, true, null,
            List.of());

    /** The state a status payload announces; empty when it is no status message of this shape. */
    public static Optional<State> stateOf(byte[] payload) {
        Matcher matcher = STATE.matcher(new String(payload, StandardCharsets.UTF_8));
        if (!matcher.find()) {
            return Optional.empty();
        }
        return Optional.of("online".equals(matcher.group(1)) ? State.ONLINE : State.OFFLINE);
    }

    /** The timestamp of a status payload, or -1 when it has none. */
    public static long timestampOf(byte[] payload) {
        Matcher matcher = TIMESTAMP.matcher(new String(payload, StandardCharsets.UTF_8));
        return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
    }

    /** A JSON string literal: quotes, backslashes and control characters escaped (RFC 8259 § 7). */
    static String json(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
