package io.mqttkafka.bridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.mqttkafka.bridge.mapping.PropertyCheck.Strings;

/**
 * {@link TopicFilter} against {@link MqttSpecMatcher}, the specification's rules written out naively, over generated
 * filters and topics. The generator draws levels from one small alphabet (with empty levels and '$' levels) and builds
 * most filters from a topic, so that matches are frequent; each property counts what it saw and fails when a kind of
 * case it exists for (a match, '#' matching its parent, a '$' topic under a leading wildcard, ...) was too rare to mean
 * anything.
 */
class TopicFilterPropertyTest {

    private static final int TRIES = 20_000;

    /** Levels topics and filters are made of: empty, '$' (special only as the first level), case and space. */
    private static final List<String> LEVELS = List.of("a", "b", "", "A", "$SYS", "$x", "a b", "\u00e9", "x.y");

    /**
     * A filter in the specification's syntax, level by level ({@code +}, {@code #} or a literal; a named level is
     * {@code {nK}}), optionally shared, and a topic.
     */
    record Case(boolean shared, List<String> filterLevels, List<String> topicLevels) {

        String bridgeFilter() {
            return (shared ? "$share/g/" : "") + String.join("/", filterLevels);
        }

        /** The same filter as the specification writes it: named levels are '+'. */
        String specFilter() {
            List<String> levels = new ArrayList<>();
            for (String level : filterLevels) {
                levels.add(level.startsWith("{") ? "+" : level);
            }
            return (shared ? "$share/g/" : "") + String.join("/", levels);
        }

        String topic() {
            return String.join("/", topicLevels);
        }

        /** A filter must have at least one character after any share prefix; the generator never makes one without. */
        boolean filterIsValid() {
            return !String.join("/", filterLevels).isEmpty();
        }

        @Override
        public String toString() {
            return "filter '" + bridgeFilter() + "', topic '" + topic() + "'";
        }
    }

    static Case generate(Random random) {
        List<String> topic = new ArrayList<>();
        int depth = 1 + random.nextInt(5);
        for (int i = 0; i < depth; i++) {
            topic.add(LEVELS.get(random.nextInt(LEVELS.size())));
        }
        List<String> filter = new ArrayList<>();
        int named = 0;
        if (random.nextInt(10) < 7) {
            // Derived from the topic: wildcards in place of levels, perhaps cut short by '#', perhaps one level
            // changed, added or dropped, so that near misses are as frequent as matches.
            for (String level : topic) {
                int pick = random.nextInt(10);
                filter.add(pick < 3 ? "+" : pick < 4 ? "{n" + named++ + "}" : level);
            }
            if (random.nextInt(4) == 0) {
                int cut = random.nextInt(filter.size() + 1);
                filter = new ArrayList<>(filter.subList(0, cut));
                filter.add("#");
            }
            int change = random.nextInt(10);
            if (change == 0 && !filter.get(filter.size() - 1).equals("#")) {
                filter.add(LEVELS.get(random.nextInt(LEVELS.size())));
            } else if (change == 1 && filter.size() > 1) {
                filter.remove(random.nextInt(filter.size()));
            } else if (change == 2) {
                int at = random.nextInt(filter.size());
                if (!filter.get(at).equals("#")) {
                    filter.set(at, LEVELS.get(random.nextInt(LEVELS.size())));
                }
            }
        } else {
            int levels = 1 + random.nextInt(5);
            for (int i = 0; i < levels; i++) {
                int pick = random.nextInt(10);
                filter.add(pick < 2 ? "+" : pick < 3 ? "{n" + named++ + "}" : LEVELS.get(random.nextInt(LEVELS.size())));
            }
            if (random.nextInt(3) == 0) {
                filter.add("#");
            }
        }
        if (!new Case(false, filter, topic).filterIsValid()) {
            filter = List.of("+");
        }
        return new Case(random.nextInt(6) == 0, filter, topic);
    }

    static List<Case> shrink(Case c) {
        List<Case> out = new ArrayList<>();
        if (c.shared()) {
            out.add(new Case(false, c.filterLevels(), c.topicLevels()));
        }
        for (List<String> topic : Strings.shrinkList(c.topicLevels(), TopicFilterPropertyTest::simpler, 1)) {
            out.add(new Case(c.shared(), c.filterLevels(), topic));
        }
        for (List<String> filter : Strings.shrinkList(c.filterLevels(), TopicFilterPropertyTest::simplerFilterLevel, 1)) {
            Case candidate = new Case(c.shared(), filter, c.topicLevels());
            // '#' must stay last; a shrink that moves it is not a filter.
            if (!filter.subList(0, filter.size() - 1).contains("#") && candidate.filterIsValid()) {
                out.add(candidate);
            }
        }
        return out;
    }

    private static List<String> simpler(String level) {
        return level.equals("a") ? List.of() : List.of("a");
    }

    private static List<String> simplerFilterLevel(String level) {
        if (level.startsWith("{")) {
            return List.of("+");
        }
        return level.equals("+") || level.equals("#") || level.equals("a") ? List.of() : List.of("a");
    }

