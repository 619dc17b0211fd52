package io.mqttkafka.bridge.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/**
 * The whole user-facing configuration, under the {@code bridge} prefix. Every key has a default or is
 * optional, so an empty configuration starts a bridge that talks to {@code localhost} and bridges nothing.
 * Cross-field rules (filters, templates, unique names) are checked by {@link BridgeConfigValidator} at
 * startup, because they cannot be expressed per key.
 */
@ConfigMapping(prefix = "bridge")
public interface BridgeConfig {

    /**
     * Logical bridge name, shared by all replicas of one deployment. Stamped on every bridged message as
     * its origin, which is how the bridge recognises its own messages coming back (loop guard).
     */
    @WithDefault("mqtt-kafka-bridge")
    String id();

    /** The MQTT broker connection. */
    Mqtt mqtt();

    /** The Kafka cluster connection. */
    Kafka kafka();

    /** MQTT → Kafka mappings, in declaration order. */
    @WithName("mqtt-to-kafka")
    List<MqttToKafkaMapping> mqttToKafka();

    /** Kafka → MQTT mappings, in declaration order. */
    @WithName("kafka-to-mqtt")
    List<KafkaToMqttMapping> kafkaToMqtt();

    /**
     * Kafka topic that receives messages which cannot be written to their mapped topic (illegal
     * rendered topic name, record too large, topic missing). Must be a legal Kafka topic name.
     */
    @WithName("dead-letter-topic")
    @WithDefault("mqtt-kafka-bridge.dead-letter")
    String deadLetterTopic();

    /**
     * On shutdown, how long to wait for Kafka to acknowledge records already sent before disconnecting.
     * Messages not acknowledged by then are not acknowledged to MQTT either and are redelivered by the
     * broker after restart (persistent session).
     */
    @WithName("shutdown-timeout")
    @WithDefault("30S")
    Duration shutdownTimeout();

    /**
     * How long a message may wait without progress before the direction is reported as stalled: MQTT → Kafka, the
     * oldest message not yet acknowledged; Kafka → MQTT, the oldest record in flight of a partition, which is then
     * also paused (its later records are not published ahead of it) until that record is done. Either makes
     * {@code /q/health/ready} report down, naming what waits. Keep it above {@code bridge.kafka.delivery-timeout}, the
     * longest a healthy QoS 1/2 message can wait for a refusing partition.
     */
    @WithName("stall-timeout")
    @WithDefault("5M")
    Duration stallTimeout();

    /** The bridge's own meters (Micrometer; Prometheus format at {@code /q/metrics}). */
    Metrics metrics();

    /** Meters that are optional or tunable. */
    interface Metrics {
        /** The latency histograms. */
        Latency latency();

        /**
         * How often the meters of the bridge's Kafka clients are checked for new Kafka metrics: per-partition metrics
         * such as a consumer's lag appear when a partition is assigned and show in {@code /q/metrics} at the next check.
         */
        @WithName("kafka-client-refresh")
        @WithDefault("15S")
        Duration kafkaClientRefresh();
    }

    /** The latency histograms {@code bridge.mqtt.to.kafka.latency} and {@code bridge.kafka.to.mqtt.latency}. */
    interface Latency {
        /**
         * Record them. {@code false} leaves them out (not registered, no clock read per message); the benchmark runs the
         * bridge both ways to measure what they cost.
         */
        @WithDefault("true")
        boolean enabled();
    }

    /**
     * The bridge's own status on MQTT: a retained {@code online} message once connected, and a last will that makes
     * the broker announce {@code offline} when the bridge vanishes.
     */
    Status status();

    /**
     * The bridge's status topic. Each replica announces on its own topic (the default contains the client id, which
     * is unique per replica): on one topic shared by replicas the state would flap between them. The status rides on
     * a connection of its own, {@code <client-id>-status}, whatever mappings are configured (README, "Bridge status").
     */
    interface Status {
        /**
         * Topic of the retained status message, {@code {"state":"online"|"offline","bridge":...,"client_id":...,
         * "version":...,"timestamp":<epoch ms>}}. Placeholders: {@code {id}} ({@code bridge.id}) and
         * {@code {client-id}} ({@code bridge.mqtt.client-id}, or the one derived from {@code bridge.id} and the host
         * name); {@code {{} and {@code }}} for literal braces. Must be a topic name the bridge may publish to: no
         * wildcard, no leading {@code $}. The empty string turns the status off (no status connection, no will).
         */
        @WithDefault(StatusTopic.DEFAULT_TEMPLATE)
        Optional<String> topic();

