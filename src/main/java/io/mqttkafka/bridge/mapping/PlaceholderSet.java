package io.mqttkafka.bridge.mapping;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Decides which placeholder names a {@link Template} may use, and describes them for error messages.
 *
 * <p>Templates are validated against the values that will actually exist at render time, so that a
 * typo such as {@code {sitee}} fails at startup instead of on the first message. Two kinds exist:
 * {@link #forFilter(TopicFilter)} for MQTT → Kafka (level names, positions, {@code topic}) and
 * {@link #of(Set, Set)} for sources with fixed names and prefixed families such as {@code header:NAME}.
 *
 * <p>Immutable and thread-safe.
 */
public final class PlaceholderSet {

    private final TopicFilter filter;
    private final List<String> fixedNames;
    private final Set<String> fixedLookup;
    private final List<String> prefixes;
    private final String description;

    private PlaceholderSet(TopicFilter filter, List<String> fixedNames, List<String> prefixes) {
        this.filter = filter;
        this.fixedNames = List.copyOf(fixedNames);
        this.fixedLookup = Set.copyOf(fixedNames);
        this.prefixes = List.copyOf(prefixes);
        this.description = describe(filter, this.fixedNames, this.prefixes);
    }

    /**
     * The placeholders available when rendering a {@link TopicMatch} of {@code filter}: each level name,
     * {@code {1}}..{@code {wildcardCount}}, and {@code {topic}}.
     *
     * <p>Templates parsed against this set resolve placeholders to wildcard positions up front, so
     * rendering a match of the same filter needs no name lookups.
     *
     * @param filter the route's topic filter, not null
     * @return the placeholder set
     */
    public static PlaceholderSet forFilter(TopicFilter filter) {
        Objects.requireNonNull(filter, "filter");
        List<String> names = new ArrayList<>(filter.levelNames());
        names.add(TopicFilter.TOPIC_PLACEHOLDER);
        return new PlaceholderSet(filter, names, List.of());
    }

    /**
     * A set of fixed names (e.g. {@code key}, {@code topic}, {@code partition}) plus prefixed families
     * (e.g. {@code header:} allows {@code {header:NAME}} for any non-empty NAME).
     *
     * @param fixedNames allowed exact names; described in alphabetical order
     * @param prefixes allowed prefixes; a placeholder must add a non-empty name after the prefix
     * @return the placeholder set
     * @throws IllegalArgumentException when a name or prefix is empty or contains a brace
     */
    public static PlaceholderSet of(Set<String> fixedNames, Set<String> prefixes) {
        Objects.requireNonNull(fixedNames, "fixedNames");
        Objects.requireNonNull(prefixes, "prefixes");
        List<String> names = new ArrayList<>(fixedNames);
        List<String> prefixList = new ArrayList<>(prefixes);
        for (String name : names) {
            requireUsable("placeholder name", name);
        }
        for (String prefix : prefixList) {
            requireUsable("placeholder prefix", prefix);
        }
        Collections.sort(names);
        Collections.sort(prefixList);
        return new PlaceholderSet(null, names, prefixList);
    }

    private static void requireUsable(String what, String s) {
        Objects.requireNonNull(s, what + " must not be null");
        if (s.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        if (s.indexOf('{') >= 0 || s.indexOf('}') >= 0) {
            throw new IllegalArgumentException(what + " '" + s + "' must not contain '{' or '}'");
        }
    }

    /**
     * Explains why {@code placeholder} is not allowed, or returns empty when it is.
     *
     * @param placeholder the name between the braces
     * @return the reason, which names the placeholder and lists the allowed ones
     */
    public Optional<String> rejectReason(String placeholder) {
        Objects.requireNonNull(placeholder, "placeholder");
        if (fixedLookup.contains(placeholder)) {
            return Optional.empty();
        }
        if (filter != null && !placeholder.isEmpty() && placeholder.chars().allMatch(c -> c >= '0' && c <= '9')) {
            int position = TopicMatch.parsePosition(placeholder);
            int count = filter.wildcardCount();
            if (position >= 1 && position <= count) {
                return Optional.empty();
            }
            if (position < 0 && placeholder.chars().allMatch(c -> c == '0')) {
                return reject("placeholder {" + placeholder + "} is invalid: wildcards are numbered from 1");
            }
            if (position < 0 && placeholder.charAt(0) == '0') {
                return reject("placeholder {" + placeholder + "} is invalid: write wildcard positions without"
                        + " leading zeros");
            }
            return reject("placeholder {" + placeholder + "} refers to a wildcard that topic filter '" + filter
                    + "' does not have (" + (count == 0 ? "it has no wildcards" : "it has " + count
                    + (count == 1 ? " wildcard" : " wildcards")) + ")");
        }
        for (String prefix : prefixes) {
            if (placeholder.startsWith(prefix)) {
                if (placeholder.length() == prefix.length()) {
                    return reject("placeholder {" + placeholder + "} needs a name after '" + prefix + "'");
                }
                return Optional.empty();
            }
        }
        return reject("unknown placeholder {" + placeholder + "}");
    }

    private Optional<String> reject(String reason) {
        return Optional.of(reason + "; allowed: " + description);
    }

    /**
     * Whether {@code placeholder} may be used.
     *
     * @param placeholder the name between the braces
     * @return true when allowed
     */
    public boolean allows(String placeholder) {
        return rejectReason(placeholder).isEmpty();
    }

    /**
     * The filter whose matches this set describes, so templates can pre-resolve positions.
     *
     * @return the filter of a {@link #forFilter(TopicFilter)} set, empty otherwise
     */
    public Optional<TopicFilter> filter() {
        return Optional.ofNullable(filter);
    }

    /**
     * Human-readable list of the allowed placeholders, e.g. {@code {site}, {device}, {1}..{2}, {topic}}.
     *
     * @return the description used in error messages
     */
    public String describe() {
        return description;
    }

    private static String describe(TopicFilter filter, List<String> fixedNames, List<String> prefixes) {
        List<String> parts = new ArrayList<>();
        if (filter != null) {
            for (String name : filter.levelNames()) {
                parts.add("{" + name + "}");
            }
            int count = filter.wildcardCount();
            if (count == 1) {
                parts.add("{1}");
            } else if (count > 1) {
                parts.add("{1}..{" + count + "}");
            }
            parts.add("{" + TopicFilter.TOPIC_PLACEHOLDER + "}");
        } else {
            for (String name : fixedNames) {
                parts.add("{" + name + "}");
            }
            for (String prefix : prefixes) {
                parts.add("{" + prefix + "<name>}");
            }
        }
        return parts.isEmpty() ? "(none)" : String.join(", ", parts);
    }

    @Override
    public boolean equals(Object o) {
        return this == o || (o instanceof PlaceholderSet other && Objects.equals(filter, other.filter)
                && fixedLookup.equals(other.fixedLookup) && prefixes.equals(other.prefixes));
    }

    @Override
    public int hashCode() {
        return Objects.hash(filter, fixedLookup, prefixes);
    }

    /** @return {@link #describe()} */
    @Override
    public String toString() {
        return description;
    }
}
