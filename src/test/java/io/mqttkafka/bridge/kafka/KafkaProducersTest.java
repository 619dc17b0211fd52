package io.mqttkafka.bridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.entry;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class KafkaProducersTest {

    private static final String BOOTSTRAP = "kafka-1:9092,kafka-2:9092";
    private static final Duration DELIVERY_TIMEOUT = Duration.ofMinutes(2);

    @Test
    void reliableDefaults() {
        Map<String, Object> settings = KafkaProducers.settings(ProducerProfile.RELIABLE, BOOTSTRAP, Map.of(), "br", DELIVERY_TIMEOUT);

        assertThat(settings).containsOnly(
                entry("acks", "all"),
                entry("enable.idempotence", "true"),
                entry("delivery.timeout.ms", "120000"),
                entry("retries", Integer.toString(Integer.MAX_VALUE)),
                entry("max.in.flight.requests.per.connection", "5"),
                entry("max.block.ms", "10000"),
                entry("linger.ms", "5"),
                entry("batch.size", "65536"),
                entry("client.id", "br-reliable"),
                entry("bootstrap.servers", BOOTSTRAP));
    }

    @Test
    void fastDefaults() {
        Map<String, Object> settings = KafkaProducers.settings(ProducerProfile.FAST, BOOTSTRAP, Map.of(), "br", DELIVERY_TIMEOUT);

        assertThat(settings).containsOnly(
                entry("acks", "1"),
                entry("enable.idempotence", "false"),
                entry("retries", "0"),
                entry("linger.ms", "5"),
                entry("batch.size", "65536"),
                entry("max.block.ms", "1000"),
                entry("request.timeout.ms", "5000"),
                entry("delivery.timeout.ms", "10000"),
                entry("client.id", "br-fast"),
                entry("bootstrap.servers", BOOTSTRAP));
    }

    @ParameterizedTest
    @CsvSource({
            // profile, user key, user value, expected effective value
            "RELIABLE, linger.ms,           50,       50",
            "FAST,     linger.ms,           50,       50",
            "RELIABLE, compression.type,    lz4,      lz4",
            "FAST,     security.protocol,   SASL_SSL, SASL_SSL",
            // Policy settings are applied last: the user cannot weaken the guarantee.
            "RELIABLE, acks,                0,        all",
            "RELIABLE, enable.idempotence,  false,    true",
            "FAST,     acks,                all,      1",
            "FAST,     retries,             3,        0",
            "FAST,     enable.idempotence,  true,     false",
            // Bootstrap always comes from the argument.
            "RELIABLE, bootstrap.servers,   evil:1,   'kafka-1:9092,kafka-2:9092'",
            "FAST,     bootstrap.servers,   evil:1,   'kafka-1:9092,kafka-2:9092'",
    })
    void userPropertiesOverrideDefaultsButNotPolicy(ProducerProfile profile, String key, String value, String expected) {
        Map<String, Object> settings = KafkaProducers.settings(profile, BOOTSTRAP, Map.of(key, value), "br", DELIVERY_TIMEOUT);

        assertThat(settings).containsEntry(key, expected);
    }

    @ParameterizedTest
    @CsvSource({
            // bridge.kafka.delivery-timeout applies to the QoS 1/2 producer only; QoS 0 keeps its short one.
            "RELIABLE, PT30S,  30000",
            "RELIABLE, PT2M,   120000",
            "FAST,     PT30S,  10000",
            "FAST,     PT2M,   10000",
    })
    void deliveryTimeoutComesFromTheTypedKey(ProducerProfile profile, Duration deliveryTimeout, String expected) {
        assertThat(KafkaProducers.settings(profile, BOOTSTRAP, Map.of(), "br", deliveryTimeout))
                .containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, expected);
    }

    @Test
    void userAcksDoesNotChangeAnythingElse() {
        Map<String, Object> withUser = KafkaProducers.settings(ProducerProfile.RELIABLE, BOOTSTRAP,
                Map.of("acks", "0"), "br", DELIVERY_TIMEOUT);
        Map<String, Object> without = KafkaProducers.settings(ProducerProfile.RELIABLE, BOOTSTRAP, Map.of(), "br", DELIVERY_TIMEOUT);

        assertThat(withUser).isEqualTo(without);
    }

    @ParameterizedTest
    @CsvSource({
            "RELIABLE, bridge-a,       bridge-a-reliable",
            "FAST,     bridge-a,       bridge-a-fast",
            "RELIABLE, plant-7-host-1, plant-7-host-1-reliable",
            "FAST,     plant-7-host-1, plant-7-host-1-fast",
    })
    void clientIdIsPrefixAndProfile(ProducerProfile profile, String prefix, String expected) {
        assertThat(KafkaProducers.settings(profile, BOOTSTRAP, Map.of(), prefix, DELIVERY_TIMEOUT))
                .containsEntry(ProducerConfig.CLIENT_ID_CONFIG, expected);
    }

    @Test
    void settingsDoNotModifyTheUserMapOrShareState() {
        Map<String, String> user = new HashMap<>(Map.of("linger.ms", "50"));

        Map<String, Object> first = KafkaProducers.settings(ProducerProfile.FAST, BOOTSTRAP, user, "br", DELIVERY_TIMEOUT);
        first.put("linger.ms", "999");
        Map<String, Object> second = KafkaProducers.settings(ProducerProfile.FAST, BOOTSTRAP, user, "br", DELIVERY_TIMEOUT);

        assertThat(user).containsOnly(entry("linger.ms", "50"));
        assertThat(second).containsEntry("linger.ms", "50");
        assertThat(ProducerProfile.FAST.defaults()).containsEntry("linger.ms", "5");
    }

    /** Kafka itself accepts the combination (e.g. idempotence needs acks=all and retries > 0). */
    @ParameterizedTest
    @EnumSource(ProducerProfile.class)
    void kafkaAcceptsTheEffectiveSettings(ProducerProfile profile) {
        Map<String, Object> settings = new HashMap<>(KafkaProducers.settings(profile, BOOTSTRAP, Map.of(), "br", DELIVERY_TIMEOUT));
        settings.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        settings.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);

        assertThatCode(() -> new ProducerConfig(settings)).doesNotThrowAnyException();
        ProducerConfig config = new ProducerConfig(settings);
        assertThat(config.getBoolean(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG))
                .isEqualTo(profile == ProducerProfile.RELIABLE);
        assertThat(config.getString(ProducerConfig.ACKS_CONFIG)).isEqualTo(profile == ProducerProfile.RELIABLE ? "-1" : "1");
    }
}