        /**
         * QoS of the status messages and of the last will: 0, 1 or 2. With 0 a status message may be lost on the way to
         * the broker; the retained state then stays at the previous one.
         */
        @WithDefault("1")
        int qos();
    }

    /** MQTT connection settings. */
    interface Mqtt {
        /** Broker host name or address. */
        @WithDefault("localhost")
        String host();

        /** Broker port. */
        @WithDefault("1883")
        int port();

        /** {@code 5} for MQTT 5, {@code 3} for MQTT 3.1.1. */
        @WithName("protocol-version")
        @WithDefault("5")
        int protocolVersion();

        /**
         * MQTT client identifier. Must be unique per replica and stable across restarts: the broker keys
         * the persistent session on it. Default: {@code <bridge.id>-<host name>}. The Kafka → MQTT
         * connection uses this id with {@code -pub} appended.
         */
        @WithName("client-id")
        Optional<String> clientId();

        /**
         * {@code false} keeps the subscriber's session (subscriptions and queued QoS 1/2 messages) across
         * bridge restarts; {@code true} starts afresh and loses what was queued while the bridge was away. The
         * Kafka → MQTT publisher connection always starts clean (see {@code MqttConnection}).
         */
        @WithName("clean-start")
        @WithDefault("false")
        boolean cleanStart();

        /**
         * MQTT 5: how long the broker keeps the subscriber's session while the bridge is disconnected. Ignored with
         * MQTT 3.1.1, where a non-clean session never expires on the broker's side.
         */
        @WithName("session-expiry")
        @WithDefault("1H")
        Duration sessionExpiry();

        /** User name, if the broker requires authentication. */
        Optional<String> username();

        /**
         * Password, if the broker requires authentication. Never logged. Set at most one of this and
         * {@code password-file}.
         */
        Optional<Secret> password();

        /**
         * A file holding the password (e.g. a mounted Kubernetes secret), read again before every connection attempt,
         * so that a rotated password is used from the next reconnect on without a restart. One trailing line break
         * is ignored. Its contents are never logged. Set at most one of this and {@code password}.
         */
        @WithName("password-file")
        Optional<Path> passwordFile();

        /** TLS towards the broker. */
        Tls tls();

        /**
         * The name of a Quarkus TLS configuration ({@code quarkus.tls.<name>.*}) giving the trust store, the key store
         * (for mutual TLS), protocols, cipher suites, host-name verification and {@code reload-period}. Setting it
         * turns TLS on. When the configuration sets no {@code protocols}, the bridge offers TLS 1.3 and TLS 1.2 (the
         * Quarkus default would be TLS 1.3 only, which many MQTT brokers do not speak yet).
         */
        @WithName("tls-configuration-name")
        Optional<String> tlsConfigurationName();

        /** Keep-alive interval sent in CONNECT. */
        @WithName("keep-alive")
        @WithDefault("60S")
        Duration keepAlive();

        /**
         * Most unacknowledged QoS 1/2 messages the bridge holds in the MQTT → Kafka direction (MQTT 5 and 3.1.1),
         * which bounds its in-flight work and memory: at this many it stops reading the connection, and reads again
         * at half of it, whatever the broker's own window (the subscriber announces Receive Maximum 65535; capped
         * at 49151, see docs/design.md). The Kafka → MQTT connection announces it as its MQTT 5 Receive Maximum.
         */
        @WithName("receive-maximum")
        @WithDefault("1000")
        int receiveMaximum();

        /**
         * Largest payload, in bytes, the bridge publishes (Kafka → MQTT); a larger record goes straight to its mapping's
         * failure strategy ({@code message-too-large}). For brokers that limit message size without announcing it in
         * CONNACK, e.g. Mosquitto's {@code message_size_limit}: such a broker answers an oversized MQTT 5 publish with
         * a reason code the client must treat as a protocol error, so the connection ends, and drops it silently with
         * MQTT 3.1.1. Default: no limit of the bridge's own (a Maximum Packet Size the broker announces applies anyway).
         */
        @WithName("maximum-message-size")
        Optional<Integer> maximumMessageSize();

