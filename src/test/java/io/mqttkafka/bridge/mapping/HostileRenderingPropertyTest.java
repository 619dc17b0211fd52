package io.mqttkafka.bridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.mapping.PropertyCheck.Strings;

/**
 * Rendering targets from hostile values, in both directions: MQTT levels into a Kafka topic (and key), Kafka keys and
 * headers into an MQTT topic. A rendering is either refused with a reason (the pipeline then dead-letters the message
 * as {@code invalid-topic} or {@code invalid-mqtt-topic}) or is a legal topic that is exactly the template with each
 * value put where its placeholder stands; nothing else reaches a producer or the MQTT client.
 *
 * <p>The expected results come from a model written here from the rules (Kafka's {@code [a-zA-Z0-9._-]}, at most 249
 * characters, not {@code .} or {@code ..}; an MQTT topic name has no {@code +}, {@code #}, U+0000 or code point MQTT
 * 5 § 1.5.4 disallows, does not start with {@code $}, is at most 65535 UTF-8 bytes, and gets no empty level from a
 * value), not from the classes under test. As documented in the README, a {@code /} in a Kafka key or header spans MQTT levels: the model checks that it
 * adds exactly as many levels as it has slashes, and no empty one.
 */
class HostileRenderingPropertyTest {

    private static final int TRIES = 20_000;

    private static final String OVER_MQTT_LIMIT = "\u00e9".repeat(32_768); // 65536 bytes in UTF-8

    /** Short hostile pieces; values are one to three of them put together. */
    private static final List<String> PIECES = List.of("/", "a/b", "+", "#", "a+b", "x#", "$SYS", "$", "\u0000",
            "a\u0000b", "..", ".", "", " ", "a b", "\u00e9", "\uD800", "\uDC00", "\uD83D\uDE00", "{key}", "}{", "%2F",
            "\\", "\n", "\u0007", "\u007F", "\u0085", "\uFDD0", "\uFFFF", "\uD83F\uDFFE", "\u00a0", "\uFFFD", "dev-1",
            "a.b", "a_b", "ok", "A-Z_0.9");

    /** Values around the limits: Kafka's 249 characters and MQTT's 65535 bytes. */
    private static final List<String> LONG = List.of("x".repeat(124), "x".repeat(249), "x".repeat(250),
            "x".repeat(65_535), OVER_MQTT_LIMIT);

