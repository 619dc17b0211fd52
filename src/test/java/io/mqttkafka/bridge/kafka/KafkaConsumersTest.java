package io.mqttkafka.bridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KafkaConsumersTest {

    private static final String BOOTSTRAP = "kafka-1:9092,kafka-2:9092";

    @Test
    void defaults() {
        Map<String, Object> settings = KafkaConsumers.settings("commands-group", BOOTSTRAP, Map.of(), "br");

        assertThat(settings).containsOnly(
                entry("auto.offset.reset", "earliest"),
                entry("isolation.level", "read_committed"),
                entry("enable.auto.commit", "false"),
                entry("group.id", "commands-group"),
                entry("bootstrap.servers", BOOTSTRAP),
                entry("client.id", "br-consumer-commands-group"),
                // Static membership keyed on the replica's stable client id.
                entry("group.instance.id", "br"));
        // The assignment strategy is left to the Kafka client's default (not pinned by the bridge).
        assertThat(settings).doesNotContainKey(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG);
    }

    @ParameterizedTest(name = "[{index}] {0}={1} -> {2}")
    @CsvSource({
        // user key,                     user value,         effective value
        // Defaults can be overridden.
        "auto.offset.reset,              latest,             latest",
        "isolation.level,                read_uncommitted,   read_uncommitted",
        // Other consumer settings pass through.
        "max.poll.records,               100,                100",
        "max.poll.interval.ms,           600000,             600000",
        "session.timeout.ms,             30000,              30000",
        "security.protocol,              SASL_SSL,           SASL_SSL",
        "sasl.mechanism,                 SCRAM-SHA-512,      SCRAM-SHA-512",
        "ssl.truststore.location,        /etc/kafka/ts.jks,  /etc/kafka/ts.jks",
        "partition.assignment.strategy,  org.apache.kafka.clients.consumer.CooperativeStickyAssignor,"
                + " org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        // What the delivery guarantee depends on always wins.
        "enable.auto.commit,             true,               false",
        "group.id,                       someone-elses,      my-group",
        "bootstrap.servers,              evil:1,             'kafka-1:9092,kafka-2:9092'",
    })
    void userPropertiesOverrideDefaultsButNotPolicy(String key, String value, String expected) {
        Map<String, Object> settings = KafkaConsumers.settings("my-group", BOOTSTRAP, Map.of(key, value), "br");

        assertThat(settings).containsEntry(key, expected);
    }

    @Test
    void userPropertyChangesOnlyItsOwnKey() {
        Map<String, Object> defaults = KafkaConsumers.settings("g", BOOTSTRAP, Map.of(), "br");
        Map<String, Object> settings = KafkaConsumers.settings("g", BOOTSTRAP, Map.of("auto.offset.reset", "none"), "br");

        Map<String, Object> expected = new LinkedHashMap<>(defaults);
        expected.put("auto.offset.reset", "none");
        assertThat(settings).isEqualTo(expected);
    }

    /** The property map is shared with the producers: keys a consumer does not know are not passed to it. */
    @ParameterizedTest
    @CsvSource({
        "linger.ms,            20",
        "acks,                 all",
        "batch.size,           65536",
        "compression.type,     lz4",
        "enable.idempotence,   true",
        "transactional.id,     tx",
        "max.block.ms,         1000",
        "made.up.key,          x",
        // Keys are case-sensitive for the Kafka client.
        "MAX.POLL.RECORDS,     10",
    })
    void keysUnknownToAConsumerAreNotPassed(String key, String value) {
        Map<String, Object> settings = KafkaConsumers.settings("g", BOOTSTRAP, Map.of(key, value), "br");

        assertThat(settings).doesNotContainKey(key);
        assertThat(settings).isEqualTo(KafkaConsumers.settings("g", BOOTSTRAP, Map.of(), "br"));
    }

    @Test
    void mixedPropertiesKeepOnlyConsumerKeys() {
        Map<String, String> user = Map.of(
                "linger.ms", "20",
                "compression.type", "zstd",
                "fetch.min.bytes", "1024",
                "security.protocol", "SSL",
                "enable.auto.commit", "true");

        Map<String, Object> settings = KafkaConsumers.settings("g", BOOTSTRAP, user, "br");

        assertThat(settings).containsOnlyKeys("auto.offset.reset", "isolation.level", "enable.auto.commit", "group.id",
                "bootstrap.servers", "client.id", "group.instance.id", "fetch.min.bytes", "security.protocol");
        assertThat(settings).containsEntry("enable.auto.commit", "false");
    }

    /**
     * A secret read through a config provider ({@code ${dir:/run/secrets:password}}) needs the provider's keys, which
     * no client lists among its config names: before, the consumer dropped them and its login failed.
     */
    @Test
    void configProviderKeysArePassed() {
        Map<String, String> user = Map.of(
                "config.providers", "dir",
                "config.providers.dir.class", "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
                "config.providers.dir.param.allowed.paths", "/run/secrets",
                "sasl.jaas.config", "x required password=\"${dir:/run/secrets:password}\";");

        assertThat(KafkaConsumers.settings("g", BOOTSTRAP, user, "br")).containsAllEntriesOf(user);
    }

    @ParameterizedTest
    @CsvSource({
        "bridge-1, g1,       bridge-1-consumer-g1",
        "bridge-1, g2,       bridge-1-consumer-g2",
        "b,        b,        b-consumer-b",
    })
    void clientIdNamesTheGroup(String clientId, String groupId, String expected) {
        assertThat(KafkaConsumers.settings(groupId, BOOTSTRAP, Map.of(), clientId))
                .containsEntry("client.id", expected)
                .containsEntry("group.id", groupId);
    }

    @Test
    void settingsAreAValidConsumerConfiguration() {
        Map<String, Object> settings = new LinkedHashMap<>(KafkaConsumers.settings("g", BOOTSTRAP,
                Map.of("max.poll.records", "50"), "br"));
        settings.put("key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class);
        settings.put("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class);

        ConsumerConfig config = new ConsumerConfig(settings);

        assertThat(config.getBoolean("enable.auto.commit")).isFalse();
        assertThat(config.getString("isolation.level")).isEqualTo("read_committed");
        assertThat(config.getInt("max.poll.records")).isEqualTo(50);
    }
}