        /** First delay before reconnecting after a lost or failed connection; doubles up to the maximum. */
        @WithName("reconnect-initial-delay")
        @WithDefault("1S")
        Duration reconnectInitialDelay();

        /** Upper bound of the reconnect delay. */
        @WithName("reconnect-max-delay")
        @WithDefault("30S")
        Duration reconnectMaxDelay();
    }

    /** TLS towards the MQTT broker. */
    interface Tls {
        /**
         * Connect over TLS. Default {@code false}, unless {@code bridge.mqtt.tls-configuration-name} is set, which
         * turns TLS on ({@code false} beside it is a configuration error). Alone, it trusts the JVM's default trust
         * store (public certificate authorities), sends no client certificate, verifies the broker's host name and
         * offers TLS 1.3 and TLS 1.2.
         */
        Optional<Boolean> enabled();
    }

    /** Kafka connection settings. */
    interface Kafka {
        /** Comma-separated {@code host:port} list. */
        @WithName("bootstrap-servers")
        @WithDefault("localhost:9092")
        String bootstrapServers();

        /**
         * Passed as-is to every Kafka client the bridge creates ({@code security.*}, {@code sasl.*},
         * {@code ssl.*}, {@code compression.type}, {@code linger.ms}, ...). Settings that the delivery
         * policy depends on ({@code acks}, {@code enable.idempotence}, serializers) are owned by the bridge
         * and rejected here with an explanation.
         */
        Map<String, String> properties();

        /**
         * Most QoS 0 records the bridge holds waiting for Kafka before it drops new QoS 0 messages (and
         * counts them), so that QoS 0 traffic never backs up the MQTT connection.
         */
        @WithName("qos0-max-in-flight")
        @WithDefault("10000")
        int qos0MaxInFlight();

        /**
         * What the bridge does with a QoS 0 message that arrives while {@code qos0-max-in-flight} of them wait for
         * Kafka. {@code drop} (default): drop it and count it ({@code bridge_messages_dropped_total{reason="overload"}}),
         * so that QoS 1/2 messages on the same connection keep flowing and the loss shows in the bridge's metrics.
         * {@code push-back}: stop reading the MQTT connection until half of them are written, so that the broker
         * queues the excess (and drops beyond its own limits, e.g. Mosquitto's {@code max_queued_messages}, counted
         * only by the broker); a burst that fits the broker's queue then loses nothing, but every QoS 1/2 message of
         * the same connection waits behind it. See docs/design.md, "QoS 0 under overload".
         */
        @WithName("qos0-overload")
        @WithDefault("drop")
        Qos0Overload qos0Overload();

        /** {@code bridge.kafka.qos0-overload}. */
        enum Qos0Overload {
            /** Drop new QoS 0 messages beyond the limit, and count them. */
            DROP,
            /** Stop reading the MQTT connection at the limit; the broker holds the excess. */
            PUSH_BACK
        }

        /**
         * How long the producer keeps retrying a QoS 1/2 record (with backoff) while Kafka answers with an
         * error for it, e.g. its partition has fewer in-sync replicas than {@code min.insync.replicas} or no
         * leader. Then the bridge asks the cluster: if that partition still cannot take writes, the record
         * goes to its mapping's failure strategy (dead-letter by default), so it holds back the
         * acknowledgements of the messages behind it for at most this long. If the partition is healthy, or
         * Kafka cannot be reached at all, the failure is an outage, not a property of the record: the message
         * stays unacknowledged and is retried until Kafka is back, however long that takes. Must be at least
         * {@code linger.ms} + {@code request.timeout.ms} (Kafka's rule for {@code delivery.timeout.ms}, which
         * this sets for the QoS 1/2 producer).
         */
        @WithName("delivery-timeout")
        @WithDefault("2M")
        Duration deliveryTimeout();

        /** Flow control of the Kafka → MQTT direction's consumers. */
        Consumer consumer();

