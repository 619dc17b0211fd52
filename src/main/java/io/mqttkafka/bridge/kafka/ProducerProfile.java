package io.mqttkafka.bridge.kafka;

import java.util.Map;

/**
 * The two ways the bridge produces to Kafka. Which QoS uses which is decided by
 * {@code pipeline.DeliveryPolicy}; this class only says what each profile means for the producer.
 */
public enum ProducerProfile {

    /**
     * QoS 0: never waits long and never retries. A record Kafka does not take quickly is dropped and
     * counted, so that QoS 0 traffic cannot back up the MQTT connection.
     */
    FAST(Map.of(
            "acks", "1",
            "enable.idempotence", "false",
            "retries", "0"),
            Map.of(
                    "linger.ms", "5",
                    "batch.size", "65536",
                    "max.block.ms", "1000",
                    "request.timeout.ms", "5000",
                    "delivery.timeout.ms", "10000")),

    /**
     * QoS 1 and 2: acks=all and idempotence (no duplicates or reordering from producer retries). The
     * producer retries failures with backoff until {@code delivery.timeout.ms}, which comes from
     * {@code bridge.kafka.delivery-timeout} (see {@link KafkaProducers}); after that the pipeline decides
     * between the failure strategy (the record's partition refuses writes) and retrying (an outage).
     */
    RELIABLE(Map.of(
            "acks", "all",
            "enable.idempotence", "true"),
            Map.of(
                    "linger.ms", "5",
                    "batch.size", "65536",
                    "max.in.flight.requests.per.connection", "5",
                    "retries", Integer.toString(Integer.MAX_VALUE),
                    // Bounds how long a send blocks on metadata for a topic Kafka does not know; then the
                    // bridge checks whether the topic is missing (dead-letter) or Kafka is down (retry).
                    "max.block.ms", "10000"));

    private final Map<String, String> policySettings;
    private final Map<String, String> defaults;

    ProducerProfile(Map<String, String> policySettings, Map<String, String> defaults) {
        this.policySettings = policySettings;
        this.defaults = defaults;
    }

    /** Settings that define the guarantee; applied last, user properties cannot change them. */
    public Map<String, String> policySettings() {
        return policySettings;
    }

    /** Tuned defaults that {@code bridge.kafka.properties} may override. */
    public Map<String, String> defaults() {
        return defaults;
    }
}
