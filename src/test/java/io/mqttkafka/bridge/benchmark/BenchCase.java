package io.mqttkafka.bridge.benchmark;

/**
 * One measured configuration, run once per repetition. Its name is what the tables show.
 *
 * @param broker where the MQTT side runs: empty for the rig's own Mosquitto (every case of a default run), else the
 *               {@code bench.brokers} id of another broker (only drain and bridge-m2k cases), appended to the name
 *               ({@code bridge-m2k-q1-256@artemis})
 * @param maxQos the broker's highest QoS: a case above it is published and delivered at this QoS instead
 */
record BenchCase(Kind kind, int qos, int size, String broker, int maxQos) {

    /** A case against the rig's own Mosquitto. */
    BenchCase(Kind kind, int qos, int size) {
        this(kind, qos, size, "", 2);
    }

    /** The same case against broker {@code id}, whose highest QoS is {@code brokerMaxQos}. */
    BenchCase on(String id, int brokerMaxQos) {
        return new BenchCase(kind, qos, size, id, brokerMaxQos);
    }

    /** The case of kind {@code other} with this one's QoS, size and broker (e.g. the drain a bridge case compares to). */
    BenchCase withKind(Kind other) {
        return new BenchCase(other, qos, size, broker, maxQos);
    }

    /** The same case at another QoS, on the same broker. */
    BenchCase withQos(int other) {
        return new BenchCase(kind, other, size, broker, maxQos);
    }

    /** The QoS the messages travel with: the case's, or the broker's maximum when that is lower. */
    int deliveredQos() {
        return Math.min(qos, maxQos);
    }

    /** Whether the broker downgrades this case's QoS (RabbitMQ 3.10: QoS 2 becomes 1). */
    boolean downgraded() {
        return deliveredQos() < qos;
    }

    enum Kind {
        /** Harness publisher → Mosquitto → bare subscriber: the MQTT limit, and the reference for Kafka → MQTT. */
        DRAIN("drain"),
        /**
         * {@link #DRAIN} with the subscriber on Mosquitto's TLS listener (the publisher stays on plain TCP, as for
         * {@link #BRIDGE_M2K_TLS}): the MQTT limit over TLS, what the broker's own encryption costs.
         */
        DRAIN_TLS("drain-tls"),
        /** Kafka's own ProducerPerformance: the Kafka limit. */
        KAFKA_LIMIT("kafka-limit"),
        /** Harness publisher → Mosquitto → bridge → Kafka → harness consumer. */
        BRIDGE_M2K("bridge-m2k"),
        /**
         * {@link #BRIDGE_M2K} with the bridge connected to Mosquitto's TLS listener (a second bridge process, the same
         * broker): what TLS costs the bridge path (issue 19).
         */
        BRIDGE_M2K_TLS("bridge-m2k-tls"),
        /** The same through the naive Quarkus peer (bench/naive-bridge). */
        NAIVE_M2K("naive-m2k"),
        /** Harness producer → Kafka → bridge → Mosquitto → harness subscriber. */
        BRIDGE_K2M("bridge-k2m"),
        /**
         * As {@link #BRIDGE_M2K}, through a second bridge process that runs with {@code bridge.metrics.latency.enabled=false}
         * (its own topics): what the latency histograms cost, measured in the same run (issue 20).
         */
        METERS_OFF_M2K("meters-off-m2k"),
        /** As {@link #BRIDGE_K2M}, through the bridge without the latency histograms (see {@link #METERS_OFF_M2K}). */
        METERS_OFF_K2M("meters-off-k2m"),
        /**
         * As {@link #BRIDGE_M2K} at QoS 2, through a third bridge process whose one mapping has {@code exactly-once: true}
         * (its own topics): what exactly-once costs QoS 2, measured in the same run (issue 22: at most 20 % of the rate).
         */
        BRIDGE_M2K_EOS("bridge-m2k-eos"),
        /** Paced MQTT → Kafka through the bridge, for latency percentiles. */
        LATENCY_M2K("latency-m2k"),
        /**
         * As {@link #LATENCY_M2K} at QoS 2, through the exactly-once bridge (see {@link #BRIDGE_M2K_EOS}): a record becomes
         * visible to the {@code read_committed} consumer only when its transaction commits, so this is the latency that
         * {@code bridge.kafka.transaction-interval} adds (issue 22: p99 below the interval plus 15 ms).
         */
        LATENCY_M2K_EOS("latency-m2k-eos"),
        /** Paced Kafka → MQTT through the bridge, for latency percentiles. */
        LATENCY_K2M("latency-k2m"),
        /** Paced harness publisher → Mosquitto → bare subscriber: the MQTT hop's own latency, without the bridge. */
        LATENCY_DRAIN("latency-drain"),
        /**
         * Paced harness producer (the bridge's QoS 1 producer settings) → Kafka → harness consumer: the Kafka hop's
         * own latency, without the bridge.
         */
        LATENCY_KAFKA("latency-kafka");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    String name() {
        String name = kind == Kind.KAFKA_LIMIT || kind == Kind.LATENCY_KAFKA ? kind.label + "-" + size
                : kind.label + "-q" + qos + "-" + size;
        return broker.isEmpty() ? name : name + "@" + broker;
    }

    /**
     * Whether missing messages are an expected outcome (reported as LOSS) rather than a failure: QoS 0 promises
     * nothing, and the naive peer acknowledges MQTT before Kafka, so it is at-most-once at every QoS.
     */
    boolean atMostOnce() {
        return kind != Kind.KAFKA_LIMIT && (qos == 0 || kind == Kind.NAIVE_M2K);
    }

    /**
     * Whether a duplicate is a failure: QoS 2 promises exactly once, on the bridge's path as on Mosquitto's own. The
     * naive peer is left out because it promises nothing at any QoS (see {@link #atMostOnce()}), and so is a QoS 2
     * case the broker downgrades to QoS 1 (at least once). The cases through the exactly-once mapping are QoS 2 as well
     * (and promise once across a crash too); their consumer reads {@code read_committed}, as every consumer of the
     * harness does ({@link KafkaArrivals}), so a record of an aborted transaction is neither counted nor a duplicate.
     */
    boolean exactlyOnce() {
        return deliveredQos() == 2 && !atMostOnce();
    }

    /** Whether the case runs through the second bridge, the one without latency histograms. */
    boolean metersOff() {
        return kind == Kind.METERS_OFF_M2K || kind == Kind.METERS_OFF_K2M;
    }

    /**
     * Whether the case runs through the bridge whose mapping is exactly-once, which needs MQTT 5: the bridge refuses
     * {@code exactly-once: true} with MQTT 3.1.1 rather than run it as plain QoS 2.
     */
    boolean exactlyOnceMapping() {
        return kind == Kind.BRIDGE_M2K_EOS || kind == Kind.LATENCY_M2K_EOS;
    }

    boolean paced() {
        return kind == Kind.LATENCY_M2K || kind == Kind.LATENCY_M2K_EOS || kind == Kind.LATENCY_K2M
                || kind == Kind.LATENCY_DRAIN || kind == Kind.LATENCY_KAFKA;
    }
}