        /**
         * Exactly-once mappings ({@code bridge.mqtt-to-kafka[n].exactly-once}): the start of the {@code transactional.id}
         * of this replica's transactional producer, which is {@code <prefix>-mqtt-to-kafka}. Kafka fences an older
         * producer with the same id when a new one starts, which is how a restarted replica stops the writes of the
         * process it replaces; so the prefix must be <em>unique per replica and stable across its restarts</em>, like the
         * MQTT client id. Two replicas with the same prefix fence each other. Default: the MQTT client id
         * ({@code bridge.mqtt.client-id}, or the one derived from {@code bridge.id} and the host name). Read only when a
         * mapping is exactly-once. See docs/design.md, "Exactly-once QoS 2".
         */
        @WithName("transactional-id-prefix")
        Optional<String> transactionalIdPrefix();

        /**
         * Exactly-once mappings: how often the open Kafka transaction is committed. The PUBREC of a QoS 2 message leaves
         * only after the transaction holding its records has committed, so this adds up to its length to the latency of
         * such a message; each commit costs a fixed overhead whatever it holds, so a shorter interval costs throughput.
         * Must be positive and shorter than the producer's {@code transaction.timeout.ms} (Kafka's default 60 s, settable
         * in {@code bridge.kafka.properties}). Read only when a mapping is exactly-once.
         */
        @WithName("transaction-interval")
        @WithDefault("100ms")
        Duration transactionInterval();

        /**
         * Exactly-once mappings: the compacted topic that keeps, per MQTT client id, the messages written but not yet
         * released by the broker's PUBREL, committed in the same transactions as the records. Created (compacted, one
         * partition) if missing; shared by replicas, each under its own key. Read only when a mapping is exactly-once.
         */
        @WithName("exactly-once-state-topic")
        @WithDefault("mqtt-kafka-bridge.exactly-once-state")
        String exactlyOnceStateTopic();
    }

    /**
     * Kafka → MQTT flow control. Each consumer pauses its partitions when the records it has handed to MQTT
     * and not yet seen acknowledged reach a high watermark (by count or by bytes), and resumes below the low
     * watermark; it keeps polling meanwhile, so it stays in its group. This bounds the bridge's memory when
     * the MQTT broker is slow or away.
     */
    interface Consumer {
        /** Records in flight (per consumer group) at which the consumer pauses. */
        @WithName("high-watermark")
        @WithDefault("2000")
        int highWatermark();

        /** Records in flight below which a paused consumer resumes. Must be lower than the high watermark. */
        @WithName("low-watermark")
        @WithDefault("1000")
        int lowWatermark();

        /**
         * Payload bytes in flight (per consumer group) at which the consumer pauses, whatever the record
         * count; it resumes when both the count is below the low watermark and the bytes are below half of
         * this. One poll may overshoot by up to {@code max.poll.records} records.
         */
        @WithName("high-watermark-bytes")
        @WithDefault("33554432")
        long highWatermarkBytes();

        /**
         * When partitions are revoked (rebalance, scale-out), how long to wait for their in-flight records
         * to be acknowledged by MQTT so their offsets can be committed. Records still in flight after that
         * are abandoned uncommitted: the partition's next owner delivers them again (at least once). Keep it
         * well below {@code max.poll.interval.ms}.
         */
        @WithName("revoke-timeout")
        @WithDefault("10S")
        Duration revokeTimeout();
    }

    /** One MQTT → Kafka mapping. */
    interface MqttToKafkaMapping {
        /** Unique name, used in logs, metrics and dead-letter headers. */
        String name();

        /**
         * MQTT topic filter: {@code +}, {@code #}, named single levels {@code {name}}, and an optional
         * {@code $share/<group>/} prefix for a shared subscription.
         */
        String filter();

        /** Subscription QoS: 0, 1 or 2. It decides the delivery guarantee into Kafka. */
        @WithDefault("1")
        int qos();

        /**
         * Kafka topic template: literal text with {@code {name}}, {@code {1}}..{@code {n}} and
         * {@code {topic}} placeholders.
         */
        @WithName("kafka-topic")
        String kafkaTopic();

