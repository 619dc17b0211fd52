package io.mqttkafka.bridge.mapping;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which Kafka topics a Kafka → MQTT mapping reads: one named topic, or every topic whose whole name
 * matches a regular expression (as the Kafka consumer's pattern subscription does).
 *
 * <p>Immutable and thread-safe.
 */
public final class KafkaTopicSelector {

    private static final Pattern BACKREFERENCE = Pattern.compile("\\\\(?:[1-9]|k<)");
    private static final Pattern NAMED_GROUP = Pattern.compile("\\(\\?<[a-zA-Z]");

    private final String topic;
    private final Pattern pattern;

    private KafkaTopicSelector(String topic, Pattern pattern) {
        this.topic = topic;
        this.pattern = pattern;
    }

    /**
     * One named topic.
     *
     * @throws IllegalArgumentException when {@code topic} is not a legal Kafka topic name
     */
    public static KafkaTopicSelector topic(String topic) {
        Objects.requireNonNull(topic, "topic");
        KafkaTopicNames.invalidReason(topic).ifPresent(reason -> {
            throw new IllegalArgumentException("'" + topic + "' is not a legal Kafka topic name: " + reason);
        });
        return new KafkaTopicSelector(topic, null);
    }

    /**
     * Every topic whose whole name matches {@code regex} (Java syntax).
     *
     * @throws IllegalArgumentException naming the position and cause when the expression does not compile
     */
    public static KafkaTopicSelector pattern(String regex) {
        Objects.requireNonNull(regex, "regex");
        if (regex.isEmpty()) {
            throw new IllegalArgumentException("topic pattern must not be empty");
        }
        try {
            return new KafkaTopicSelector(null, Pattern.compile(regex));
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("'" + regex + "' is not a valid regular expression: "
                    + e.getDescription() + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""));
        }
    }

    /**
     * Why this selector cannot be merged with others into one consumer subscription, or null when it can.
     * The merge joins the patterns into one regular expression, which renumbers capturing groups (breaking
     * numbered backreferences) and cannot hold the same group name twice.
     */
    public String uncombinableReason() {
        if (pattern == null) {
            return null;
        }
        String regex = pattern.pattern();
        if (BACKREFERENCE.matcher(regex).find()) {
            return "pattern '" + regex + "' uses a backreference";
        }
        if (NAMED_GROUP.matcher(regex).find()) {
            return "pattern '" + regex + "' defines a named group";
        }
        return null;
    }

    public boolean matches(String kafkaTopic) {
        return topic != null ? topic.equals(kafkaTopic) : pattern.matcher(kafkaTopic).matches();
    }

    public boolean isPattern() {
        return pattern != null;
    }

    /**
     * What one consumer must subscribe to so that it sees the topics of all {@code selectors}: the named
     * topics when there are only names, otherwise one pattern matching any of them.
     *
     * @throws IllegalArgumentException when there are several selectors and one of them cannot be merged
     *     (see {@link #uncombinableReason()})
     */
    public static Subscription union(List<KafkaTopicSelector> selectors) {
        if (selectors.isEmpty()) {
            throw new IllegalArgumentException("at least one topic selector is needed");
        }
        if (selectors.size() > 1) {
            for (KafkaTopicSelector selector : selectors) {
                String reason = selector.uncombinableReason();
                if (reason != null) {
                    throw new IllegalArgumentException(reason + ", so it cannot share one consumer subscription with"
                            + " other mappings");
                }
            }
        }
        if (selectors.stream().noneMatch(KafkaTopicSelector::isPattern)) {
            List<String> topics = new ArrayList<>();
            for (KafkaTopicSelector selector : selectors) {
                if (!topics.contains(selector.topic)) {
                    topics.add(selector.topic);
                }
            }
            return new Subscription(List.copyOf(topics), null);
        }
        List<String> alternatives = new ArrayList<>();
        for (KafkaTopicSelector selector : selectors) {
            alternatives.add(selector.isPattern() ? "(?:" + selector.pattern.pattern() + ")" : Pattern.quote(selector.topic));
        }
        return new Subscription(List.of(), Pattern.compile(String.join("|", alternatives)));
    }

    /**
     * A consumer subscription: {@code topics} when {@code pattern} is null, else {@code pattern}.
     *
     * @param topics named topics (empty when a pattern is used)
     * @param pattern pattern matched against whole topic names, or null
     */
    public record Subscription(List<String> topics, Pattern pattern) {
    }

    @Override
    public boolean equals(Object o) {
        return this == o || (o instanceof KafkaTopicSelector other && Objects.equals(topic, other.topic)
                && Objects.equals(pattern == null ? null : pattern.pattern(),
                        other.pattern == null ? null : other.pattern.pattern()));
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, pattern == null ? null : pattern.pattern());
    }

    /** The topic name, or {@code /regex/} for a pattern. */
    @Override
    public String toString() {
        return topic != null ? topic : "/" + pattern.pattern() + "/";
    }
}