    @Test
    void matchesLikeTheSpecification() {
        AtomicInteger matched = new AtomicInteger();
        AtomicInteger parentByHash = new AtomicInteger();
        AtomicInteger dollarUnderWildcard = new AtomicInteger();
        AtomicInteger emptyLevelMatched = new AtomicInteger();
        AtomicInteger sharedMatched = new AtomicInteger();

        int tries = PropertyCheck.forAll("TopicFilter matches as MQTT 5 § 4.7 says", TRIES,
                TopicFilterPropertyTest::generate, TopicFilterPropertyTest::shrink, c -> {
                    String topic = c.topic();
                    boolean expected = MqttSpecMatcher.matches(c.specFilter(), topic);
                    TopicFilter filter = TopicFilter.parse(c.bridgeFilter());

                    assertThat(filter.matches(topic)).as("matches(..) of %s", c).isEqualTo(expected);
                    assertThat(filter.match(topic).isPresent()).as("match(..) of %s", c).isEqualTo(expected);

                    String first = c.filterLevels().get(0);
                    if (expected) {
                        matched.incrementAndGet();
                        if (c.filterLevels().size() == c.topicLevels().size() + 1
                                && c.filterLevels().get(c.filterLevels().size() - 1).equals("#")) {
                            parentByHash.incrementAndGet();
                        }
                        if (c.topicLevels().contains("")) {
                            emptyLevelMatched.incrementAndGet();
                        }
                        if (c.shared()) {
                            sharedMatched.incrementAndGet();
                        }
                    } else if (topic.startsWith("$") && (first.equals("+") || first.equals("#")
                            || first.startsWith("{"))) {
                        dollarUnderWildcard.incrementAndGet();
                    }
                });

        System.out.printf("  matched %d, '#' matching its parent %d, '$' topic under a leading wildcard %d,"
                + " matched with an empty level %d, shared matched %d%n", matched.get(), parentByHash.get(),
                dollarUnderWildcard.get(), emptyLevelMatched.get(), sharedMatched.get());
        // Without these the property could pass by comparing two matchers on cases where both trivially say no.
        assertThat(matched.get()).as("matches among %d tries", tries).isBetween(tries / 5, tries * 4 / 5);
        assertThat(parentByHash.get()).as("'#' matching its parent level").isGreaterThan(tries / 200);
        assertThat(dollarUnderWildcard.get()).as("'$' topics under a leading wildcard").isGreaterThan(tries / 200);
        assertThat(emptyLevelMatched.get()).as("matches of topics with an empty level").isGreaterThan(tries / 200);
        assertThat(sharedMatched.get()).as("matches of shared filters").isGreaterThan(tries / 200);
    }

    /** Each wildcard of a matching filter yields exactly the topic level(s) at its position, by position and by name. */
    /**
     * {@link TopicFilter#overlaps}: when a topic matches both filters (as the specification says) they overlap, and when
     * they overlap a topic built from them level by level matches both. Half the pairs share their topic, so that
     * overlaps are frequent.
     */
    @Test
    void overlapsExactlyWhenSomeTopicMatchesBoth() {
        AtomicInteger overlapping = new AtomicInteger();
        AtomicInteger disjoint = new AtomicInteger();
        int tries = PropertyCheck.forAll("overlaps(..) is whether some topic matches both filters", TRIES,
                random -> {
                    Case first = generate(random);
                    Case second = generate(random);
                    return random.nextBoolean() ? List.of(first, second)
                            : List.of(first, new Case(second.shared(), second.filterLevels(), first.topicLevels()));
                }, pair -> List.of(), pair -> {
                    Case a = pair.get(0);
                    Case b = pair.get(1);
                    if (!a.filterIsValid() || !b.filterIsValid()) {
                        return;
                    }
                    boolean overlaps = TopicFilter.parse(a.bridgeFilter()).overlaps(TopicFilter.parse(b.bridgeFilter()));
                    for (String topic : List.of(a.topic(), b.topic())) {
                        if (!topic.isEmpty() && MqttSpecMatcher.matches(a.specFilter(), topic)
                                && MqttSpecMatcher.matches(b.specFilter(), topic)) {
                            assertThat(overlaps).as("'%s' matches both '%s' and '%s'", topic, a.specFilter(),
                                    b.specFilter()).isTrue();
                        }
                    }
                    if (overlaps) {
                        overlapping.incrementAndGet();
                        String witness = witness(levels(a.specFilter()), levels(b.specFilter()));
                        assertThat(MqttSpecMatcher.matches(a.specFilter(), witness)
                                && MqttSpecMatcher.matches(b.specFilter(), witness))
                                .as("'%s' and '%s' overlap, so '%s' matches both", a.specFilter(), b.specFilter(), witness)
                                .isTrue();
                    } else {
                        disjoint.incrementAndGet();
                    }
                });
        assertThat(overlapping.get()).as("overlapping pairs seen").isGreaterThan(tries / 20);
        assertThat(disjoint.get()).as("disjoint pairs seen").isGreaterThan(tries / 20);
    }

