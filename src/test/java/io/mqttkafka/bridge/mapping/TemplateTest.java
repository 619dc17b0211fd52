package io.mqttkafka.bridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TemplateTest {

    private static final PlaceholderSet KAFKA_RECORD =
            PlaceholderSet.of(Set.of("key", "topic", "partition"), Set.of("header:"));

    @ParameterizedTest(name = "[{index}] {0} ~ {1}: {2} -> {3}")
    @CsvSource(delimiter = '|', value = {
        // filter                    | topic                | template                         | rendered
        "plant/{site}/{device}/temp  | plant/s1/d7/temp     | mqtt.{site}.{device}             | mqtt.s1.d7",
        "plant/{site}/{device}/temp  | plant/s1/d7/temp     | {1}-{2}                          | s1-d7",
        "plant/{site}/{device}/temp  | plant/s1/d7/temp     | {device}                         | d7",
        "plant/{site}/{device}/temp  | plant/s1/d7/temp     | {topic}                          | plant/s1/d7/temp",
        "plant/{site}/{device}/temp  | plant/s1/d7/temp     | {site}{site}                     | s1s1",
        "plant/{site}/+/#            | plant/s1/x/a/b/c     | {site}:{2}:{3}                   | s1:x:a/b/c",
        "plant/{site}/+/#            | plant/s1/x           | [{3}]                            | []",
        "a/+/+                       | a/b/c                | {2}.{1}                          | c.b",
        "a/+/+                       | a//c                 | <{1}>                            | <>",
        "a/#                         | a/b/c                | {topic}:{1}                      | a/b/c:b/c",
        "a/b                         | a/b                  | constant-topic                   | constant-topic",
        "a/+                         | a/x                  | {{literal}}-{1}                  | {literal}-x",
        "a/+                         | a/x                  | {{{1}}}                          | {x}",
        "a/+                         | a/x                  | }}{{                             | }{",
    })
    void rendersMatches(String filter, String topic, String template, String rendered) {
        TopicFilter parsed = TopicFilter.parse(filter);
        Template t = Template.parse(template, PlaceholderSet.forFilter(parsed));
        TopicMatch match = parsed.match(topic).orElseThrow();

        assertThat(t.render(match)).isEqualTo(rendered);
        // The generic path (by name, through a plain PlaceholderValues) must agree with the fast path.
        assertThat(t.render(match::value)).isEqualTo(rendered);
        // A match of an equal but distinct filter instance also renders correctly.
        assertThat(t.render(TopicFilter.parse(filter).match(topic).orElseThrow())).isEqualTo(rendered);
        assertThat(t).hasToString(template);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "abc              | true  | ''",
        "{{x}}            | true  | ''",
        "{a}              | false | a",
        "x{b}y{a}z{b}     | false | b,a",
    })
    void reportsPlaceholdersAndConstness(String template, boolean constant, String placeholders) {
        Template t = Template.parse(template, PlaceholderSet.of(Set.of("a", "b"), Set.of()));

        assertThat(t.isConstant()).isEqualTo(constant);
        assertThat(t.placeholders())
                .containsExactly(placeholders.isEmpty() ? new String[0] : placeholders.split(","));
    }

    @Test
    void singleSegmentTemplatesRenderWithoutCopying() {
        String value = new String("value-instance");
        Template single = Template.parse("{key}", KAFKA_RECORD);
        assertThat(single.render(p -> value)).isSameAs(value);

        Template constant = Template.parse("fixed", KAFKA_RECORD);
        assertThat(constant.render(p -> "ignored")).isSameAs(constant.render(p -> "other"));

        TopicMatch match = TopicFilter.parse("a/+").match("a/b").orElseThrow();
        Template topic = Template.parse("{topic}", PlaceholderSet.forFilter(match.filter()));
        assertThat(topic.render(match)).isSameAs(match.topic());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        // template           | expected message fragment
        "x.{sitee}            | invalid template 'x.{sitee}': unknown placeholder {sitee}; allowed: {site}, {device}, {1}..{2}, {topic}",
        "{3}                  | placeholder {3} refers to a wildcard that topic filter 'p/{site}/{device}' does not have (it has 2 wildcards); allowed: {site}, {device}, {1}..{2}, {topic}",
        "{0}                  | placeholder {0} is invalid: wildcards are numbered from 1",
        "{01}                 | placeholder {01} is invalid: write wildcard positions without leading zeros",
        "{1234567}            | placeholder {1234567} refers to a wildcard that topic filter 'p/{site}/{device}' does not have",
        "{ site }             | unknown placeholder { site }",
        "{SITE}               | unknown placeholder {SITE}",
        "{key}                | unknown placeholder {key}",
        "abc{site             | unclosed '{' at index 3",
        "{a{site}             | unclosed '{' at index 0",
        "a{}b                 | empty placeholder {} at index 1",
        "a}b                  | unmatched '}' at index 1",
        "{site}}              | unmatched '}' at index 6",
    })
    void rejectsInvalidTemplatesForFilter(String template, String fragment) {
        PlaceholderSet allowed = PlaceholderSet.forFilter(TopicFilter.parse("p/{site}/{device}"));

        assertThatThrownBy(() -> Template.parse(template, allowed))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(fragment);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "a/b      | {1}   | it has no wildcards); allowed: {topic}",
        "a/+      | {2}   | it has 1 wildcard); allowed: {1}, {topic}",
    })
    void describesSmallFilters(String filter, String template, String fragment) {
        PlaceholderSet allowed = PlaceholderSet.forFilter(TopicFilter.parse(filter));

        assertThatThrownBy(() -> Template.parse(template, allowed)).hasMessageContaining(fragment);
    }

    @Test
    void rejectsEmptyTemplate() {
        assertThatThrownBy(() -> Template.parse("", KAFKA_RECORD))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("template must not be empty");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "devices/{key}/state             | devices/k1/state",
        "{topic}/{partition}             | orders/3",
        "x/{header:foo}/{header:bar-baz} | x/F/B",
        "{{key}}                         | {key}",
    })
    void rendersKafkaRecordPlaceholders(String template, String rendered) {
        Map<String, String> values = Map.of("key", "k1", "topic", "orders", "partition", "3",
                "header:foo", "F", "header:bar-baz", "B");

        assertThat(Template.parse(template, KAFKA_RECORD).render(values::get)).isEqualTo(rendered);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{header:}       | placeholder {header:} needs a name after 'header:'; allowed: {key}, {partition}, {topic}, {header:<name>}",
        "{headers:foo}   | unknown placeholder {headers:foo}; allowed: {key}, {partition}, {topic}, {header:<name>}",
        "{1}             | unknown placeholder {1}",
        "{offset}        | unknown placeholder {offset}",
    })
    void rejectsInvalidKafkaRecordPlaceholders(String template, String fragment) {
        assertThatThrownBy(() -> Template.parse(template, KAFKA_RECORD))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(fragment);
    }

    @Test
    void renderFailsClearlyWhenAValueIsMissing() {
        Template t = Template.parse("a/{header:x}", KAFKA_RECORD);

        assertThatThrownBy(() -> t.render(p -> null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("template 'a/{header:x}': no value for placeholder {header:x}");
    }

    @Test
    void placeholderSetRejectsUnusableNames() {
        assertThatThrownBy(() -> PlaceholderSet.of(Set.of(""), Set.of()))
                .hasMessage("placeholder name must not be empty");
        assertThatThrownBy(() -> PlaceholderSet.of(Set.of("a{b"), Set.of()))
                .hasMessage("placeholder name 'a{b' must not contain '{' or '}'");
        assertThatThrownBy(() -> PlaceholderSet.of(Set.of(), Set.of("")))
                .hasMessage("placeholder prefix must not be empty");
    }

    @Test
    void placeholderSetForFilterAllowsNamesPositionsAndTopic() {
        PlaceholderSet set = PlaceholderSet.forFilter(TopicFilter.parse("a/{x}/#"));

        assertThat(set.describe()).isEqualTo("{x}, {1}..{2}, {topic}");
        assertThat(set.allows("x")).isTrue();
        assertThat(set.allows("1")).isTrue();
        assertThat(set.allows("2")).isTrue();
        assertThat(set.allows("topic")).isTrue();
        assertThat(set.allows("3")).isFalse();
        assertThat(set.allows("y")).isFalse();
        assertThat(set.filter()).contains(TopicFilter.parse("a/{x}/#"));
    }
}
