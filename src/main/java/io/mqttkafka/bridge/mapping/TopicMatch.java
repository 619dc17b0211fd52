package io.mqttkafka.bridge.mapping;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of matching a topic against a {@link TopicFilter}: the topic and the value of each
 * wildcard level, usable directly as {@link PlaceholderValues} for templates.
 *
 * <p>Placeholders resolve as follows: a level name → the captured level; {@code 1..n} → the n-th
 * wildcard value; {@code topic} → the whole topic. For {@code #} the value is the remaining levels
 * joined by {@code /}, or the empty string when {@code #} matched the parent level.
 *
 * <p>Immutable and thread-safe.
 */
public final class TopicMatch implements PlaceholderValues {

    static final String[] NO_VALUES = new String[0];

    private final TopicFilter filter;
    private final String topic;
    private final String[] values;
    /** Lazily created view; a benign race since the list is immutable (same idiom as String.hash). */
    private List<String> valueList;

    TopicMatch(TopicFilter filter, String topic, String[] values) {
        this.filter = filter;
        this.topic = topic;
        this.values = values;
    }

    /** @return the filter that produced this match */
    public TopicFilter filter() {
        return filter;
    }

    /** @return the matched MQTT topic */
    public String topic() {
        return topic;
    }

    /**
     * One value per wildcard level of the filter, in order, so positional placeholders can be resolved.
     *
     * @return an immutable list of {@link TopicFilter#wildcardCount()} values
     */
    public List<String> wildcardValues() {
        List<String> list = valueList;
        if (list == null) {
            list = List.of(values);
            valueList = list;
        }
        return list;
    }

    /** Fast positional access for {@link Template}, 0-based, no bounds re-check beyond the array's. */
    String wildcardValue(int index) {
        return values[index];
    }

    /**
     * The value captured by a named level.
     *
     * @param name the level name without braces
     * @return the captured level, or empty when the filter has no level of that name
     */
    public Optional<String> named(String name) {
        int index = filter.wildcardIndexOf(name);
        return index < 0 ? Optional.empty() : Optional.of(values[index]);
    }

    /**
     * Resolves a placeholder: level name, 1-based wildcard position, or {@code topic}.
     *
     * @return the value, or null when the placeholder is unknown to this match's filter
     */
    @Override
    public String value(String placeholder) {
        if (placeholder.equals(TopicFilter.TOPIC_PLACEHOLDER)) {
            return topic;
        }
        int index = filter.wildcardIndexOf(placeholder);
        if (index >= 0) {
            return values[index];
        }
        int position = parsePosition(placeholder);
        return position >= 1 && position <= values.length ? values[position - 1] : null;
    }

    /** Canonical positive decimal (no sign, no leading zero), or -1; shared with {@link PlaceholderSet}. */
    static int parsePosition(String s) {
        int n = s.length();
        if (n == 0 || n > 5 || s.charAt(0) == '0') {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || (o instanceof TopicMatch other && filter.equals(other.filter)
                && topic.equals(other.topic) && java.util.Arrays.equals(values, other.values));
    }

    @Override
    public int hashCode() {
        return Objects.hash(filter, topic);
    }

    @Override
    public String toString() {
        return "TopicMatch[filter=" + filter + ", topic=" + topic + ", wildcardValues=" + wildcardValues() + "]";
    }
}