    /** Byte sequences that are not UTF-8: bad continuation, 0xFF, lone continuation, overlong '/', UTF-16 surrogate
     * (CESU-8), truncated 4-byte sequence, above U+10FFFF. */
    private static final List<byte[]> NOT_UTF8 = List.of(new byte[] {(byte) 0xC3, 0x28}, new byte[] {(byte) 0xFF},
            new byte[] {(byte) 0x80}, new byte[] {(byte) 0xC0, (byte) 0xAF},
            new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}, new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80,
                (byte) 0x80});

    static String hostile(Random random) {
        if (random.nextInt(25) == 0) {
            return LONG.get(random.nextInt(LONG.size()));
        }
        StringBuilder value = new StringBuilder();
        int pieces = 1 + random.nextInt(3);
        for (int i = 0; i < pieces; i++) {
            value.append(PIECES.get(random.nextInt(PIECES.size())));
        }
        return value.toString();
    }

    // ---- MQTT → Kafka ----

    private static final String FILTER = "s/{site}/{dev}/#";
    private static final List<String> KAFKA_LITERALS = List.of("iot", ".", "-", "_", "x.", "..", "a");
    private static final List<String> FILTER_PLACEHOLDERS = List.of("site", "dev", "1", "2", "3", "topic");

    /** One piece of a template: fixed text, or a placeholder by name. */
    record Part(String text, boolean placeholder) {

        static Part literal(String text) {
            return new Part(text, false);
        }

        static Part placeholder(String name) {
            return new Part(name, true);
        }
    }

    /** A template as parts, so that the model renders it without parsing the text. */
    record Segments(List<Part> parts) {

        String text() {
            StringBuilder text = new StringBuilder();
            for (Part part : parts) {
                text.append(part.placeholder() ? "{" + part.text() + "}"
                        : part.text().replace("{", "{{").replace("}", "}}"));
            }
            return text.toString();
        }

        boolean hasPlaceholder() {
            return parts.stream().anyMatch(Part::placeholder);
        }

        List<String> placeholders() {
            return parts.stream().filter(Part::placeholder).map(Part::text).toList();
        }

        /** The model's rendering: each placeholder replaced by its value, verbatim. */
        String render(java.util.function.Function<String, String> values) {
            StringBuilder out = new StringBuilder();
            for (Part part : parts) {
                out.append(part.placeholder() ? values.apply(part.text()) : part.text());
            }
            return out.toString();
        }

        @Override
        public String toString() {
            return text();
        }
    }

    record MqttCase(boolean shared, Segments kafkaTopic, Segments key, String site, String dev, String rest) {

        String topic() {
            return "s/" + site + "/" + dev + (rest == null ? "" : "/" + rest);
        }

        String filter() {
            return (shared ? "$share/g/" : "") + FILTER;
        }

        @Override
        public String toString() {
            return "kafka-topic '" + kafkaTopic + "', key " + (key == null ? "(the MQTT topic)" : "'" + key + "'")
                    + ", filter '" + filter() + "', MQTT topic '" + PropertyCheck.show(topic()) + "'";
        }
    }

    static Segments kafkaTemplate(Random random) {
        List<Part> parts = new ArrayList<>();
        int count = 1 + random.nextInt(4);
        for (int i = 0; i < count; i++) {
            parts.add(random.nextBoolean()
                    ? Part.placeholder(FILTER_PLACEHOLDERS.get(random.nextInt(FILTER_PLACEHOLDERS.size())))
                    : Part.literal(KAFKA_LITERALS.get(random.nextInt(KAFKA_LITERALS.size()))));
        }
        if (!new Segments(parts).hasPlaceholder()) {
            parts.add(Part.placeholder("site"));
        }
        return new Segments(parts);
    }

    static MqttCase mqttCase(Random random) {
        Segments key = random.nextInt(4) == 0 ? null : kafkaTemplate(random);
        // Plain values now and then, so that good neighbours are rendered as well as hostile ones.
        String site = random.nextInt(4) == 0 ? "plant-1" : hostile(random);
        String dev = random.nextInt(4) == 0 ? "dev.42" : hostile(random);
        String rest = random.nextInt(3) == 0 ? null : hostile(random);
        return new MqttCase(random.nextInt(5) == 0, kafkaTemplate(random), key, site, dev, rest);
    }

    static List<MqttCase> shrink(MqttCase c) {
        List<MqttCase> out = new ArrayList<>();
        if (c.shared()) {
            out.add(new MqttCase(false, c.kafkaTopic(), c.key(), c.site(), c.dev(), c.rest()));
        }
        if (c.key() != null) {
            out.add(new MqttCase(c.shared(), c.kafkaTopic(), null, c.site(), c.dev(), c.rest()));
        }
        if (c.rest() != null) {
            out.add(new MqttCase(c.shared(), c.kafkaTopic(), c.key(), c.site(), c.dev(), null));
            for (String rest : Strings.shrink(c.rest())) {
                out.add(new MqttCase(c.shared(), c.kafkaTopic(), c.key(), c.site(), c.dev(), rest));
            }
        }
        for (String site : Strings.shrink(c.site())) {
            out.add(new MqttCase(c.shared(), c.kafkaTopic(), c.key(), site, c.dev(), c.rest()));
        }
        for (String dev : Strings.shrink(c.dev())) {
            out.add(new MqttCase(c.shared(), c.kafkaTopic(), c.key(), c.site(), dev, c.rest()));
        }
        for (List<Part> parts : Strings.shrinkList(c.kafkaTopic().parts(), part -> List.of(), 1)) {
            if (new Segments(parts).hasPlaceholder()) {
                out.add(new MqttCase(c.shared(), new Segments(parts), c.key(), c.site(), c.dev(), c.rest()));
            }
        }
        return out;
    }

    /** Kafka's own rule ({@code org.apache.kafka.common.internals.Topic}), written out independently. */
    static boolean legalKafkaTopic(String name) {
        return name.matches("[a-zA-Z0-9._-]{1,249}") && !name.equals(".") && !name.equals("..");
    }

    @Test
    void mqttLevelsRenderALegalKafkaTopicWithTheValuesWhereTheTemplatePutThemOrAreRefused() {
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger refusedTooLong = new AtomicInteger();
        AtomicInteger refusedDots = new AtomicInteger();

        int tries = PropertyCheck.forAll("MQTT levels render a legal Kafka topic or are refused", TRIES,
                HostileRenderingPropertyTest::mqttCase, HostileRenderingPropertyTest::shrink, c -> {
                    TopicFilter filter = TopicFilter.parse(c.filter());
                    PlaceholderSet allowed = PlaceholderSet.forFilter(filter);
                    MqttToKafkaRoute route = new MqttToKafkaRoute("r", filter, 1,
                            Template.parse(c.kafkaTopic().text(), allowed),
                            c.key() == null ? null : Template.parse(c.key().text(), allowed), true);
                    String topic = c.topic();
                    List<RouteTarget> targets = new RouteTable(List.of(route)).route(topic);

                    List<String> wildcards = MqttSpecMatcher.values(FILTER.replaceAll("\\{[a-z]+}", "+"), topic);
                    if (wildcards == null) {
                        assertThat(targets).as("%s matches nothing", c).isEmpty();
                        return;
                    }
                    Map<String, String> values = new LinkedHashMap<>();
                    values.put("site", wildcards.get(0));
                    values.put("dev", wildcards.get(1));
                    for (int i = 0; i < wildcards.size(); i++) {
                        values.put(Integer.toString(i + 1), wildcards.get(i));
                    }
                    values.put("topic", topic);
                    String expected = c.kafkaTopic().render(values::get);

                    assertThat(targets).as("%s", c).hasSize(1);
                    RouteTarget target = targets.get(0);
                    assertThat(target.kafkaTopic()).as("rendered Kafka topic of %s", c).isEqualTo(expected);
                    assertThat(target.key()).as("key of %s", c)
                            .isEqualTo(c.key() == null ? topic : c.key().render(values::get));
                    if (legalKafkaTopic(expected)) {
                        assertThat(target.invalidKafkaTopicReason()).as("%s", c).isEmpty();
                        accepted.incrementAndGet();
                    } else {
                        // What the pipeline dead-letters as "invalid-topic: rendered Kafka topic '..' is not legal: <this>".
                        assertThat(target.invalidKafkaTopicReason()).as("%s", c).get().asString()
                                .startsWith("Kafka topic name");
                        refused.incrementAndGet();
                        if (expected.length() > 249) {
                            refusedTooLong.incrementAndGet();
                        }
                        if (expected.equals(".") || expected.equals("..")) {
                            refusedDots.incrementAndGet();
                        }
                    }
                });

        System.out.printf("  accepted %d, refused %d (over 249 characters %d, '.' or '..' %d)%n", accepted.get(),
                refused.get(), refusedTooLong.get(), refusedDots.get());
        assertThat(accepted.get()).as("legal topics among %d tries", tries).isGreaterThan(tries / 10);
        assertThat(refused.get()).as("refused topics among %d tries", tries).isGreaterThan(tries / 10);
        assertThat(refusedTooLong.get()).as("refused as too long").isGreaterThan(tries / 1000);
        assertThat(refusedDots.get()).as("refused as '.' or '..'").isGreaterThan(0);
    }

    // ---- Kafka → MQTT ----

    private static final List<String> MQTT_LITERALS = List.of("devices", "cmd", "a.b", "$x", "x y", "\u00e9", "-",
            "{x}");
    private static final List<String> RECORD_PLACEHOLDERS = List.of("key", "topic", "partition", "header:h",
            "header:id");
    private static final List<String> HEADER_NAMES = List.of("h", "id", "H");

    record Header(String name, byte[] value) {

        @Override
        public String toString() {
            return name + "=" + bytes(value);
        }
    }

    record KafkaCase(Segments mqttTopic, String topic, int partition, byte[] key, List<Header> headers) {

        byte[] lastHeader(String name) {
            for (int i = headers.size() - 1; i >= 0; i--) {
                if (headers.get(i).name().equals(name)) {
                    return headers.get(i).value();
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return "mqtt-topic '" + PropertyCheck.show(mqttTopic.text()) + "', record " + topic + "-" + partition
                    + " key " + bytes(key) + " headers " + headers;
        }
    }

    static String bytes(byte[] value) {
        if (value == null) {
            return "null";
        }
        String text = modelText(value);
        return text != null ? "'" + PropertyCheck.show(text) + "'" : "bytes" + Arrays.toString(value);
    }

    static byte[] hostileBytes(Random random) {
        int pick = random.nextInt(10);
        if (pick == 0) {
            return null;
        }
        byte[] text = hostile(random).getBytes(StandardCharsets.UTF_8);
        if (pick < 4) {
            byte[] bad = NOT_UTF8.get(random.nextInt(NOT_UTF8.size()));
            byte[] mixed = Arrays.copyOf(text, text.length + bad.length);
            System.arraycopy(bad, 0, mixed, text.length, bad.length);
            return mixed;
        }
        return random.nextInt(4) == 0 ? "dev-1".getBytes(StandardCharsets.UTF_8) : text;
    }

    static Segments mqttTemplate(Random random) {
        List<Part> parts = new ArrayList<>();
        int levels = 1 + random.nextInt(4);
        for (int level = 0; level < levels; level++) {
            if (level > 0) {
                parts.add(Part.literal("/"));
            }
            int pick = random.nextInt(12);
            if (pick == 0) {
                continue; // an empty level written into the template: the user's choice
            }
            int pieces = pick < 3 ? 2 : 1;
            for (int i = 0; i < pieces; i++) {
                parts.add(random.nextBoolean()
                        ? Part.placeholder(RECORD_PLACEHOLDERS.get(random.nextInt(RECORD_PLACEHOLDERS.size())))
                        : Part.literal(MQTT_LITERALS.get(random.nextInt(MQTT_LITERALS.size()))));
            }
        }
        // The route refuses fixed text starting with '$' at startup; that is tested with the route.
        if (parts.isEmpty() || !parts.get(0).placeholder() && parts.get(0).text().startsWith("$")) {
            parts.add(0, Part.placeholder("key"));
        }
        return new Segments(parts);
    }

    static KafkaCase kafkaCase(Random random) {
        List<Header> headers = new ArrayList<>();
        int count = random.nextInt(4);
        for (int i = 0; i < count; i++) {
            headers.add(new Header(HEADER_NAMES.get(random.nextInt(HEADER_NAMES.size())), hostileBytes(random)));
        }
        String topic = List.of("commands", "t.v1", "a-b_c").get(random.nextInt(3));
        int partition = List.of(0, 7, Integer.MAX_VALUE).get(random.nextInt(3));
        return new KafkaCase(mqttTemplate(random), topic, partition, hostileBytes(random), headers);
    }

    static List<KafkaCase> shrink(KafkaCase c) {
        List<KafkaCase> out = new ArrayList<>();
        if (c.key() != null) {
            out.add(new KafkaCase(c.mqttTopic(), c.topic(), c.partition(), null, c.headers()));
            for (byte[] key : shrinkBytes(c.key())) {
                out.add(new KafkaCase(c.mqttTopic(), c.topic(), c.partition(), key, c.headers()));
            }
        }
        for (List<Header> headers : Strings.shrinkList(c.headers(),
                h -> h.value() == null ? List.of() : shrinkBytes(h.value()).stream()
                        .map(v -> new Header(h.name(), v)).toList(), 0)) {
            out.add(new KafkaCase(c.mqttTopic(), c.topic(), c.partition(), c.key(), headers));
        }
        for (List<Part> parts : Strings.shrinkList(c.mqttTopic().parts(), part -> List.of(), 1)) {
            Segments template = new Segments(parts);
            if (!template.text().isEmpty() && !template.text().startsWith("$")) {
                out.add(new KafkaCase(template, c.topic(), c.partition(), c.key(), c.headers()));
            }
        }
        return out;
    }

    private static List<byte[]> shrinkBytes(byte[] value) {
        List<byte[]> out = new ArrayList<>();
        if (value.length == 0) {
            return out;
        }
        out.add(new byte[0]);
        out.add(Arrays.copyOf(value, value.length / 2));
        out.add(Arrays.copyOfRange(value, value.length / 2, value.length));
        if (value.length <= 16) {
            for (int i = 0; i < value.length; i++) {
                byte[] shorter = new byte[value.length - 1];
                System.arraycopy(value, 0, shorter, 0, i);
                System.arraycopy(value, i + 1, shorter, i, value.length - i - 1);
                out.add(shorter);
            }
        }
        return out;
    }

    /** Strict UTF-8 by round trip: bytes are text only when decoding and encoding again gives them back. */
    static String modelText(byte[] value) {
        if (value == null) {
            return null;
        }
        String text = new String(value, StandardCharsets.UTF_8);
        return Arrays.equals(text.getBytes(StandardCharsets.UTF_8), value) ? text : null;
    }

    static String modelValue(KafkaCase c, String placeholder) {
        return switch (placeholder) {
            case "key" -> modelText(c.key());
            case "topic" -> c.topic();
            case "partition" -> Integer.toString(c.partition());
            default -> modelText(c.lastHeader(placeholder.substring("header:".length())));
        };
    }

    /**
     * MQTT 5 § 1.5.4's disallowed code points: controls U+0001..U+001F and U+007F..U+009F, and the Unicode
     * non-characters (U+FDD0..U+FDEF, and the last two code points of every plane). Brokers close the connection on
     * them (Mosquitto 2.0, HiveMQ CE).
     */
    static boolean disallowedByMqtt(int codePoint) {
        boolean control = codePoint >= 0x01 && codePoint <= 0x1F || codePoint >= 0x7F && codePoint <= 0x9F;
        boolean nonCharacter = codePoint >= 0xFDD0 && codePoint <= 0xFDEF || codePoint % 0x10000 >= 0xFFFE;
        return control || nonCharacter;
    }

    /**
     * Header values and names become MQTT 5 properties (user properties, content type, response topic) only when
     * {@link StrictUtf8#isMqttString(String)} says MQTT can carry them; a broker closes the connection otherwise.
     */
    @Test
    void onlyStringsMqttCanCarryBecomeProperties() {
        AtomicInteger carried = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();

        int tries = PropertyCheck.forAll("isMqttString accepts exactly what MQTT can carry", TRIES,
                HostileRenderingPropertyTest::hostile, Strings::shrink, text -> {
                    boolean expected = text.indexOf('\u0000') < 0
                            && StandardCharsets.UTF_8.newEncoder().canEncode(text)
                            && text.codePoints().noneMatch(HostileRenderingPropertyTest::disallowedByMqtt);
                    assertThat(StrictUtf8.isMqttString(text)).as("'%s'", PropertyCheck.show(text)).isEqualTo(expected);
                    (expected ? carried : refused).incrementAndGet();
                });

        System.out.printf("  carried %d, refused %d%n", carried.get(), refused.get());
        assertThat(carried.get()).as("carried among %d tries", tries).isGreaterThan(tries / 10);
        assertThat(refused.get()).as("refused among %d tries", tries).isGreaterThan(tries / 10);
    }

    static long emptyLevels(String topic) {
        return MqttSpecMatcher.levels(topic).stream().filter(String::isEmpty).count();
    }

    @Test
    void kafkaKeysAndHeadersRenderAPublishableMqttTopicWithTheValuesWhereTheTemplatePutThemOrAreRefused() {
        Map<String, AtomicInteger> outcomes = new LinkedHashMap<>();
        for (String outcome : List.of("published", "no value", "wildcard", "U+0000", "disallowed code point",
                "leading $", "empty level", "over 65535 bytes", "published with a '/' from a value")) {
            outcomes.put(outcome, new AtomicInteger());
        }

        int tries = PropertyCheck.forAll("Kafka keys and headers render a publishable MQTT topic or are refused", TRIES,
                HostileRenderingPropertyTest::kafkaCase, HostileRenderingPropertyTest::shrink, c -> {
                    Template template = Template.parse(c.mqttTopic().text(), KafkaRecordFields.PLACEHOLDERS);
                    // multi-level-values: true, where a value's '/' spans levels; the default is checked at the end.
                    KafkaToMqttRoute route = new KafkaToMqttRoute("r", KafkaTopicSelector.topic(c.topic()), "g",
                            template, 1, false, true);
                    KafkaToMqttRoute singleLevelRoute = new KafkaToMqttRoute("r", KafkaTopicSelector.topic(c.topic()),
                            "g", template, 1, false);
                    KafkaRecordFields fields = new KafkaRecordFields(c.topic(), c.partition(), c.key(), c::lastHeader);
                    KafkaToMqttRoute.Rendering rendering = route.render(fields);
                    KafkaToMqttRoute.Rendering singleLevel = singleLevelRoute.render(
                            new KafkaRecordFields(c.topic(), c.partition(), c.key(), c::lastHeader));

                    String missing = c.mqttTopic().placeholders().stream().filter(p -> modelValue(c, p) == null)
                            .findFirst().orElse(null);
                    if (missing != null) {
                        assertThat(rendering.isRejected()).as("%s has no value for {%s}", c, missing).isTrue();
                        assertThat(rendering.rejectReason()).contains("needs {" + missing + "}");
                        outcomes.get("no value").incrementAndGet();
                        return;
                    }
                    String expected = c.mqttTopic().render(p -> modelValue(c, p));
                    String baseline = c.mqttTopic().render(p -> "x");
                    String refusal = expected.isEmpty() ? "empty level"
                            : expected.indexOf('+') >= 0 || expected.indexOf('#') >= 0 ? "wildcard"
                            : expected.indexOf('\u0000') >= 0 ? "U+0000"
                            : expected.codePoints().anyMatch(HostileRenderingPropertyTest::disallowedByMqtt)
                                    ? "disallowed code point"
                            : expected.startsWith("$") ? "leading $"
                            : expected.getBytes(StandardCharsets.UTF_8).length > 65_535 ? "over 65535 bytes"
                            : emptyLevels(expected) > emptyLevels(baseline) ? "empty level"
                            : null;
                    if (refusal != null) {
                        assertThat(rendering.isRejected()).as("%s renders '%s' (%s)", c, PropertyCheck.show(expected),
                                refusal).isTrue();
                        assertThat(rendering.rejectReason()).as("%s", c).isNotBlank();
                        assertThat(singleLevel.rejectReason()).as("%s by default", c).isEqualTo(rendering.rejectReason());
                        outcomes.get(refusal).incrementAndGet();
                        return;
                    }
                    assertThat(rendering.isRejected()).as("%s refused: %s", c, rendering.rejectReason()).isFalse();
                    String topic = rendering.topic();
                    assertThat(topic).as("%s", c).isEqualTo(expected);
                    // What is published: never a wildcard, U+0000, '$' topic or over-long name, whatever the values.
                    assertThat(topic).doesNotContain("+", "#", "\u0000").doesNotStartWith("$");
                    assertThat(StandardCharsets.UTF_8.newEncoder().canEncode(topic)).isTrue();
                    assertThat(topic.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(65_535);
                    // Levels: the template's, plus one per '/' a value brings (a key spans levels, as documented).
                    long slashesFromValues = c.mqttTopic().placeholders().stream()
                            .mapToLong(p -> modelValue(c, p).chars().filter(ch -> ch == '/').count())
                            .sum();
                    assertThat(MqttSpecMatcher.levels(topic)).as("levels of %s", c)
                            .hasSize(MqttSpecMatcher.levels(baseline).size() + (int) slashesFromValues);
                    assertThat(emptyLevels(topic)).as("empty levels of %s", c).isEqualTo(emptyLevels(baseline));
                    outcomes.get(slashesFromValues > 0 ? "published with a '/' from a value" : "published")
                            .incrementAndGet();
                    // By default a value stays within its level: the same topic, or refused when a value has a '/'.
                    if (slashesFromValues > 0) {
                        assertThat(singleLevel.isRejected()).as("%s by default", c).isTrue();
                        assertThat(singleLevel.rejectReason()).as("%s by default", c).contains("contains '/'")
                                .contains("multi-level-values");
                    } else {
                        assertThat(singleLevel.topic()).as("%s by default", c).isEqualTo(topic);
                    }
                });

        System.out.println("  " + outcomes);
        assertThat(outcomes.get("published").get()).as("published among %d tries", tries).isGreaterThan(tries / 10);
        outcomes.forEach((outcome, count) -> assertThat(count.get()).as(outcome).isGreaterThan(tries / 2000));
    }
}
