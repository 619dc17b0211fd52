package io.mqttkafka.bridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KafkaTopicSelectorTest {

    /** "~regex" is a pattern selector, anything else a topic name. */
    private static KafkaTopicSelector selector(String spec) {
        return spec.startsWith("~") ? KafkaTopicSelector.pattern(spec.substring(1)) : KafkaTopicSelector.topic(spec);
    }

    private static List<KafkaTopicSelector> selectors(String specs) {
        return Arrays.stream(specs.split(" ")).map(KafkaTopicSelectorTest::selector).toList();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "\"\"       | '' is not a legal Kafka topic name: Kafka topic name must not be empty",
        "..         | '..' is not a legal Kafka topic name: Kafka topic name must not be '.' or '..'",
        "bad topic  | 'bad topic' is not a legal Kafka topic name: Kafka topic name 'bad topic' contains illegal"
                + " character U+0020 at index 3; allowed are ASCII letters, digits, '.', '_' and '-'",
        "a/b        | 'a/b' is not a legal Kafka topic name: Kafka topic name 'a/b' contains illegal character '/'"
                + " at index 1; allowed are ASCII letters, digits, '.', '_' and '-'",
        "cmd-.*     | 'cmd-.*' is not a legal Kafka topic name: Kafka topic name 'cmd-.*' contains illegal"
                + " character '*' at index 5; allowed are ASCII letters, digits, '.', '_' and '-'",
    })
    void topicRejectsIllegalKafkaNames(String topic, String message) {
        assertThatThrownBy(() -> KafkaTopicSelector.topic(topic))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void topicRejectsOverLongName() {
        assertThatThrownBy(() -> KafkaTopicSelector.topic("t".repeat(250)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("is not a legal Kafka topic name: Kafka topic name is 250 characters long;"
                        + " the maximum is 249");
    }

    @ParameterizedTest
    @CsvSource({"commands", "commands.v1", "a_b-C.9", ".x", "..."})
    void topicAcceptsLegalNames(String topic) {
        KafkaTopicSelector selector = KafkaTopicSelector.topic(topic);

        assertThat(selector.isPattern()).isFalse();
        assertThat(selector).hasToString(topic);
        assertThat(selector.matches(topic)).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "commands.(   | 'commands.(' is not a valid regular expression: Unclosed group near index 10",
        "[a-          | '[a-' is not a valid regular expression: Illegal character range near index 3",
        "*cmd         | '*cmd' is not a valid regular expression: Dangling meta character '*' near index 0",
        "a{2,1}       | 'a{2,1}' is not a valid regular expression: Illegal repetition range near index 5",
        "\"\"         | topic pattern must not be empty",
    })
    void patternRejectsBadRegexesNamingTheProblem(String regex, String message) {
        assertThatThrownBy(() -> KafkaTopicSelector.pattern(regex))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @ParameterizedTest(name = "[{index}] {0} ~ {1}: {2}")
    @CsvSource({
        // selector,          topic,           matches
        "commands,            commands,        true",
        "commands,            commands2,       false",
        "commands,            xcommands,       false",
        "commands.v1,         commands.v1,     true",
        "commands.v1,         commandsXv1,     false",
        "~commands\\..*,      commands.a,      true",
        "~commands\\..*,      commands.,       true",
        "~commands\\..*,      xcommands.a,     false",
        "~commands\\..*,      commandsXa,      false",
        // Whole-name match, like the Kafka consumer's pattern subscription: no implicit '.*' either side.
        "~cmd,                cmd,             true",
        "~cmd,                cmd-2,           false",
        "~cmd,                my-cmd,          false",
        "~a|b,                a,               true",
        "~a|b,                b,               true",
        "~a|b,                ab,              false",
        "~cmd-[0-9]+,         cmd-42,          true",
        "~cmd-[0-9]+,         cmd-42a,         false",
    })
    void matchesIsAWholeNameMatch(String spec, String topic, boolean matches) {
        assertThat(selector(spec).matches(topic)).isEqualTo(matches);
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "a            | a",
        "a b          | a,b",
        "b a          | b,a",
        "a b a        | a,b",
        "a a a        | a",
        "x.y x_y x.y  | x.y,x_y",
    })
    void unionOfNamesIsTheTopicListWithoutDuplicates(String specs, String topics) {
        KafkaTopicSelector.Subscription subscription = KafkaTopicSelector.union(selectors(specs));

        assertThat(subscription.pattern()).isNull();
        assertThat(subscription.topics()).containsExactly(topics.split(","));
    }

    @ParameterizedTest(name = "[{index}] {0}: {1}")
    @CsvSource(delimiter = ';', value = {
        // selectors                      ; matched                      ; not matched
        "~cmd-.*                          ; cmd-1,cmd-                   ; cmd,xcmd-1",
        "a.b ~cmd-.* x                    ; a.b,x,cmd-1                  ; aXb,a.bx,xx,cmd,x.b",
        // A literal name's '.' stays literal even next to a pattern.
        "commands.v1 ~events\\..+         ; commands.v1,events.a         ; commandsXv1,events.,events",
        // Alternations inside one pattern do not leak into the others.
        "~a|b c                           ; a,b,c                        ; ab,bc,ac,a|b",
        "~a|b ~c|d                        ; a,b,c,d                      ; bc,ad,b|c",
        // An inline flag applies to its own pattern only.
        "~(?i)cmd B                       ; cmd,CMD,Cmd,B                ; b,cmdB",
        // Anchors inside a pattern stay inside it.
        "~^a$ b                           ; a,b                          ; ab",
        "~x.+ x                           ; x,xy,x.                      ; y,ax",
    })
    void unionWithAPatternIsOnePatternMatchingExactlyTheUnion(String specs, String matched, String notMatched) {
        List<KafkaTopicSelector> selectors = selectors(specs);

        KafkaTopicSelector.Subscription subscription = KafkaTopicSelector.union(selectors);

        assertThat(subscription.topics()).isEmpty();
        Pattern pattern = subscription.pattern();
        assertThat(pattern).isNotNull();
        for (String topic : matched.split(",")) {
            assertThat(pattern.matcher(topic).matches()).as("union pattern %s matches %s", pattern, topic).isTrue();
            assertThat(selectors).as("some selector matches %s", topic).anyMatch(s -> s.matches(topic));
        }
        for (String topic : notMatched.split(",")) {
            assertThat(pattern.matcher(topic).matches()).as("union pattern %s matches %s", pattern, topic).isFalse();
            assertThat(selectors).as("no selector matches %s", topic).noneMatch(s -> s.matches(topic));
        }
    }

    @Test
    void unionOfNothingIsRejected() {
        assertThatThrownBy(() -> KafkaTopicSelector.union(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("at least one topic selector is needed");
    }

    @ParameterizedTest
    @CsvSource({
        "commands,       commands,       true",
        "commands,       other,          false",
        "~cmd.*,         ~cmd.*,         true",
        "~cmd.*,         ~cmd.+,         false",
        // A name and a pattern with the same text are different selectors.
        "commands,       ~commands,      false",
    })
    void equalityIsByNameOrPatternText(String a, String b, boolean equal) {
        assertThat(selector(a).equals(selector(b))).isEqualTo(equal);
        if (equal) {
            assertThat(selector(a)).hasSameHashCodeAs(selector(b));
        }
    }

    @Test
    void toStringShowsPatternsBetweenSlashes() {
        assertThat(KafkaTopicSelector.pattern("cmd-.*")).hasToString("/cmd-.*/");
        assertThat(KafkaTopicSelector.pattern("cmd-.*").isPattern()).isTrue();
    }

    // ---- Patterns that cannot be merged into one subscription ----

    /**
     * Merging joins the patterns into one regex, which renumbers capturing groups: a numbered backreference in
     * a later pattern would point at another pattern's group. Such a pattern cannot share a subscription.
     */
    @Test
    void unionRefusesBackreferences() {
        List<KafkaTopicSelector> selectors = List.of(KafkaTopicSelector.pattern("(x)y"),
                KafkaTopicSelector.pattern("(a)\\1"));

        assertThatThrownBy(() -> KafkaTopicSelector.union(selectors))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pattern '(a)\\1' uses a backreference, so it cannot share one consumer subscription"
                        + " with other mappings");
        assertThat(KafkaTopicSelector.union(List.of(selectors.get(1))).pattern().matcher("aa").matches()).isTrue();
    }

    /** The same group name twice does not compile as one regex. */
    @Test
    void unionRefusesNamedGroups() {
        List<KafkaTopicSelector> selectors = List.of(KafkaTopicSelector.pattern("(?<env>dev)\\.cmd"),
                KafkaTopicSelector.pattern("(?<env>prod)\\.cmd"));

        assertThatThrownBy(() -> KafkaTopicSelector.union(selectors))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("pattern '(?<env>dev)\\.cmd' defines a named group");
        assertThat(KafkaTopicSelector.pattern("(?<=a)b|(?<!c)d").uncombinableReason())
                .as("lookbehind is not a named group").isNull();
    }
}
