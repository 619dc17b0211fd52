package io.mqttkafka.bridge.mapping;

import java.util.ArrayList;
import java.util.List;

/**
 * Topic-filter matching written straight from MQTT 5 § 4.7 (and § 4.8.2 for shared subscriptions), as a reference for
 * {@link TopicFilter}. Deliberately naive: it splits into lists and recurses, so that it reads like the
 * specification and shares no code or trick with the matcher under test. Only the specification's syntax is known
 * here; the bridge's named levels ({@code {name}}) are passed in as {@code +}.
 */
final class MqttSpecMatcher {

    private static final String SHARE = "$share/";

    private MqttSpecMatcher() {
    }

    /**
     * Whether {@code topic} matches {@code filter}.
     *
     * @param filter a valid topic filter, optionally {@code $share/<group>/<filter>}
     * @param topic a topic name; the empty string is not one (§ 4.7.3: at least one character) and matches nothing
     */
    static boolean matches(String filter, String topic) {
        return values(filter, topic) != null;
    }

    /**
     * The levels the filter's wildcards stand for, in order, or null when the topic does not match: a {@code +} its
     * one level; {@code #} the remaining levels joined by {@code /}, or {@code ""} when it matched the parent level.
     */
    static List<String> values(String filter, String topic) {
        if (topic.isEmpty()) {
            return null;
        }
        // § 4.8.2: the topic filter of a shared subscription is what follows "$share/<ShareName>/".
        String plain = filter;
        if (filter.startsWith(SHARE)) {
            plain = filter.substring(filter.indexOf('/', SHARE.length()) + 1);
        }
        List<String> filterLevels = levels(plain);
        List<String> topicLevels = levels(topic);
        // § 4.7.2: filters starting with a wildcard do not match topic names starting with '$'.
        String first = filterLevels.get(0);
        if (topic.startsWith("$") && (first.equals("+") || first.equals("#"))) {
            return null;
        }
        List<String> values = new ArrayList<>();
        return match(filterLevels, 0, topicLevels, 0, values) ? values : null;
    }

    private static boolean match(List<String> filter, int f, List<String> topic, int t, List<String> values) {
        if (f == filter.size()) {
            return t == topic.size();
        }
        String level = filter.get(f);
        if (level.equals("#")) {
            // § 4.7.1.2: any number of levels, including none: "sport/#" matches "sport" as well.
            values.add(String.join("/", topic.subList(t, topic.size())));
            return true;
        }
        if (t == topic.size()) {
            return false;
        }
        if (level.equals("+")) {
            // § 4.7.1.3: exactly one level, which may be empty.
            values.add(topic.get(t));
            return match(filter, f + 1, topic, t + 1, values);
        }
        // § 4.7.3: case-sensitive, no normalisation.
        return level.equals(topic.get(t)) && match(filter, f + 1, topic, t + 1, values);
    }

    /** § 4.7.1.1: '/' separates levels; a leading, trailing or doubled '/' makes an empty level. */
    static List<String> levels(String s) {
        List<String> levels = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= s.length(); i++) {
            if (i == s.length() || s.charAt(i) == '/') {
                levels.add(s.substring(start, i));
                start = i + 1;
            }
        }
        return levels;
    }
}