    private static List<String> levels(String specFilter) {
        String filter = specFilter.startsWith("$share/g/") ? specFilter.substring("$share/g/".length()) : specFilter;
        return List.of(filter.split("/", -1));
    }

    /** A topic matching both filters if they overlap: their literals where they have one, "w" for wildcards. */
    private static String witness(List<String> a, List<String> b) {
        List<String> topic = new ArrayList<>();
        for (int i = 0;; i++) {
            String x = i < a.size() ? a.get(i) : null;
            String y = i < b.size() ? b.get(i) : null;
            if (x == null || y == null) {
                break;
            }
            if (x.equals("#") && y.equals("#")) {
                topic.add("w");
                break;
            }
            if (x.equals("#") || y.equals("#")) {
                List<String> rest = x.equals("#") ? b : a;
                int j = i;
                for (; j < rest.size() && !rest.get(j).equals("#"); j++) {
                    topic.add(rest.get(j).equals("+") ? "w" : rest.get(j));
                }
                if (j < rest.size()) {
                    topic.add("w"); // both end in '#': one more level keeps the topic from being ""
                }
                break;
            }
            topic.add(x.equals("+") ? (y.equals("+") ? "w" : y) : x);
        }
        return String.join("/", topic);
    }

    @Test
    void capturesExactlyTheLevelsAtEachWildcard() {
        AtomicInteger withNamedLevels = new AtomicInteger();

        int tries = PropertyCheck.forAll("match(..) captures the level at each wildcard's position", TRIES,
                TopicFilterPropertyTest::generate, TopicFilterPropertyTest::shrink, c -> {
                    List<String> expected = MqttSpecMatcher.values(c.specFilter(), c.topic());
                    Optional<TopicMatch> match = TopicFilter.parse(c.bridgeFilter()).match(c.topic());
                    if (expected == null) {
                        assertThat(match).as("%s", c).isEmpty();
                        return;
                    }
                    assertThat(match).as("%s", c).isPresent();
                    assertThat(match.get().wildcardValues()).as("wildcard values of %s", c).isEqualTo(expected);
                    assertThat(match.get().topic()).isEqualTo(c.topic());
                    int wildcard = 0;
                    boolean named = false;
                    for (String level : c.filterLevels()) {
                        if (level.startsWith("{")) {
                            String name = level.substring(1, level.length() - 1);
                            assertThat(match.get().named(name)).as("{%s} of %s", name, c)
                                    .contains(expected.get(wildcard));
                            assertThat(match.get().value(name)).isEqualTo(expected.get(wildcard));
                            named = true;
                        }
                        if (level.equals("+") || level.equals("#") || level.startsWith("{")) {
                            wildcard++;
                            assertThat(match.get().value(Integer.toString(wildcard))).as("{%d} of %s", wildcard, c)
                                    .isEqualTo(expected.get(wildcard - 1));
                        }
                    }
                    if (named) {
                        withNamedLevels.incrementAndGet();
                    }
                });

        System.out.printf("  matched with named levels %d%n", withNamedLevels.get());
        assertThat(withNamedLevels.get()).as("matches with named levels among %d tries", tries)
                .isGreaterThan(tries / 20);
    }

    /** The reference itself, against the examples the specification gives (§ 4.7.1.2, § 4.7.1.3, § 4.7.2). */
    @ParameterizedTest(name = "[{index}] {0} ~ {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        "sport/tennis/player1/#  | sport/tennis/player1                  | true",
        "sport/tennis/player1/#  | sport/tennis/player1/ranking          | true",
        "sport/tennis/player1/#  | sport/tennis/player1/score/wimbledon  | true",
        "sport/#                 | sport                                 | true",
        "#                       | sport/tennis                          | true",
        "sport/tennis/+          | sport/tennis/player1                  | true",
        "sport/tennis/+          | sport/tennis/player1/ranking          | false",
        "sport/+                 | sport                                 | false",
        "sport/+                 | sport/                                | true",
        "+/+                     | /finance                              | true",
        "/+                      | /finance                              | true",
        "+                       | /finance                              | false",
        "#                       | $SYS/monitor/Clients                  | false",
        "+/monitor/Clients       | $SYS/monitor/Clients                  | false",
        "$SYS/#                  | $SYS/monitor/Clients                  | true",
        "$SYS/monitor/+          | $SYS/monitor/Clients                  | true",
        "$share/g/sport/#        | sport/tennis                          | true",
        "$share/g/#              | $SYS/x                                | false",
        "ACCOUNTS                | Accounts                              | false",
    })
    void referenceFollowsTheSpecificationsExamples(String filter, String topic, boolean expected) {
        assertThat(MqttSpecMatcher.matches(filter, topic)).isEqualTo(expected);
        assertThat(TopicFilter.parse(filter).matches(topic)).isEqualTo(expected);
    }
}
