package io.mqttkafka.bridge.testing;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;

/**
 * Reads a bridge's status topic the way an operator's tool would: a live subscriber that sees every status message,
 * and a new subscriber that gets only the retained state. Parses the payload with its own strict pattern, so that a
 * change of the JSON shape fails the tests.
 */
public final class StatusWatch {

    private static final Pattern SHAPE = Pattern.compile(
            "\\{\"state\":\"(online|offline)\",\"bridge\":\"[^\"]*\",\"client_id\":\"[^\"]*\",\"version\":\"[^\"]*\","
                    + "\"timestamp\":(\\d+)}");

    /**
     * One status message as received.
     *
     * @param state {@code online} or {@code offline}
     * @param timestamp the payload's timestamp
     * @param json the payload
     * @param retain the retain flag as delivered
     * @param receivedAtMillis when the subscriber got it
     */
    public record Status(String state, long timestamp, String json, boolean retain, long receivedAtMillis) {

        public boolean online() {
            return "online".equals(state);
        }

        public boolean offline() {
            return "offline".equals(state);
        }
    }

    private StatusWatch() {
    }

    /** The payload a bridge must send: exactly this JSON, field by field, in this order. */
    public static String json(String state, String bridgeId, String clientId, String version, long timestamp) {
        return "{\"state\":\"" + state + "\",\"bridge\":\"" + bridgeId + "\",\"client_id\":\"" + clientId
                + "\",\"version\":\"" + version + "\",\"timestamp\":" + timestamp + "}";
    }

    /** Parses a received message; fails when it is not of the status shape. */
    public static Status parse(MqttTestSubscriber.Received received) {
        String json = received.text();
        Matcher matcher = SHAPE.matcher(json);
        if (!matcher.matches()) {
            throw new AssertionError("Not a status message of the expected shape: " + json);
        }
        return new Status(matcher.group(1), Long.parseLong(matcher.group(2)), json, received.retain(),
                received.receivedAtMillis());
    }

    /** Every status message {@code subscriber} has received, in order. */
    public static List<Status> seen(MqttTestSubscriber subscriber) {
        return subscriber.received().stream().map(StatusWatch::parse).toList();
    }

    /** The last status message {@code subscriber} has received, if any. */
    public static Optional<Status> latest(MqttTestSubscriber subscriber) {
        List<Status> seen = seen(subscriber);
        return seen.isEmpty() ? Optional.empty() : Optional.of(seen.get(seen.size() - 1));
    }

    /** Waits until {@code subscriber} has received a status message matching {@code condition}; returns the first. */
    public static Status awaitSeen(MqttTestSubscriber subscriber, String what, Predicate<Status> condition,
            Duration atMost) {
        Awaitility.await(what).atMost(atMost).pollInterval(Duration.ofMillis(20))
                .until(() -> seen(subscriber).stream().anyMatch(condition));
        return seen(subscriber).stream().filter(condition).findFirst().orElseThrow();
    }

    /**
     * What a new subscriber to {@code topic} gets: the retained status (the first message after subscribing, with the
     * retain flag set), or an error when nothing is retained within 10 s.
     */
    public static Status retained(int port, int protocolVersion, String topic) {
        try (MqttTestSubscriber fresh = MqttTestSubscriber.subscribe(port, protocolVersion, 1, topic)) {
            Awaitility.await("retained status on " + topic).atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20)).until(() -> fresh.count() > 0);
            Status status = parse(fresh.received().get(0));
            if (!status.retain()) {
                throw new AssertionError("The first status message of a new subscriber is not retained: " + status);
            }
            return status;
        }
    }
}