        /** Record key template (same placeholders as {@code kafka-topic}). Default: the MQTT topic. */
        Optional<String> key();

        /**
         * Write an empty retained MQTT message (which clears the broker's retained state) as a Kafka
         * tombstone (null value), so that a compacted topic mirrors the retained state. When
         * {@code false}, it is written as an empty value like any other message.
         */
        @WithName("retained-empty-as-tombstone")
        @WithDefault("true")
        boolean retainedEmptyAsTombstone();

        /**
         * What to do with a message that can never be written as it is (illegal rendered topic, too large,
         * topic missing): {@code dead-letter} (write it to the dead-letter topic, then acknowledge),
         * {@code ignore} (acknowledge it, count it) or {@code fail} (stop taking messages, report not alive).
         */
        @WithName("failure-strategy")
        @WithDefault("dead-letter")
        String failureStrategy();

        /**
         * Write each QoS 2 message exactly once into Kafka, even across a crash of the bridge: the records go out in Kafka
         * transactions ({@code bridge.kafka.transaction-interval}), the PUBREC only after their commit, and the messages
         * written but not yet released by the broker's PUBREL are kept in the same transactions, so that the broker's
         * redelivery of one of them after a restart is acknowledged without being written again. A consumer reading
         * with {@code isolation.level=read_committed} then sees every message once. Only with {@code qos: 2}, a kept
         * session ({@code bridge.mqtt.clean-start: false}; with MQTT 5 a {@code session-expiry} above 0). Default
         * {@code false}: QoS 2 writes each message once per session (README, "Delivery guarantees"). See
         * docs/design.md, "Exactly-once QoS 2". MQTT 5 only: with MQTT 3.1.1 {@code true} is refused at startup rather
         * than run as plain QoS 2.
         */
        @WithName("exactly-once")
        @WithDefault("false")
        boolean exactlyOnce();
    }

    /** One Kafka → MQTT mapping. Exactly one of {@code kafka-topic} and {@code kafka-topic-pattern} is set. */
    interface KafkaToMqttMapping {
        /** Unique name (across both directions), used in logs, metrics and dead-letter headers. */
        String name();

        /** The Kafka topic to read. */
        @WithName("kafka-topic")
        Optional<String> kafkaTopic();

        /** A regular expression (Java syntax) matched against whole topic names; new matching topics are picked up. */
        @WithName("kafka-topic-pattern")
        Optional<String> kafkaTopicPattern();

        /**
         * Kafka consumer group. Mappings with the same group share one consumer; replicas with the same
         * group share the partitions. Default: {@code bridge.id}.
         */
        @WithName("group-id")
        Optional<String> groupId();

        /**
         * MQTT topic template: literal text with {@code {key}}, {@code {topic}}, {@code {partition}} and
         * {@code {header:NAME}} placeholders.
         */
        @WithName("mqtt-topic")
        String mqttTopic();

        /** Publish QoS: 0, 1 or 2. QoS 1/2 commit an offset only after the broker acknowledged the record. */
        @WithDefault("1")
        int qos();

        /**
         * Publish retained. A tombstone (null value) is then published as an empty retained message, which
         * clears the broker's retained message for that topic.
         */
        @WithDefault("false")
        boolean retain();

        /**
         * Whether the values of {@code {key}} and {@code {header:NAME}} may contain {@code /} and so span several topic
         * levels (key {@code site-1/valve-2} into {@code devices/{key}/commands} gives
         * {@code devices/site-1/valve-2/commands}). Off by default: a record whose value would add levels to the ones
         * the template fixes is dead-lettered, so that whoever writes to the Kafka topic cannot reach MQTT topics the
         * template does not describe (another device's command topic, a deeper level that other subscribers match).
         */
        @WithName("multi-level-values")
        @WithDefault("false")
        boolean multiLevelValues();

        /**
         * What to do with a record that can never be published as it is (its topic cannot be rendered, or the
         * broker refuses it): {@code dead-letter} (write it to the dead-letter topic, then commit),
         * {@code ignore} (commit it, count it) or {@code fail} (stop consuming, report not alive).
         */
        @WithName("failure-strategy")
        @WithDefault("dead-letter")
        String failureStrategy();
    }
}
