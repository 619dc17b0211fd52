package io.mqttkafka.bridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.stream.Stream;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class KafkaToMqttRouteTest {

    private static final byte[] NOT_UTF8 = {(byte) 0xC3, 0x28};
    private static final String ALLOWED = "allowed: {key}, {partition}, {topic}, {header:<name>}";

    /** A route as configured by default: each value stays within one topic level. */
    private static KafkaToMqttRoute route(String mqttTopic) {
        return new KafkaToMqttRoute("r", KafkaTopicSelector.topic("commands"), "g",
                Template.parse(mqttTopic, KafkaRecordFields.PLACEHOLDERS), 1, false);
    }

    /** A route with {@code multi-level-values: true}: a value with '/' spans levels. */
    private static KafkaToMqttRoute multiLevelRoute(String mqttTopic) {
        return new KafkaToMqttRoute("r", KafkaTopicSelector.topic("commands"), "g",
                Template.parse(mqttTopic, KafkaRecordFields.PLACEHOLDERS), 1, false, true);
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A record as the pipeline sees it: header lookup goes through Kafka's own {@code lastHeader}, exactly
     * like KafkaToMqttPipeline builds its fields. {@code headers} alternate name, value (String, byte[] or null).
     */
    private static KafkaRecordFields record(String topic, int partition, byte[] key, Object... headers) {
        RecordHeaders recordHeaders = new RecordHeaders();
        for (int i = 0; i < headers.length; i += 2) {
            Object value = headers[i + 1];
            recordHeaders.add((String) headers[i], value instanceof String s ? utf8(s) : (byte[]) value);
        }
        return new KafkaRecordFields(topic, partition, key, name -> {
            Header header = recordHeaders.lastHeader(name);
            return header == null ? null : header.value();
        });
    }

    static Stream<Arguments> renderings() {
        return Stream.of(
                Arguments.of("devices/{key}/cmd", record("commands", 0, utf8("dev-1")), "devices/dev-1/cmd"),
                // With multi-level-values, a key with '/' spans levels: one mapping reaches a hierarchy of devices.
                Arguments.of("devices/{key}/cmd", record("commands", 0, utf8("site-1/dev-1")),
                        "devices/site-1/dev-1/cmd"),
                Arguments.of("{key}", record("commands", 0, utf8("a/b/c")), "a/b/c"),
                Arguments.of("out/{topic}/{partition}", record("commands.v1", 7, null), "out/commands.v1/7"),
                Arguments.of("{topic}", record("commands", 0, null), "commands"),
                Arguments.of("p{partition}", record("t", 2147483647, null), "p2147483647"),
                Arguments.of("alerts/all", record("t", 0, null), "alerts/all"),
                Arguments.of("devices/{header:device}/cmd", record("t", 0, null, "device", "dev-9"),
                        "devices/dev-9/cmd"),
                // The last header with the name wins, whatever comes in between.
                Arguments.of("devices/{header:device}/cmd",
                        record("t", 0, null, "device", "first", "other", "x", "device", "last"),
                        "devices/last/cmd"),
                // An earlier header that is not UTF-8 does not matter when a later one is.
                Arguments.of("devices/{header:device}", record("t", 0, null, "device", NOT_UTF8, "device", "ok"),
                        "devices/ok"),
                Arguments.of("{header:site}/{key}/{header:kind}",
                        record("t", 0, utf8("k"), "kind", "cmd", "site", "s1"), "s1/k/cmd"),
                Arguments.of("{{literal}}/{key}", record("t", 0, utf8("k")), "{literal}/k"),
                Arguments.of("a/{{{key}}}", record("t", 0, utf8("k")), "a/{k}"),
                Arguments.of("a}}b/{key}", record("t", 0, utf8("k")), "a}b/k"),
                // Empty levels written into the template itself are the user's choice.
                Arguments.of("/devices/{key}", record("t", 0, utf8("k")), "/devices/k"),
                Arguments.of("devices//{key}", record("t", 0, utf8("k")), "devices//k"),
                // An empty value is fine when it does not produce an empty level.
                Arguments.of("a/{header:prefix}{key}", record("t", 0, utf8("k"), "prefix", ""), "a/k"),
                Arguments.of("caf\u00e9/{key}", record("t", 0, utf8("\u00b0C/\uD83D\uDE00")),
                        "caf\u00e9/\u00b0C/\uD83D\uDE00"),
                Arguments.of("{key}", record("t", 0, utf8("x".repeat(65_535))), "x".repeat(65_535)),
                Arguments.of("dollar/{key}", record("t", 0, utf8("$SYS")), "dollar/$SYS"));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {2}")
    @MethodSource("renderings")
    void rendersTheTopic(String template, KafkaRecordFields record, String expected) {
        KafkaToMqttRoute.Rendering rendering = multiLevelRoute(template).render(record);

        assertThat(rendering.isRejected()).as(rendering.rejectReason()).isFalse();
        assertThat(rendering.rejectReason()).isNull();
        assertThat(rendering.topic()).isEqualTo(expected);
    }

    /**
     * By default the same records render alike, except those whose value has a '/': they would add levels to the ones
     * the template fixes, and are refused naming the placeholder and the setting that allows it.
     */
    @ParameterizedTest(name = "[{index}] {0} -> {2}")
    @MethodSource("renderings")
    void byDefaultOnlyAValueWithASlashIsRefused(String template, KafkaRecordFields record, String expected) {
        Template parsed = Template.parse(template, KafkaRecordFields.PLACEHOLDERS);
        String spanning = parsed.placeholders().stream().filter(p -> record.value(p).contains("/")).findFirst()
                .orElse(null);

        KafkaToMqttRoute.Rendering rendering = route(template).render(record);

        if (spanning == null) {
            assertThat(rendering.topic()).as(rendering.rejectReason()).isEqualTo(expected);
        } else {
            assertThat(rendering.rejectReason()).isEqualTo("{" + spanning + "} contains '/', which would add levels to "
                    + "MQTT topic template '" + template + "' (rendered '" + expected + "'); set multi-level-values: "
                    + "true on the mapping to let values span levels");
        }
    }

    static Stream<Arguments> rejections() {
        return Stream.of(
                Arguments.of("null key", "devices/{key}/cmd", record("t", 0, null),
                        "MQTT topic template 'devices/{key}/cmd' needs {key}, but the record has no key"),
                Arguments.of("key not UTF-8", "devices/{key}/cmd", record("t", 0, NOT_UTF8),
                        "MQTT topic template 'devices/{key}/cmd' needs {key}, but the record key is not valid UTF-8"),
                Arguments.of("missing header", "devices/{header:device}", record("t", 0, utf8("k"), "other", "x"),
                        "MQTT topic template 'devices/{header:device}' needs {header:device}, but the record has no"
                                + " header 'device'"),
                Arguments.of("header names are case-sensitive", "d/{header:device}",
                        record("t", 0, null, "Device", "x"),
                        "MQTT topic template 'd/{header:device}' needs {header:device}, but the record has no"
                                + " header 'device'"),
                Arguments.of("header not UTF-8", "devices/{header:device}", record("t", 0, null, "device", NOT_UTF8),
                        "MQTT topic template 'devices/{header:device}' needs {header:device}, but header 'device'"
                                + " is not valid UTF-8"),
                Arguments.of("last header not UTF-8 (an earlier valid one does not count)", "d/{header:device}",
                        record("t", 0, null, "device", "ok", "device", NOT_UTF8),
                        "MQTT topic template 'd/{header:device}' needs {header:device}, but header 'device'"
                                + " is not valid UTF-8"),
                Arguments.of("first missing placeholder is reported", "{header:a}/{key}", record("t", 0, null),
                        "MQTT topic template '{header:a}/{key}' needs {header:a}, but the record has no header 'a'"),
                Arguments.of("empty key", "devices/{key}/cmd", record("t", 0, utf8("")),
                        "rendered MQTT topic 'devices//cmd' has an empty level ({key} is empty); publishing it"
                                + " would reach a different topic than intended"),
                Arguments.of("empty key at the end", "devices/{key}", record("t", 0, utf8("")),
                        "rendered MQTT topic 'devices/' has an empty level ({key} is empty); publishing it would"
                                + " reach a different topic than intended"),
                Arguments.of("empty header", "{header:site}/x", record("t", 0, null, "site", ""),
                        "rendered MQTT topic '/x' has an empty level ({header:site} is empty); publishing it"
                                + " would reach a different topic than intended"),
                Arguments.of("two empty values", "a/{key}/{header:h}/b", record("t", 0, utf8(""), "h", ""),
                        "rendered MQTT topic 'a///b' has an empty level ({key}, {header:h} is empty); publishing"
                                + " it would reach a different topic than intended"),
                Arguments.of("key ending with '/'", "devices/{key}", record("t", 0, utf8("a/")),
                        "rendered MQTT topic 'devices/a/' has an empty level; publishing it would reach a"
                                + " different topic than intended"),
                Arguments.of("key with '//'", "devices/{key}", record("t", 0, utf8("a//b")),
                        "rendered MQTT topic 'devices/a//b' has an empty level; publishing it would reach a"
                                + " different topic than intended"),
                Arguments.of("key with '/' (multi-level-values off)", "devices/{key}/cmd", record("t", 0,
                        utf8("dev-1/cmd/x")), "{key} contains '/', which would add levels to MQTT topic template "
                                + "'devices/{key}/cmd' (rendered 'devices/dev-1/cmd/x/cmd'); set multi-level-values: "
                                + "true on the mapping to let values span levels"),
                Arguments.of("header with '/' (multi-level-values off)", "d/{header:h}", record("t", 0, null, "h",
                        "other-tenant/x"), "{header:h} contains '/', which would add levels to MQTT topic template "
                                + "'d/{header:h}' (rendered 'd/other-tenant/x'); set multi-level-values: true on the "
                                + "mapping to let values span levels"),
                Arguments.of("whole topic empty", "{key}", record("t", 0, utf8("")),
                        "rendered MQTT topic name must not be empty"),
                Arguments.of("key with '+'", "devices/{key}/cmd", record("t", 0, utf8("+")),
                        "rendered MQTT topic name 'devices/+/cmd' contains wildcard '+' at index 8; wildcards are"
                                + " only allowed in topic filters"),
                Arguments.of("key with '#'", "devices/{key}", record("t", 0, utf8("a/#")),
                        "rendered MQTT topic name 'devices/a/#' contains wildcard '#' at index 10; wildcards are"
                                + " only allowed in topic filters"),
                Arguments.of("header with '+'", "d/{header:h}", record("t", 0, null, "h", "x+y"),
                        "rendered MQTT topic name 'd/x+y' contains wildcard '+' at index 3; wildcards are only"
                                + " allowed in topic filters"),
                Arguments.of("rendered topic starting with '$'", "{key}/cmd", record("t", 0, utf8("$SYS")),
                        "rendered MQTT topic name '$SYS/cmd' starts with '$'; such topics are reserved for the broker"),
                Arguments.of("key with U+0000", "devices/{key}", record("t", 0, utf8("a\u0000b")),
                        "rendered MQTT topic name contains U+0000 at index 9"),
                // Mosquitto 2.0 and HiveMQ CE close the connection on these (MQTT 5 § 1.5.4 lets them): they used to be
                // published, taking the publishing connection down until publish-ends-connection dead-lettered them.
                Arguments.of("key with a control character", "devices/{key}", record("t", 0, utf8("bell\u0007")),
                        "rendered MQTT topic name contains U+0007 at index 12, a control character or Unicode"
                                + " non-character that MQTT disallows; brokers close the connection of a client that"
                                + " publishes to it"),
                Arguments.of("header with a non-character", "d/{header:h}", record("t", 0, null, "h", "\uFFFF"),
                        "rendered MQTT topic name contains U+FFFF at index 2, a control character or Unicode"
                                + " non-character that MQTT disallows; brokers close the connection of a client that"
                                + " publishes to it"),
                Arguments.of("over-long topic", "t/{key}", record("t", 0, utf8("x".repeat(65_534))),
                        "rendered MQTT topic name is 65536 bytes long in UTF-8; the maximum is 65535"),
                Arguments.of("over-long in UTF-8 bytes, not chars", "{key}", record("t", 0, utf8("\u00e9".repeat(32_768))),
                        "rendered MQTT topic name is 65536 bytes long in UTF-8; the maximum is 65535"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("rejections")
    void rejectsRecordsThatCannotBePublished(String description, String template, KafkaRecordFields record,
            String reason) {
        KafkaToMqttRoute.Rendering rendering = route(template).render(record);

        assertThat(rendering.isRejected()).as(description).isTrue();
        assertThat(rendering.topic()).isNull();
        assertThat(rendering.rejectReason()).isEqualTo(reason);
    }

    @Test
    void keyIsDecodedOnceAndReusedAcrossRoutes() {
        KafkaRecordFields fields = record("t", 3, utf8("k"));

        assertThat(route("a/{key}").render(fields).topic()).isEqualTo("a/k");
        assertThat(route("b/{key}/{partition}").render(fields).topic()).isEqualTo("b/k/3");
        assertThat(route("a/{key}").render(record("t", 0, NOT_UTF8)).isRejected()).isTrue();
    }

    // ---- Constructor validation ----

    /** Placeholders parsed against a wider set than the Kafka record offers must still be refused. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "d/{device}  | MQTT topic template 'd/{device}': unknown placeholder {device}; " + ALLOWED,
        "d/{offset}  | MQTT topic template 'd/{offset}': unknown placeholder {offset}; " + ALLOWED,
        "d/{header:} | MQTT topic template 'd/{header:}': placeholder {header:} needs a name after 'header:'; "
                + ALLOWED,
    })
    void rejectsPlaceholdersARecordDoesNotHave(String template, String reason) {
        Template parsed = Template.parse(template, PlaceholderSet.of(Set.of("key", "device", "offset", "header:"),
                Set.of()));

        assertThatThrownBy(() -> new KafkaToMqttRoute("r", KafkaTopicSelector.topic("t"), "g", parsed, 1, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route 'r': " + reason);
    }

    @ParameterizedTest
    @CsvSource({"-1", "3", "128"})
    void rejectsQosOutOfRange(int qos) {
        Template template = Template.parse("a/{key}", KafkaRecordFields.PLACEHOLDERS);

        assertThatThrownBy(() -> new KafkaToMqttRoute("r", KafkaTopicSelector.topic("t"), "g", template, qos, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route 'r': qos must be 0, 1 or 2, but was " + qos);
    }

    @ParameterizedTest
    @CsvSource({"0", "1", "2"})
    void acceptsQos0To2(int qos) {
        Template template = Template.parse("a/{key}", KafkaRecordFields.PLACEHOLDERS);

        assertThat(new KafkaToMqttRoute("r", KafkaTopicSelector.topic("t"), "g", template, qos, true).qos())
                .isEqualTo(qos);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "a/+/b   | MQTT topic name 'a/+/b' contains wildcard '+' at index 2; wildcards are only allowed in topic filters",
        "a/#     | MQTT topic name 'a/#' contains wildcard '#' at index 2; wildcards are only allowed in topic filters",
        "$SYS/x  | MQTT topic name '$SYS/x' starts with '$'; such topics are reserved for the broker",
    })
    void rejectsConstantTemplatesThatAreNotTopicNames(String template, String reason) {
        Template parsed = Template.parse(template, KafkaRecordFields.PLACEHOLDERS);

        assertThatThrownBy(() -> new KafkaToMqttRoute("r", KafkaTopicSelector.topic("t"), "g", parsed, 1, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route 'r': " + reason);
    }

    @Test
    void rejectsConstantTemplateWithU0000() {
        Template parsed = Template.parse("a\u0000b", KafkaRecordFields.PLACEHOLDERS);

        assertThatThrownBy(() -> new KafkaToMqttRoute("r", KafkaTopicSelector.topic("t"), "g", parsed, 1, false))
                .hasMessage("route 'r': MQTT topic name contains U+0000 at index 1");
    }

    @ParameterizedTest
    @CsvSource({"/leading", "trailing/", "a//b", "a/{{b}}"})
    void acceptsConstantTemplatesThatAreLegalTopicNames(String template) {
        Template parsed = Template.parse(template, KafkaRecordFields.PLACEHOLDERS);

        assertThatCode(() -> new KafkaToMqttRoute("r", KafkaTopicSelector.topic("t"), "g", parsed, 1, false))
                .doesNotThrowAnyException();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"''", "'   '"})
    void rejectsBlankName(String name) {
        Template parsed = Template.parse("a", KafkaRecordFields.PLACEHOLDERS);

        assertThatThrownBy(() -> new KafkaToMqttRoute(name, KafkaTopicSelector.topic("t"), "g", parsed, 1, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route name must not be blank");
    }

    // ---- Cases found by review ----

    /**
     * An empty level the template writes itself (here a leading '/') is the user's choice, but it must not
     * hide one that a value creates: an empty key is still rejected instead of publishing to "/devices/".
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/devices/{key}      | ''   | /devices/",
        "/devices/{key}/cmd  | ''   | /devices//cmd",
        "a//{key}            | x/   | a//x/",
    })
    void emptyLevelFromAValueIsRejectedEvenWhenTheTemplateHasItsOwnEmptyLevel(String template, String key,
            String rendered) {
        KafkaToMqttRoute.Rendering rendering = route(template).render(record("t", 0, utf8(key)));

        assertThat(rendering.isRejected()).as("rendered %s", rendering.topic()).isTrue();
        assertThat(rendering.rejectReason()).startsWith("rendered MQTT topic '" + rendered + "' has an empty level");
    }

    /**
     * The fixed text of a templated topic is checked at startup too: a literal wildcard there would otherwise
     * dead-letter every single record, and a code point MQTT disallows would too (brokers close the connection on it).
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "a/+/{key}          | contains wildcard '+' in its fixed text; topic names cannot contain it",
        "devices/{key}/#    | contains wildcard '#' in its fixed text; topic names cannot contain it",
        "a\tb/{key}         | contains U+0009 in its fixed text, a control character or Unicode non-character that"
                + " MQTT disallows",
        "{key}/\u0085       | contains U+0085 in its fixed text",
        "{key}/\uFDD0x      | contains U+FDD0 in its fixed text",
        "{key}/\uD83F\uDFFE | contains U+1FFFE in its fixed text",
    })
    void rejectsWhatTopicNamesCannotHaveInTheLiteralTextOfATemplate(String template, String reason) {
        Template parsed = Template.parse(template, KafkaRecordFields.PLACEHOLDERS);

        assertThatThrownBy(() -> new KafkaToMqttRoute("r", KafkaTopicSelector.topic("t"), "g", parsed, 1, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("route 'r': MQTT topic template '" + template + "' " + reason);
    }
}
