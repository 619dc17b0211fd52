package io.mqttkafka.bridge.mapping;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A parsed MQTT topic filter, optionally shared ({@code $share/<group>/...}) and optionally with named
 * single-level wildcards ({@code {name}}) that the bridge captures for use in templates.
 *
 * <p>Parsed once at startup so that configuration mistakes fail fast with a precise reason, and so that
 * per-message {@link #match(String)} works on a pre-split level array without regular expressions.
 *
 * <p>Syntax: levels separated by {@code /}; {@code +} matches exactly one level (possibly empty);
 * {@code #} matches the parent level and any number of child levels and must be the last level;
 * {@code {name}} (name matching {@code [A-Za-z_][A-Za-z0-9_-]*}) behaves like {@code +} but its value is
 * available by name. Named levels are also positional wildcards: in {@code a/{site}/+/#}, {@code {1}}
 * is the site, {@code {2}} the {@code +} level and {@code {3}} the {@code #} remainder.
 *
 * <p>Instances are immutable and thread-safe. Equality is by the original filter text.
 */
public final class TopicFilter {

    private static final String SHARE_PREFIX = "$share/";

    /** The placeholder name that always denotes the whole MQTT topic; a level may not use it. */
    static final String TOPIC_PLACEHOLDER = "topic";

    static final byte LITERAL = 0;
    static final byte SINGLE = 1;
    static final byte MULTI = 2;

    private final String text;
    private final String shareGroup;
    private final String topicFilter;
    private final String subscriptionFilter;
    /** Per filter level: {@link #LITERAL}, {@link #SINGLE} ({@code +} or named) or {@link #MULTI}. */
    private final byte[] kinds;
    /** Per filter level: the literal text for literal levels, null otherwise. */
    private final String[] literals;
    private final int wildcardCount;
    private final List<String> levelNames;
    /** Level name → 0-based wildcard position. */
    private final Map<String, Integer> nameToWildcard;

    private TopicFilter(String text, String shareGroup, String topicFilter, byte[] kinds, String[] literals,
            int wildcardCount, List<String> levelNames, Map<String, Integer> nameToWildcard) {
        this.text = text;
        this.shareGroup = shareGroup;
        this.topicFilter = topicFilter;
        this.subscriptionFilter = shareGroup == null ? topicFilter : SHARE_PREFIX + shareGroup + "/" + topicFilter;
        this.kinds = kinds;
        this.literals = literals;
        this.wildcardCount = wildcardCount;
        this.levelNames = levelNames;
        this.nameToWildcard = nameToWildcard;
    }

    /**
     * Parses and validates a topic filter.
     *
     * @param filter the filter text, e.g. {@code $share/g1/sensors/{site}/#}
     * @return the parsed filter
     * @throws IllegalArgumentException with the filter and the precise reason when it is malformed
     * @throws NullPointerException when {@code filter} is null
     */
    public static TopicFilter parse(String filter) {
        Objects.requireNonNull(filter, "topic filter must not be null");
        if (filter.isEmpty()) {
            throw new IllegalArgumentException("invalid topic filter '': must not be empty");
        }
        int nul = filter.indexOf('\u0000');
        if (nul >= 0) {
            throw invalid(filter, "must not contain U+0000 (found at index " + nul + ")");
        }
        int surrogate = MqttTopicNames.firstUnpairedSurrogate(filter);
        if (surrogate >= 0) {
            throw invalid(filter, "contains an unpaired surrogate "
                    + MqttTopicNames.codePoint(filter.charAt(surrogate)) + " at index " + surrogate
                    + "; it cannot be encoded as UTF-8");
        }
        for (int i = 0; i < filter.length(); i++) {
            int codePoint = filter.codePointAt(i);
            // Brokers close the connection over these (MQTT 5 § 1.5.4): the subscription could never be made.
            if (MqttTopicNames.isDisallowedCodePoint(codePoint)) {
                throw invalid(filter, "contains " + MqttTopicNames.codePoint(codePoint) + " at index " + i
                        + ", a control character or Unicode non-character that MQTT disallows");
            }
        }
        long bytes = MqttTopicNames.utf8Length(filter);
        if (bytes > MqttTopicNames.MAX_UTF8_BYTES) {
            throw invalid(filter, "is " + bytes + " bytes long in UTF-8; the maximum is "
                    + MqttTopicNames.MAX_UTF8_BYTES);
        }

        String group = null;
        String rest = filter;
        if (filter.startsWith(SHARE_PREFIX)) {
            int slash = filter.indexOf('/', SHARE_PREFIX.length());
            group = slash < 0 ? filter.substring(SHARE_PREFIX.length())
                    : filter.substring(SHARE_PREFIX.length(), slash);
            if (group.isEmpty()) {
                throw invalid(filter, "empty share group");
            }
            for (int i = 0; i < group.length(); i++) {
                char c = group.charAt(i);
                if (c == '+' || c == '#') {
                    throw invalid(filter, "share group '" + group + "' must not contain '" + c + "'");
                }
            }
            if (slash < 0) {
                throw invalid(filter, "shared subscription needs a topic filter after '$share/" + group + "/'");
            }
            rest = filter.substring(slash + 1);
            if (rest.isEmpty()) {
                throw invalid(filter, "the topic filter after '$share/" + group + "/' must not be empty");
            }
        }

        List<String> levels = split(rest);
        int n = levels.size();
        byte[] kinds = new byte[n];
        String[] literals = new String[n];
        List<String> names = new ArrayList<>();
        Map<String, Integer> nameToWildcard = new HashMap<>();
        StringBuilder plain = new StringBuilder(rest.length());
        int wildcards = 0;
        for (int i = 0; i < n; i++) {
            String level = levels.get(i);
            String where = " (level " + (i + 1) + " is '" + level + "')";
            if (i > 0) {
                plain.append('/');
            }
            if (level.indexOf('#') >= 0) {
                if (!level.equals("#")) {
                    throw invalid(filter, "'#' must occupy a whole level" + where);
                }
                if (i != n - 1) {
                    throw invalid(filter, "'#' must be the last level");
                }
                kinds[i] = MULTI;
                wildcards++;
                plain.append('#');
            } else if (level.indexOf('+') >= 0) {
                if (!level.equals("+")) {
                    throw invalid(filter, "'+' must occupy a whole level" + where);
                }
                kinds[i] = SINGLE;
                wildcards++;
                plain.append('+');
            } else if (level.indexOf('{') >= 0 || level.indexOf('}') >= 0) {
                String name = parseLevelName(filter, level, where);
                if (nameToWildcard.putIfAbsent(name, wildcards) != null) {
                    throw invalid(filter, "named level {" + name + "} declared twice");
                }
                names.add(name);
                kinds[i] = SINGLE;
                wildcards++;
                plain.append('+');
            } else {
                kinds[i] = LITERAL;
                literals[i] = level;
                plain.append(level);
            }
        }
        return new TopicFilter(filter, group, plain.toString(), kinds, literals, wildcards,
                List.copyOf(names), Collections.unmodifiableMap(nameToWildcard));
    }

    private static String parseLevelName(String filter, String level, String where) {
        if (level.length() < 2 || level.charAt(0) != '{' || level.charAt(level.length() - 1) != '}') {
            throw invalid(filter, "a named level must occupy a whole level as '{name}'" + where);
        }
        String name = level.substring(1, level.length() - 1);
        if (name.isEmpty()) {
            throw invalid(filter, "empty level name '{}'" + where);
        }
        if (!isValidName(name)) {
            throw invalid(filter, "invalid level name {" + name + "}: must match [A-Za-z_][A-Za-z0-9_-]*");
        }
        if (name.equals(TOPIC_PLACEHOLDER)) {
            throw invalid(filter, "level name {topic} is reserved for the whole MQTT topic");
        }
        return name;
    }

    private static boolean isValidName(String name) {
        char first = name.charAt(0);
        if (!((first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z') || first == '_')) {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** Splits on every {@code /}, keeping empty levels (unlike {@link String#split(String)}). */
    private static List<String> split(String s) {
        List<String> levels = new ArrayList<>();
        int start = 0;
        int slash;
        while ((slash = s.indexOf('/', start)) >= 0) {
            levels.add(s.substring(start, slash));
            start = slash + 1;
        }
        levels.add(s.substring(start));
        return levels;
    }

    private static IllegalArgumentException invalid(String filter, String reason) {
        return new IllegalArgumentException("invalid topic filter '" + filter + "': " + reason);
    }

    /**
     * The filter to send in SUBSCRIBE: named levels replaced by {@code +}, share prefix kept.
     *
     * @return e.g. {@code $share/g1/sensors/+/#} for {@code $share/g1/sensors/{site}/#}
     */
    public String subscriptionFilter() {
        return subscriptionFilter;
    }

    /**
     * The filter without the share prefix, named levels replaced by {@code +}; this is what topics are
     * matched against and what a broker reports in logs.
     *
     * @return e.g. {@code sensors/+/#} for {@code $share/g1/sensors/{site}/#}
     */
    public String topicFilter() {
        return topicFilter;
    }

    /**
     * The shared-subscription group, so that several bridge instances can split the load.
     *
     * @return the group of a {@code $share/<group>/...} filter, empty for a normal subscription
     */
    public Optional<String> shareGroup() {
        return Optional.ofNullable(shareGroup);
    }

    /**
     * Names of the {@code {name}} levels in declaration order, for templates and error messages.
     *
     * @return an immutable list, empty when the filter has no named levels
     */
    public List<String> levelNames() {
        return levelNames;
    }

    /**
     * Number of wildcard levels ({@code +}, {@code {name}} and {@code #}); templates may reference
     * {@code {1}} up to this number.
     *
     * @return the number of positional wildcards
     */
    public int wildcardCount() {
        return wildcardCount;
    }

    /**
     * Whether the filter ends in {@code #}, i.e. can match topics of any depth.
     *
     * @return true when the last level is {@code #}
     */
    public boolean hasMultiLevelWildcard() {
        return kinds[kinds.length - 1] == MULTI;
    }

    /**
     * 0-based wildcard position of a named level, or -1; lets templates resolve names once at parse time.
     */
    int wildcardIndexOf(String name) {
        Integer index = nameToWildcard.get(name);
        return index == null ? -1 : index;
    }

    /**
     * Whether some topic matches both this filter and {@code other} (share prefixes ignored), with the semantics of
     * {@link #match(String)}: {@code a/o/+} and {@code a/#} overlap, {@code a/+/x} and {@code a/o/#} overlap,
     * {@code a/+} and {@code b/#} do not, and neither do {@code +/x} and {@code $SYS/x}. A broker may send a message
     * that matches two overlapping subscriptions once per subscription.
     *
     * @param other another filter, not null
     * @return true when the filters overlap
     */
    public boolean overlaps(TopicFilter other) {
        Objects.requireNonNull(other, "other must not be null");
        for (int i = 0;; i++) {
            boolean thisEnded = i == kinds.length;
            boolean otherEnded = i == other.kinds.length;
            if (thisEnded || otherEnded) {
                // a/# also matches a: a filter that goes on with # alone matches where the other one ends. The topic
                // both match then has i levels; with one level that must be empty it would be "", which is no topic.
                boolean bothMatch = thisEnded && otherEnded
                        || thisEnded && other.kinds[i] == MULTI
                        || otherEnded && kinds[i] == MULTI;
                return bothMatch && !(i == 1 && (emptyFirstLevel(this) || emptyFirstLevel(other)));
            }
            if (i == 0 && (dollarVersusWildcard(this, other) || dollarVersusWildcard(other, this))) {
                return false;
            }
            if (kinds[i] == MULTI || other.kinds[i] == MULTI) {
                return true;
            }
            if (kinds[i] == LITERAL && other.kinds[i] == LITERAL && !literals[i].equals(other.literals[i])) {
                return false;
            }
        }
    }

    private static boolean emptyFirstLevel(TopicFilter filter) {
        return filter.kinds[0] == LITERAL && filter.literals[0].isEmpty();
    }

    /** A first level starting with {@code $} that the other filter's first-level wildcard cannot match. */
    private static boolean dollarVersusWildcard(TopicFilter literal, TopicFilter wildcard) {
        return literal.kinds[0] == LITERAL && literal.literals[0].startsWith("$") && wildcard.kinds[0] != LITERAL;
    }

    /**
     * Whether {@code topic} matches, without allocating anything. Same semantics as {@link #match(String)}.
     *
     * @param topic a concrete MQTT topic name, not null
     * @return true when the topic matches
     */
    public boolean matches(String topic) {
        return scan(topic, null);
    }

    /**
     * Matches a concrete topic name against this filter with MQTT semantics: {@code +} matches one
     * (possibly empty) level, {@code #} also matches the parent level ({@code a/#} matches {@code a}),
     * and topics starting with {@code $} are not matched by a filter whose first level is a wildcard
     * (MQTT 5 §4.7.2). Matching is case-sensitive. The empty string is not a topic and never matches.
     *
     * <p>Allocates nothing when the topic does not match; on a match, only the captured values.
     *
     * @param topic a concrete MQTT topic name, not null
     * @return the match with the wildcard values, or empty when the topic does not match
     */
    public Optional<TopicMatch> match(String topic) {
        if (!scan(topic, null)) {
            return Optional.empty();
        }
        String[] values = wildcardCount == 0 ? TopicMatch.NO_VALUES : new String[wildcardCount];
        scan(topic, values);
        return Optional.of(new TopicMatch(this, topic, values));
    }

    /**
     * The single matching loop; fills {@code values} when non-null (only called after a successful
     * dry run so a partially filled array is never observed).
     */
    private boolean scan(String topic, String[] values) {
        int len = topic.length();
        if (len == 0) {
            return false;
        }
        if (topic.charAt(0) == '$' && kinds[0] != LITERAL) {
            return false;
        }
        int pos = 0;
        int wildcard = 0;
        for (int i = 0; i < kinds.length; i++) {
            byte kind = kinds[i];
            if (kind == MULTI) {
                if (values != null) {
                    values[wildcard] = pos > len ? "" : topic.substring(pos);
                }
                return true;
            }
            if (pos > len) {
                return false; // topic has fewer levels than the filter
            }
            int end = topic.indexOf('/', pos);
            if (end < 0) {
                end = len;
            }
            if (kind == LITERAL) {
                String literal = literals[i];
                if (end - pos != literal.length() || !topic.regionMatches(pos, literal, 0, literal.length())) {
                    return false;
                }
            } else {
                if (values != null) {
                    values[wildcard] = topic.substring(pos, end);
                }
                wildcard++;
            }
            pos = end + 1;
        }
        return pos == len + 1; // every topic level consumed, no trailing levels
    }

    @Override
    public boolean equals(Object o) {
        return this == o || (o instanceof TopicFilter other && text.equals(other.text));
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    /** @return the original filter text as configured */
    @Override
    public String toString() {
        return text;
    }
}
