package io.mqttkafka.bridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class TopicFilterTest {

    static Stream<Arguments> invalidFilters() {
        return Stream.of(
                Arguments.of("", "must not be empty"),
                Arguments.of("a/#/b", "'#' must be the last level"),
                Arguments.of("#/a", "'#' must be the last level"),
                Arguments.of("a/b#", "'#' must occupy a whole level (level 2 is 'b#')"),
                Arguments.of("a/##", "'#' must occupy a whole level"),
                Arguments.of("a+/b", "'+' must occupy a whole level (level 1 is 'a+')"),
                Arguments.of("a/++", "'+' must occupy a whole level"),
                Arguments.of("$share//a", "empty share group"),
                Arguments.of("$share/", "empty share group"),
                Arguments.of("$share/g+/a", "share group 'g+' must not contain '+'"),
                Arguments.of("$share/g#/a", "share group 'g#' must not contain '#'"),
                Arguments.of("$share/g", "shared subscription needs a topic filter after '$share/g/'"),
                Arguments.of("$share/g/", "the topic filter after '$share/g/' must not be empty"),
                Arguments.of("a/{x}/{x}", "named level {x} declared twice"),
                Arguments.of("a/{}", "empty level name '{}'"),
                Arguments.of("a/{1x}", "invalid level name {1x}: must match [A-Za-z_][A-Za-z0-9_-]*"),
                Arguments.of("a/{x.y}", "invalid level name {x.y}"),
                Arguments.of("a/{x", "a named level must occupy a whole level as '{name}' (level 2 is '{x')"),
                Arguments.of("a/x}", "a named level must occupy a whole level"),
                Arguments.of("a/pre{x}", "a named level must occupy a whole level"),
                Arguments.of("a/{topic}", "level name {topic} is reserved"),
                Arguments.of("a/\u0000", "must not contain U+0000 (found at index 2)"),
                Arguments.of("a/\uD800", "unpaired surrogate U+D800 at index 2"),
                Arguments.of("a/\uDC00b", "unpaired surrogate U+DC00 at index 2"),
                Arguments.of("a/\tb", "contains U+0009 at index 2, a control character or Unicode non-character that"
                        + " MQTT disallows"),
                Arguments.of("a/\u0085", "contains U+0085 at index 2"),
                Arguments.of("a/\uFFFE", "contains U+FFFE at index 2"),
                Arguments.of("\uD83D\uDE00/\uD83F\uDFFF", "contains U+1FFFF at index 3"),
                Arguments.of("a".repeat(65_536), "is 65536 bytes long in UTF-8; the maximum is 65535"),
                Arguments.of("\u00e9".repeat(32_768), "is 65536 bytes long in UTF-8"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("invalidFilters")
    void rejectsInvalidFilters(String filter, String reason) {
        assertThatThrownBy(() -> TopicFilter.parse(filter))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid topic filter '")
                .hasMessageContaining(reason);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
        // filter                      | subscription            | topicFilter        | group | names        | wildcards | multi
        "sensors/temp                  | sensors/temp            | sensors/temp       | NULL  | ''           | 0 | false",
        "$share/g1/sensors/{site}/#    | $share/g1/sensors/+/#   | sensors/+/#        | g1    | site         | 2 | true",
        "a/{site}/+/{device}/#         | a/+/+/+/#               | a/+/+/+/#          | NULL  | site,device  | 4 | true",
        "#                             | #                       | #                  | NULL  | ''           | 1 | true",
        "+                             | +                       | +                  | NULL  | ''           | 1 | false",
        "/                             | /                       | /                  | NULL  | ''           | 0 | false",
        "$share/grp/$SYS/#             | $share/grp/$SYS/#       | $SYS/#             | grp   | ''           | 1 | true",
        "$SYS/broker/{metric}          | $SYS/broker/+           | $SYS/broker/+      | NULL  | metric       | 1 | false",
        "$share                        | $share                  | $share             | NULL  | ''           | 0 | false",
        "a/{_x-1}/b                    | a/+/b                   | a/+/b              | NULL  | _x-1         | 1 | false",
    })
    void exposesParsedParts(String filter, String subscription, String topicFilter, String group, String names,
            int wildcards, boolean multi) {
        TopicFilter parsed = TopicFilter.parse(filter);

        assertThat(parsed.subscriptionFilter()).isEqualTo(subscription);
        assertThat(parsed.topicFilter()).isEqualTo(topicFilter);
        assertThat(parsed.shareGroup()).isEqualTo(Optional.ofNullable(group));
        assertThat(parsed.levelNames()).isEqualTo(names.isEmpty() ? List.of() : Arrays.asList(names.split(",")));
        assertThat(parsed.wildcardCount()).isEqualTo(wildcards);
        assertThat(parsed.hasMultiLevelWildcard()).isEqualTo(multi);
        assertThat(parsed).hasToString(filter);
    }

    /** Overlap is symmetric: each row is checked both ways round. */
    @ParameterizedTest(name = "[{index}] {0} ~ {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        // filter a            | filter b         | overlap
        "a/o/+                 | a/#              | true",
        "a/+/x                 | a/o/#            | true",
        "a/b                   | a/b              | true",
        "a/b                   | a/b/#            | true",
        "a/b                   | a/b/+            | false",
        "a/+                   | b/#              | false",
        "a/+/x                 | a/+/y            | false",
        "a/{site}/x            | a/o/x            | true",
        "#                     | a/b/c            | true",
        "+/+                   | a                | false",
        "+                     | a                | true",
        "+/x                   | $SYS/x           | false",
        "#                     | $SYS/x           | false",
        "$SYS/#                | $SYS/broker/+    | true",
        "$share/g/a/#          | a/b              | true",
        "$share/g/a/#          | $share/h/b/#     | false",
        "a//b                  | a/+/b            | true",
        "/#                    | +                | false",
        "/#                    | +/+              | true",
    })
    void overlapIsWhetherSomeTopicMatchesBoth(String a, String b, boolean overlap) {
        assertThat(TopicFilter.parse(a).overlaps(TopicFilter.parse(b))).isEqualTo(overlap);
        assertThat(TopicFilter.parse(b).overlaps(TopicFilter.parse(a))).isEqualTo(overlap);
    }

    /** NO_MATCH in the values column means the topic must not match. */
    @ParameterizedTest(name = "[{index}] {0} ~ {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        // filter               | topic                   | values (comma-separated, ~ = empty string)
        "sport/tennis/#         | sport/tennis            | ~",
        "sport/tennis/#         | sport/tennis/player1    | player1",
        "sport/tennis/#         | sport/tennis/p1/ranking | p1/ranking",
        "sport/tennis/#         | sport/tennis/           | ~",
        "sport/tennis/#         | sport/tennisplayer1     | NO_MATCH",
        "sport/tennis/#         | sport                   | NO_MATCH",
        "sport/#                | sport                   | ~",
        "#                      | a/b/c                   | a/b/c",
        "#                      | /                       | /",
        "#                      | $SYS/x                  | NO_MATCH",
        "+/x                    | $SYS/x                  | NO_MATCH",
        "+                      | $SYS                    | NO_MATCH",
        "{root}/x               | $SYS/x                  | NO_MATCH",
        "$SYS/#                 | $SYS/x                  | x",
        "$SYS/+                 | $SYS/x                  | x",
        "$share/g/#             | $SYS/x                  | NO_MATCH",
        "$share/g/a/+           | a/b                     | b",
        "a/+/c                  | a/b/c                   | b",
        "a/+/c                  | a//c                    | ~",
        "a/+/c                  | a/b/c/d                 | NO_MATCH",
        "a/+/c                  | a/b                     | NO_MATCH",
        "a/+                    | a/                      | ~",
        "a/+                    | a                       | NO_MATCH",
        "+/+                    | /finance                | ~,finance",
        "/+                     | /finance                | finance",
        "+                      | /finance                | NO_MATCH",
        "+                      | finance                 | finance",
        "sensors/temp           | sensors/temp            | ",
        "sensors/temp           | sensors/temp/           | NO_MATCH",
        "sensors/temp           | sensors/tem             | NO_MATCH",
        "sensors/temp           | sensors/tempx           | NO_MATCH",
        "sensors/temp           | Sensors/temp            | NO_MATCH",
        "sensors/temp           | /sensors/temp           | NO_MATCH",
        "sensors/temp/          | sensors/temp/           | ",
        "sensors/temp/          | sensors/temp            | NO_MATCH",
        "a/{site}/+/{dev}/#     | a/s1/x/d9/r/s           | s1,x,d9,r/s",
        "a/{site}/+/{dev}/#     | a/s1/x/d9               | s1,x,d9,~",
        "a/{site}/+/{dev}/#     | a/s1/x                  | NO_MATCH",
        "a/b                    | a/B                     | NO_MATCH",
        "caf\u00e9/+            | caf\u00e9/\uD83D\uDE00  | \uD83D\uDE00",
    })
    void matchesLikeMqtt(String filter, String topic, String expected) {
        TopicFilter parsed = TopicFilter.parse(filter);
        Optional<TopicMatch> match = parsed.match(topic);

        if ("NO_MATCH".equals(expected)) {
            assertThat(match).isEmpty();
            assertThat(parsed.matches(topic)).isFalse();
            return;
        }
        List<String> values = expected == null ? List.of()
                : Arrays.stream(expected.split(",", -1)).map(v -> v.equals("~") ? "" : v).toList();
        assertThat(parsed.matches(topic)).isTrue();
        assertThat(match).hasValueSatisfying(m -> {
            assertThat(m.topic()).isEqualTo(topic);
            assertThat(m.filter()).isSameAs(parsed);
            assertThat(m.wildcardValues()).containsExactlyElementsOf(values);
        });
    }

    @Test
    void emptyTopicNeverMatches() {
        assertThat(TopicFilter.parse("#").match("")).isEmpty();
        assertThat(TopicFilter.parse("+").matches("")).isFalse();
    }

    @Test
    void namedLevelsAreCapturedByNameAndPosition() {
        TopicMatch m = TopicFilter.parse("$share/g/plant/{site}/+/{device}/#").match("plant/s1/temp/d7/a/b")
                .orElseThrow();

        assertThat(m.named("site")).contains("s1");
        assertThat(m.named("device")).contains("d7");
        assertThat(m.named("nope")).isEmpty();
        assertThat(m.value("site")).isEqualTo("s1");
        assertThat(m.value("1")).isEqualTo("s1");
        assertThat(m.value("2")).isEqualTo("temp");
        assertThat(m.value("3")).isEqualTo("d7");
        assertThat(m.value("4")).isEqualTo("a/b");
        assertThat(m.value("topic")).isEqualTo("plant/s1/temp/d7/a/b");
        assertThat(m.value("5")).isNull();
        assertThat(m.value("0")).isNull();
        assertThat(m.value("01")).isNull();
        assertThat(m.value("unknown")).isNull();
    }

    @Test
    void wildcardValuesAreImmutable() {
        TopicMatch m = TopicFilter.parse("a/+").match("a/b").orElseThrow();
        assertThatThrownBy(() -> m.wildcardValues().set(0, "x")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void equalityIsByText() {
        assertThat(TopicFilter.parse("a/{x}")).isEqualTo(TopicFilter.parse("a/{x}"))
                .hasSameHashCodeAs(TopicFilter.parse("a/{x}"))
                .isNotEqualTo(TopicFilter.parse("a/+"))
                .isNotEqualTo(TopicFilter.parse("$share/g/a/{x}"));
    }

    @Test
    void acceptsMaximumLength() {
        String filter = "a".repeat(65_535);
        assertThat(TopicFilter.parse(filter).matches(filter)).isTrue();
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> TopicFilter.parse(null)).isInstanceOf(NullPointerException.class);
    }
}
