package io.mqttkafka.bridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KafkaToMqttRouteGroupTest {

    /** "name@group:selector", where a selector starting with '~' is a pattern. */
    private static KafkaToMqttRoute route(String spec) {
        String name = spec.substring(0, spec.indexOf('@'));
        String group = spec.substring(spec.indexOf('@') + 1, spec.indexOf(':'));
        String source = spec.substring(spec.indexOf(':') + 1);
        KafkaTopicSelector selector = source.startsWith("~") ? KafkaTopicSelector.pattern(source.substring(1))
                : KafkaTopicSelector.topic(source);
        return new KafkaToMqttRoute(name, selector, group, Template.parse("out/" + name + "/{key}",
                KafkaRecordFields.PLACEHOLDERS), 1, false);
    }

    private static List<KafkaToMqttRoute> routes(String specs) {
        return Arrays.stream(specs.split(" ")).map(KafkaToMqttRouteGroupTest::route).toList();
    }

    private static String describe(List<KafkaToMqttRouteGroup> groups) {
        List<String> out = new ArrayList<>();
        for (KafkaToMqttRouteGroup group : groups) {
            out.add(group.groupId() + "=" + String.join(",", group.routes().stream().map(KafkaToMqttRoute::name).toList()));
        }
        return String.join(" ", out);
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        // routes (name@group:selector)                       | groups in order of first appearance
        "r1@g:a                                               | g=r1",
        "r1@g:a r2@g:b                                        | g=r1,r2",
        "r1@g1:a r2@g2:b                                      | g1=r1 g2=r2",
        "r1@g2:a r2@g1:b                                      | g2=r1 g1=r2",
        "r1@g1:a r2@g2:b r3@g1:c r4@g3:d                      | g1=r1,r3 g2=r2 g3=r4",
        "r1@b:a r2@a:b r3@c:c r4@a:d r5@b:e                   | b=r1,r5 a=r2,r4 c=r3",
    })
    void byGroupKeepsTheOrderOfFirstAppearance(String specs, String expected) {
        List<KafkaToMqttRouteGroup> groups = KafkaToMqttRouteGroup.byGroup(routes(specs));

        assertThat(describe(groups)).isEqualTo(expected);
    }

    @Test
    void byGroupOfNoRoutesIsNoGroups() {
        assertThat(KafkaToMqttRouteGroup.byGroup(List.of())).isEmpty();
    }

    @ParameterizedTest(name = "[{index}] {0}: {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        // routes of one group                          | record topic | routes, in declaration order
        "p@g:~cmd-.* a@g:cmd-1 b@g:other                | cmd-1        | p,a",
        "a@g:cmd-1 p@g:~cmd-.* b@g:other                | cmd-1        | a,p",
        "a@g:cmd-1 p@g:~cmd-.* b@g:other                | cmd-2        | p",
        "a@g:cmd-1 p@g:~cmd-.* b@g:other                | other        | b",
        "a@g:cmd-1 p@g:~cmd-.* b@g:other                | unknown      | ''",
        "a@g:t b@g:t c@g:t                              | t            | a,b,c",
        "x@g:~.* y@g:~t.* z@g:t                         | t            | x,y,z",
        "x@g:~.* y@g:~t.* z@g:t                         | tx           | x,y",
        "x@g:~.* y@g:~t.* z@g:t                         | u            | x",
        // Names are literal: '.' in a topic name is not a wildcard.
        "a@g:a.b                                        | aXb          | ''",
    })
    void routesForReturnsTheMatchingRoutesInDeclarationOrder(String specs, String topic, String expected) {
        KafkaToMqttRouteGroup group = new KafkaToMqttRouteGroup("g", routes(specs));

        List<String> names = group.routesFor(topic).stream().map(KafkaToMqttRoute::name).toList();

        assertThat(names).containsExactly(expected.isEmpty() ? new String[0] : expected.split(","));
        // Cached lookups give the same answer.
        assertThat(group.routesFor(topic).stream().map(KafkaToMqttRoute::name).toList()).isEqualTo(names);
    }

    @Test
    void subscriptionIsTheUnionOfTheRoutesSelectors() {
        KafkaToMqttRouteGroup names = new KafkaToMqttRouteGroup("g", routes("a@g:t1 b@g:t2 c@g:t1"));
        KafkaToMqttRouteGroup mixed = new KafkaToMqttRouteGroup("g", routes("a@g:t1 b@g:~cmd-.*"));

        assertThat(names.subscription().topics()).containsExactly("t1", "t2");
        assertThat(names.subscription().pattern()).isNull();
        assertThat(mixed.subscription().topics()).isEmpty();
        assertThat(mixed.subscription().pattern().matcher("t1").matches()).isTrue();
        assertThat(mixed.subscription().pattern().matcher("cmd-9").matches()).isTrue();
        assertThat(mixed.subscription().pattern().matcher("t2").matches()).isFalse();
    }

    @Test
    void routesAreKeptInDeclarationOrder() {
        KafkaToMqttRouteGroup group = new KafkaToMqttRouteGroup("g", routes("c@g:x a@g:y b@g:z"));

        assertThat(group.groupId()).isEqualTo("g");
        assertThat(group.routes()).extracting(KafkaToMqttRoute::name).containsExactly("c", "a", "b");
    }

    @Test
    void rejectsAnEmptyGroup() {
        assertThatThrownBy(() -> new KafkaToMqttRouteGroup("g", List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("group 'g' has no routes");
    }

    @Test
    void rejectsARouteOfAnotherGroup() {
        assertThatThrownBy(() -> new KafkaToMqttRouteGroup("g", routes("a@g:t b@h:u")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route 'b' belongs to group 'h', not 'g'");
    }
}
