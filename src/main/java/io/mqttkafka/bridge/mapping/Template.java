package io.mqttkafka.bridge.mapping;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A text template with {@code {placeholder}} substitutions, e.g. {@code mqtt.{site}.{2}} for a Kafka
 * topic or {@code {topic}} for a record key.
 *
 * <p>Parsed once at startup against a {@link PlaceholderSet} so unknown placeholders fail fast with the
 * list of allowed ones; rendered per message from pre-split segments. <code>&#123;&#123;</code> and
 * <code>&#125;&#125;</code> are literal braces; an unclosed <code>&#123;</code>, a lone
 * <code>&#125;</code> and an empty <code>&#123;&#125;</code> are errors.
 *
 * <p>Immutable and thread-safe.
 */
public final class Template {

    private static final byte LITERAL = 0;
    /** A wildcard of the bound filter, by 0-based position. */
    private static final byte WILDCARD = 1;
    /** The whole topic of a match of the bound filter. */
    private static final byte TOPIC = 2;
    /** Resolved through {@link PlaceholderValues#value(String)} only. */
    private static final byte GENERIC = 3;

    private final String text;
    private final TopicFilter boundFilter;
    private final byte[] kinds;
    /** Literal text for literal segments, placeholder name otherwise. */
    private final String[] texts;
    private final int[] indexes;
    private final int literalLength;
    private final int placeholderCount;
    private final Set<String> placeholders;

    private Template(String text, TopicFilter boundFilter, byte[] kinds, String[] texts, int[] indexes,
            Set<String> placeholders) {
        this.text = text;
        this.boundFilter = boundFilter;
        this.kinds = kinds;
        this.texts = texts;
        this.indexes = indexes;
        int literals = 0;
        int count = 0;
        for (int i = 0; i < kinds.length; i++) {
            if (kinds[i] == LITERAL) {
                literals += texts[i].length();
            } else {
                count++;
            }
        }
        this.literalLength = literals;
        this.placeholderCount = count;
        this.placeholders = placeholders;
    }

    /**
     * Parses a template and checks every placeholder against {@code allowed}.
     *
     * @param text the template text, not empty
     * @param allowed the placeholders that will be available when rendering
     * @return the parsed template
     * @throws IllegalArgumentException naming the template, the offending placeholder or brace position,
     *     and (for placeholders) the allowed ones
     */
    public static Template parse(String text, PlaceholderSet allowed) {
        Objects.requireNonNull(text, "template text must not be null");
        Objects.requireNonNull(allowed, "allowed placeholders must not be null");
        if (text.isEmpty()) {
            throw new IllegalArgumentException("template must not be empty");
        }
        TopicFilter filter = allowed.filter().orElse(null);
        List<Byte> kinds = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        List<Integer> indexes = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c == '{') {
                if (i + 1 < n && text.charAt(i + 1) == '{') {
                    literal.append('{');
                    i += 2;
                    continue;
                }
                int close = text.indexOf('}', i + 1);
                int nextOpen = text.indexOf('{', i + 1);
                if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
                    throw invalid(text, "unclosed '{' at index " + i + " (write '{{' for a literal brace)");
                }
                if (close == i + 1) {
                    throw invalid(text, "empty placeholder {} at index " + i);
                }
                String name = text.substring(i + 1, close);
                allowed.rejectReason(name).ifPresent(reason -> {
                    throw invalid(text, reason);
                });
                if (literal.length() > 0) {
                    kinds.add(LITERAL);
                    texts.add(literal.toString());
                    indexes.add(-1);
                    literal.setLength(0);
                }
                byte kind = GENERIC;
                int index = -1;
                if (filter != null) {
                    if (name.equals(TopicFilter.TOPIC_PLACEHOLDER)) {
                        kind = TOPIC;
                    } else {
                        index = filter.wildcardIndexOf(name);
                        if (index < 0) {
                            index = TopicMatch.parsePosition(name) - 1;
                        }
                        kind = WILDCARD;
                    }
                }
                kinds.add(kind);
                texts.add(name);
                indexes.add(index);
                names.add(name);
                i = close + 1;
            } else if (c == '}') {
                if (i + 1 < n && text.charAt(i + 1) == '}') {
                    literal.append('}');
                    i += 2;
                    continue;
                }
                throw invalid(text, "unmatched '}' at index " + i + " (write '}}' for a literal brace)");
            } else {
                literal.append(c);
                i++;
            }
        }
        if (literal.length() > 0) {
            kinds.add(LITERAL);
            texts.add(literal.toString());
            indexes.add(-1);
        }
        byte[] kindArray = new byte[kinds.size()];
        int[] indexArray = new int[kinds.size()];
        for (int k = 0; k < kindArray.length; k++) {
            kindArray[k] = kinds.get(k);
            indexArray[k] = indexes.get(k);
        }
        return new Template(text, filter, kindArray, texts.toArray(String[]::new), indexArray,
                Collections.unmodifiableSet(names));
    }

    private static IllegalArgumentException invalid(String text, String reason) {
        return new IllegalArgumentException("invalid template '" + text + "': " + reason);
    }

    /**
     * Renders the template.
     *
     * <p>A template consisting of a single literal or a single placeholder returns that string without
     * copying. When {@code values} is a {@link TopicMatch} of the filter this template was parsed for,
     * placeholders are read by pre-resolved position instead of by name.
     *
     * @param values the placeholder values, not null
     * @return the rendered text
     * @throws IllegalStateException when {@code values} has no value for a placeholder
     */
    public String render(PlaceholderValues values) {
        Objects.requireNonNull(values, "values");
        TopicMatch match = null;
        if (boundFilter != null && values instanceof TopicMatch m
                && (m.filter() == boundFilter || m.filter().equals(boundFilter))) {
            match = m;
        }
        if (kinds.length == 1) {
            return kinds[0] == LITERAL ? texts[0] : valueAt(0, values, match);
        }
        String[] rendered = new String[kinds.length];
        int length = literalLength;
        for (int i = 0; i < kinds.length; i++) {
            if (kinds[i] != LITERAL) {
                String value = valueAt(i, values, match);
                rendered[i] = value;
                length += value.length();
            }
        }
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < kinds.length; i++) {
            out.append(kinds[i] == LITERAL ? texts[i] : rendered[i]);
        }
        return out.toString();
    }

    private String valueAt(int segment, PlaceholderValues values, TopicMatch match) {
        String value;
        if (match != null && kinds[segment] == WILDCARD) {
            value = match.wildcardValue(indexes[segment]);
        } else if (match != null && kinds[segment] == TOPIC) {
            value = match.topic();
        } else {
            value = values.value(texts[segment]);
        }
        if (value == null) {
            throw new IllegalStateException("template '" + text + "': no value for placeholder {"
                    + texts[segment] + "}");
        }
        return value;
    }

    /**
     * Whether the template has no placeholders, so it renders the same text for every message and can
     * be validated once at startup.
     *
     * @return true when there are no placeholders
     */
    public boolean isConstant() {
        return placeholderCount == 0;
    }

    /**
     * The placeholder names used, in order of first appearance, for cross-checks against a filter.
     *
     * @return an immutable set of names without braces
     */
    public Set<String> placeholders() {
        return placeholders;
    }

    /** Literal segments with braces unescaped, so callers can validate the fixed characters up front. */
    List<String> literals() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < kinds.length; i++) {
            if (kinds[i] == LITERAL) {
                out.add(texts[i]);
            }
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || (o instanceof Template other && text.equals(other.text)
                && Objects.equals(boundFilter, other.boundFilter));
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    /** @return the original template text */
    @Override
    public String toString() {
        return text;
    }
}
