package io.mqttkafka.bridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class RouteTableTest {

    static MqttToKafkaRoute route(String name, String filter, String kafkaTopic, String key) {
        TopicFilter f = TopicFilter.parse(filter);
        PlaceholderSet allowed = PlaceholderSet.forFilter(f);
        return new MqttToKafkaRoute(name, f, 1, Template.parse(kafkaTopic, allowed),
                key == null ? null : Template.parse(key, allowed), false);
    }

    private static final List<MqttToKafkaRoute> ROUTES = List.of(
            route("telemetry", "plant/{site}/{device}/telemetry", "telemetry.{site}", "{device}"),
            route("all-plant", "plant/#", "plant-raw", null),
            route("state", "$share/bridge/plant/{site}/+/state", "state", "{site}-{2}"),
            route("sys", "$SYS/#", "broker-sys", "{1}"));

    /** Expected targets as "route>kafkaTopic>key" separated by ";"; empty means no route matches. */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "plant/s1/d7/telemetry   | telemetry>telemetry.s1>d7;all-plant>plant-raw>plant/s1/d7/telemetry",
        "plant/s1/d7/state       | all-plant>plant-raw>plant/s1/d7/state;state>state>s1-d7",
        "plant                   | all-plant>plant-raw>plant",
        "plant/s1                | all-plant>plant-raw>plant/s1",
        "$SYS/broker/uptime      | sys>broker-sys>broker/uptime",
        "other/topic             | ''",
        "Plant/s1/d7/telemetry   | ''",
    })
    void routesToEveryMatchingRouteInDeclarationOrder(String topic, String expected) {
        RouteTable table = new RouteTable(ROUTES);

        List<String> actual = table.route(topic).stream()
                .map(t -> t.route().name() + ">" + t.kafkaTopic() + ">" + t.key())
                .toList();

        assertThat(actual).isEqualTo(expected.isEmpty() ? List.of() : Arrays.asList(expected.split(";")));
        // The second (cached) call must return the same answer.
        assertThat(table.route(topic).stream().map(t -> t.route().name() + ">" + t.kafkaTopic() + ">" + t.key())
                .toList()).isEqualTo(actual);
    }

    /**
     * A copy delivered for some subscriptions (its MQTT 5 subscription identifiers) goes only to the routes of those
     * subscriptions; unknown or empty goes by topic. Filters as subscribed: "telemetry" subscribes to
     * "plant/+/+/telemetry", "state" to "$share/bridge/plant/+/+/state".
     */
    @ParameterizedTest(name = "[{index}] {0} delivered for {1}")
    @CsvSource(delimiter = '|', value = {
        "plant/s1/d7/telemetry | plant/+/+/telemetry                       | telemetry",
        "plant/s1/d7/telemetry | plant/#                                   | all-plant",
        "plant/s1/d7/telemetry | plant/+/+/telemetry,plant/#               | telemetry;all-plant",
        "plant/s1/d7/telemetry | ''                                        | telemetry;all-plant",
        "plant/s1/d7/telemetry | other/#                                   | telemetry;all-plant",
        "plant/s1/d7/state     | $share/bridge/plant/+/+/state             | state",
        "plant/s1/d7/state     | plant/#                                   | all-plant",
        "plant/s1              | plant/+/+/telemetry                       | all-plant",
    })
    void aCopyGoesToTheRoutesOfTheSubscriptionsItWasDeliveredFor(String topic, String deliveredFor, String expected) {
        RouteTable table = new RouteTable(ROUTES);
        Set<String> subscriptions = deliveredFor.isEmpty() ? Set.of()
                : Set.of(deliveredFor.split(","));

        assertThat(table.route(topic, subscriptions).stream().map(t -> t.route().name()).toList())
                .isEqualTo(Arrays.asList(expected.split(";")));
    }

    @Test
    void overlappingRoutesRenderingTheSameTopicYieldOneTargetEach() {
        RouteTable table = new RouteTable(List.of(
                route("first", "a/+", "same", null),
                route("second", "a/#", "same", null),
                route("third", "+/b", "same", "k")));

        List<RouteTarget> targets = table.route("a/b");

        assertThat(targets).extracting(t -> t.route().name()).containsExactly("first", "second", "third");
        assertThat(targets).extracting(RouteTarget::kafkaTopic).containsOnly("same");
        assertThat(targets).extracting(RouteTarget::key).containsExactly("a/b", "a/b", "k");
    }

    @Test
    void namesEachPairOfDistinctOverlappingSubscriptionsOnce() {
        RouteTable table = new RouteTable(List.of(
                route("narrow", "a/o/+", "n", null),
                route("wide", "a/#", "w", null),
                route("same-as-wide", "a/#", "w2", null),
                route("named", "a/{site}/x", "x", null),
                route("other", "b/+", "b", null)));

        assertThat(table.overlappingSubscriptions()).containsExactly(
                "'a/o/+' and 'a/#'", "'a/o/+' and 'a/+/x'", "'a/#' and 'a/+/x'");
        assertThat(new RouteTable(ROUTES).overlappingSubscriptions()).containsExactly(
                "'plant/+/+/telemetry' and 'plant/#'", "'plant/#' and '$share/bridge/plant/+/+/state'");
    }

    @Test
    void noMatchReturnsTheSharedEmptyListAndIsNotCached() {
        RouteTable table = new RouteTable(ROUTES);

        assertThat(table.route("nothing/here")).isSameAs(List.of());
        assertThat(table.cachedTopicCount()).isZero();
        assertThat(new RouteTable(List.of()).route("a")).isEmpty();
    }

    @Test
    void resultsAreImmutable() {
        List<RouteTarget> targets = new RouteTable(ROUTES).route("plant/s1/d7/telemetry");
        assertThatThrownBy(() -> targets.add(targets.get(0))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void cacheStopsGrowingAtItsBoundAndStillRoutesCorrectly() {
        RouteTable table = new RouteTable(ROUTES, 3);

        for (int i = 0; i < 10; i++) {
            assertThat(table.route("plant/s" + i + "/d/telemetry").get(0).kafkaTopic()).isEqualTo("telemetry.s" + i);
        }
        assertThat(table.cachedTopicCount()).isEqualTo(3);
        assertThat(table.route("plant/s9/d/telemetry").get(0).kafkaTopic()).isEqualTo("telemetry.s9");
    }

    @Test
    void cachedTargetEncodesItsKeyOnce() {
        RouteTable table = new RouteTable(ROUTES);

        RouteTarget first = table.route("plant/s1/d7/telemetry").get(0);
        RouteTarget again = table.route("plant/s1/d7/telemetry").get(0);

        assertThat(first.keyBytes()).isEqualTo(first.key().getBytes(StandardCharsets.UTF_8));
        assertThat(again.keyBytes()).as("the same array for every message of a cached topic").isSameAs(first.keyBytes());
    }

    @Test
    void keyBytesAreUtf8() {
        MqttToKafkaRoute r = route("r", "a/{site}/#", "x.{site}", null);

        assertThat(r.target(r.filter().match("a/größe/ö").orElseThrow()).keyBytes())
                .isEqualTo("a/größe/ö".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void cacheCanBeDisabled() {
        RouteTable table = new RouteTable(ROUTES, 0);

        assertThat(table.route("plant/x").get(0).key()).isEqualTo("plant/x");
        assertThat(table.cachedTopicCount()).isZero();
    }

    @Test
    void concurrentRoutingOfManyTopicsIsCorrect() throws Exception {
        RouteTable table = new RouteTable(ROUTES, 500);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Integer>> tasks = new ArrayList<>();
            for (int thread = 0; thread < 8; thread++) {
                int seed = thread;
                tasks.add(() -> {
                    int checked = 0;
                    for (int i = 0; i < 5_000; i++) {
                        int n = (i * 31 + seed * 7) % 2_000; // overlapping topics across threads, > cache size
                        String topic = "plant/s" + n + "/d" + (n % 13) + "/telemetry";
                        List<RouteTarget> targets = table.route(topic);
                        if (targets.size() != 2
                                || !targets.get(0).kafkaTopic().equals("telemetry.s" + n)
                                || !targets.get(0).key().equals("d" + (n % 13))
                                || !targets.get(1).key().equals(topic)) {
                            throw new AssertionError("wrong targets for " + topic + ": " + targets);
                        }
                        checked++;
                    }
                    return checked;
                });
            }
            for (Future<Integer> result : pool.invokeAll(tasks)) {
                assertThat(result.get()).isEqualTo(5_000);
            }
        } finally {
            pool.shutdown();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(table.cachedTopicCount()).isBetween(500, 500 + 8);
    }

    @Test
    void rejectsDuplicateRouteNames() {
        assertThatThrownBy(() -> new RouteTable(List.of(route("r", "a", "x", null), route("r", "b", "y", null))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("duplicate route name 'r'");
        assertThatThrownBy(() -> new RouteTable(ROUTES, -1))
                .hasMessage("maxCachedTopics must not be negative, but was -1");
    }

    static Stream<Arguments> invalidRoutes() {
        TopicFilter filter = TopicFilter.parse("a/{site}/+");
        PlaceholderSet allowed = PlaceholderSet.forFilter(filter);
        Template ok = Template.parse("t.{site}", allowed);
        PlaceholderSet other = PlaceholderSet.forFilter(TopicFilter.parse("b/{dev}"));
        return Stream.of(
                Arguments.of((Runnable) () -> new MqttToKafkaRoute(null, filter, 0, ok, null, false),
                        "route name must not be null"),
                Arguments.of((Runnable) () -> new MqttToKafkaRoute(" ", filter, 0, ok, null, false),
                        "route name must not be blank"),
                Arguments.of((Runnable) () -> new MqttToKafkaRoute("r", null, 0, ok, null, false),
                        "route 'r': topic filter must not be null"),
                Arguments.of((Runnable) () -> new MqttToKafkaRoute("r", filter, 3, ok, null, false),
                        "route 'r': qos must be 0, 1 or 2, but was 3"),
                Arguments.of((Runnable) () -> new MqttToKafkaRoute("r", filter, -1, ok, null, false),
                        "route 'r': qos must be 0, 1 or 2, but was -1"),
                Arguments.of((Runnable) () -> new MqttToKafkaRoute("r", filter, 0, null, null, false),
                        "route 'r': Kafka topic template must not be null"),
                Arguments.of((Runnable) () -> new MqttToKafkaRoute("r", filter, 0,
                        Template.parse("t.{dev}", other), null, false),
                        "route 'r': Kafka topic template 't.{dev}' does not fit topic filter 'a/{site}/+':"
                                + " unknown placeholder {dev}; allowed: {site}, {1}..{2}, {topic}"),
                Arguments.of((Runnable) () -> new MqttToKafkaRoute("r", filter, 0, ok,
                        Template.parse("{dev}", other), false),
                        "route 'r': key template '{dev}' does not fit topic filter 'a/{site}/+'"),
                Arguments.of((Runnable) () -> new MqttToKafkaRoute("r", filter, 0,
                        Template.parse("bad topic", allowed), null, false),
                        "route 'r': Kafka topic 'bad topic' is invalid: Kafka topic name 'bad topic'"
                                + " contains illegal character U+0020 at index 3"),
                Arguments.of((Runnable) () -> new MqttToKafkaRoute("r", filter, 0,
                        Template.parse("mqtt/{site}", allowed), null, false),
                        "route 'r': Kafka topic template 'mqtt/{site}' contains '/', which is not legal"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("invalidRoutes")
    void routeValidationNamesRouteAndProblem(Runnable construct, String message) {
        assertThatThrownBy(construct::run).hasMessageContaining(message);
    }

    @Test
    void targetRendersTopicAndDefaultKey() {
        MqttToKafkaRoute r = route("r", "a/{site}/#", "x.{site}", null);
        RouteTarget target = r.target(r.filter().match("a/s1/b/c").orElseThrow());

        assertThat(target).isEqualTo(new RouteTarget(r, "x.s1", "a/s1/b/c"));
        assertThat(target.invalidKafkaTopicReason()).isEmpty();
        assertThat(r.target(r.filter().match("a/bad site").orElseThrow()).invalidKafkaTopicReason())
                .hasValueSatisfying(reason -> assertThat(reason).contains("illegal character U+0020 at index 5"));
        assertThatThrownBy(() -> r.target(TopicFilter.parse("a/#").match("a/b").orElseThrow()))
                .hasMessage("route 'r': match of topic filter 'a/#' cannot be rendered by a route"
                        + " for topic filter 'a/{site}/#'");
    }
}
