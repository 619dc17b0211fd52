package io.mqttkafka.bridge.benchmark;

import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.testing.BridgeProcess;
import io.mqttkafka.bridge.testing.KafkaBrokerProcess;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.TestCertificates;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.WithDefault;

/**
 * Everything the cases run against, started once per benchmark run: Mosquitto, a Kafka broker, the bridge and
 * one naive peer per QoS, all as separate processes, with every topic created up front (auto-creation would add
 * a delay and warnings to the first case). {@link #close()} stops all of them, and only them.
 */
final class BenchmarkRig implements AutoCloseable {

    static final int[] SIZES = {256, 4096};
    /** The smallrye-mqtt connector refuses QoS 2 on an incoming channel ("SRMSG17001: Invalid QoS value: 2"). */
    static final int[] NAIVE_QOS_LEVELS = {0, 1};
    static final String BRIDGE_ID = "bench-bridge";
    static final String TLS_BRIDGE_ID = "bench-bridge-tls";
    static final String K2M_GROUP = "bench-k2m";
    /** The second bridge, without latency histograms (the {@code meters-off-*} cases), and its consumer group. */
    static final String BRIDGE_WITHOUT_METERS_ID = "bench-bridge-off";
    static final String K2M_GROUP_WITHOUT_METERS = "bench-off-k2m";
    /** The third bridge, whose one mapping is exactly-once ({@code bridge-m2k-eos}, {@code latency-m2k-eos}). */
    static final String EXACTLY_ONCE_BRIDGE_ID = "bench-bridge-eos";
    /**
     * The exactly-once bridge's one mapping, an item of {@code bridge.mqtt-to-kafka}: QoS 2, exactly-once, from
     * {@link #m2kExactlyOnceMqttTopic} to {@link #m2kExactlyOnceKafkaTopic}.
     */
    static final String EXACTLY_ONCE_MAPPING = """
                - name: m2k-eos-q2
                  filter: bench/eos-m2k/q2/{size}
                  qos: 2
                  kafka-topic: bench-eos-m2k-q2-{size}
                  exactly-once: true
            """;
    private static final int PARTITIONS = 3;
    /** The plain bridges map QoS 0, 1 and 2, one MQTT subscription each. */
    private static final int MAPPED_QOS_LEVELS = 3;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    /** {@code bench.bridge.heap}: the bridge's {@code -Xmx}; 256 MB, the budget of issue 5. */
    static final String BRIDGE_HEAP = Benchmark.Options.property("bench.bridge.heap", "256m");
    /**
     * {@code bench.naive.heap}: the naive peer's {@code -Xmx}. Its connector acknowledges MQTT on arrival and buffers
     * without bound what Kafka has not taken yet, so it needs heap for a case's whole backlog: at 4 KiB, where Kafka
     * takes about half of what MQTT delivers, 512 MB ran out of memory in every repetition.
     */
    static final String NAIVE_HEAP = Benchmark.Options.property("bench.naive.heap", "4g");
    /** {@code bench.bridge.protocol-version}: the bridge's MQTT version, 5 (default) or 3 (MQTT 3.1.1). */
    static final String BRIDGE_PROTOCOL_VERSION = Benchmark.Options.property("bench.bridge.protocol-version", "5");
    /** {@code bench.bridge.receive-maximum}: the bridge's {@code bridge.mqtt.receive-maximum}; unset, its default. */
    static final String BRIDGE_RECEIVE_MAXIMUM = Benchmark.Options.property("bench.bridge.receive-maximum", "");
    /**
     * {@code bench.bridge.jvm-options}: extra JVM options for the bridge, separated by spaces (e.g. a profiler agent,
     * or a garbage collector to compare); unset, the bridge runs as {@code java -Xmx<heap> -jar}.
     */
    static final String BRIDGE_JVM_OPTIONS = Benchmark.Options.property("bench.bridge.jvm-options", "");
    /**
     * {@code bench.bridge.qos0-overload}: the bridges' {@code bridge.kafka.qos0-overload} ({@code drop} or
     * {@code push-back}); unset, the bridge's default. Compares what each loses under a QoS 0 overload, where
     * (bridge drops against broker drops) and at what rate (docs/benchmarks.md, "QoS 0 under overload").
     */
    static final String BRIDGE_QOS0_OVERLOAD = Benchmark.Options.property("bench.bridge.qos0-overload", "");
    /**
     * {@code bench.bridge.transaction-interval}: the exactly-once bridge's {@code bridge.kafka.transaction-interval}
     * (e.g. {@code 50ms}); unset, the bridge's default. It bounds what exactly-once adds to the latency, so the report's
     * latency target is taken from it ({@link #transactionInterval()}).
     */
    static final String BRIDGE_TRANSACTION_INTERVAL = Benchmark.Options.property("bench.bridge.transaction-interval", "");
    private final Path workDir;
    private final boolean profiling = "true".equalsIgnoreCase(System.getProperty("bench.profile", ""));
    private final List<AutoCloseable> started = new ArrayList<>();
    private final Map<Integer, NaivePeerProcess> naivePeers = new HashMap<>();
    /** The bridges of {@link #startBrokerBridge}, by {@code bench.brokers} id. */
    private final Map<String, BridgeProcess> brokerBridges = new HashMap<>();
    private MosquittoProcess mosquitto;
    private KafkaBrokerProcess kafka;
    private BridgeProcess bridge;
    private BridgeProcess tlsBridge;
    /** The CA that signed the broker's TLS listener certificate, the one thing the TLS bridge trusts. */
    private TestCertificates.Pem tlsCa;
    private BridgeProcess bridgeWithoutMeters;
    private BridgeProcess exactlyOnceBridge;

    BenchmarkRig(Path workDir) {
        this.workDir = workDir;
    }

    static String m2kMqttTopic(int qos, int size) {
        return m2kMqttTopic(qos, size, false);
    }

    /** @param metersOff the topic of the bridge without latency histograms */
    static String m2kMqttTopic(int qos, int size, boolean metersOff) {
        return "bench/" + (metersOff ? "off-" : "") + "m2k/q" + qos + "/" + size;
    }

    static String m2kKafkaTopic(int qos, int size) {
        return m2kKafkaTopic(qos, size, false);
    }

    static String m2kKafkaTopic(int qos, int size, boolean metersOff) {
        return "bench-" + (metersOff ? "off-" : "") + "m2k-q" + qos + "-" + size;
    }

    /** The MQTT topic of the exactly-once mapping (QoS 2 only, as the mapping). */
    static String m2kExactlyOnceMqttTopic(int size) {
        return "bench/eos-m2k/q2/" + size;
    }

    static String m2kExactlyOnceKafkaTopic(int size) {
        return "bench-eos-m2k-q2-" + size;
    }

    static String m2kTlsMqttTopic(int qos, int size) {
        return "bench/m2k-tls/q" + qos + "/" + size;
    }

    static String m2kTlsKafkaTopic(int qos, int size) {
        return "bench-m2k-tls-q" + qos + "-" + size;
    }

    static String naiveMqttTopic(int qos, int size) {
        return "bench/naive/q" + qos + "/" + size;
    }

    static String naiveKafkaTopic(int qos) {
        return "bench-naive-q" + qos;
    }

    static String drainTlsTopic(int qos, int size) {
        return "bench/drain-tls/q" + qos + "/" + size;
    }

    static String drainTopic(int qos, int size) {
        return "bench/drain/q" + qos + "/" + size;
    }

    static String k2mKafkaTopic(int qos) {
        return k2mKafkaTopic(qos, false);
    }

    static String k2mKafkaTopic(int qos, boolean metersOff) {
        return "bench-" + (metersOff ? "off-" : "") + "k2m-q" + qos;
    }

    static String k2mMqttTopic(int qos) {
        return k2mMqttTopic(qos, false);
    }

    static String k2mMqttTopic(int qos, boolean metersOff) {
        return "bench/" + (metersOff ? "off-" : "") + "k2m/q" + qos;
    }

    static String latencyKafkaTopic() {
        return "bench-latency-kafka";
    }

    static String kafkaLimitTopic(int size) {
        return "bench-kafka-limit-" + size;
    }

    /**
     * Starts Mosquitto (plain TCP, and a TLS listener on a second port with a certificate made here) and Kafka, and
     * creates the topics.
     */
    void startBrokers() {
        System.out.println("Starting Mosquitto and Kafka ...");
        Path certificates = workDir.resolve("tls");
        TestCertificates ca = TestCertificates.newCa(certificates, "bench-ca");
        TestCertificates.Pem server = ca.server("broker");
        tlsCa = ca.ca();
        mosquitto = track(MosquittoProcess.startWithSecondListener("cafile " + tlsCa.cert() + "\ncertfile "
                + server.cert() + "\nkeyfile " + server.key() + "\nallow_anonymous true\n"));
        mosquitto.followSysTopics();
        kafka = track(KafkaBrokerProcess.start(Map.of()));
        List<String> topics = new ArrayList<>(List.of("mqtt-kafka-bridge.dead-letter"));
        for (int qos : NAIVE_QOS_LEVELS) {
            topics.add(naiveKafkaTopic(qos));
        }
        for (int qos = 0; qos <= 2; qos++) {
            for (int size : SIZES) {
                topics.add(m2kKafkaTopic(qos, size));
                topics.add(m2kKafkaTopic(qos, size, true));
            }
        }
        for (int size : SIZES) {
            topics.add(kafkaLimitTopic(size));
            topics.add(m2kTlsKafkaTopic(1, size));
            topics.add(m2kExactlyOnceKafkaTopic(size));
        }
        for (boolean metersOff : new boolean[] {false, true}) {
            topics.add(k2mKafkaTopic(0, metersOff));
            topics.add(k2mKafkaTopic(1, metersOff));
        }
        topics.add(latencyKafkaTopic());
        topics.forEach(topic -> KafkaTestProducer.createTopic(kafka.bootstrapServers(), topic, PARTITIONS));
    }

    /**
     * Starts the bridge with one MQTT → Kafka mapping per QoS (the size is a named level, so one mapping serves
     * both sizes) and one Kafka → MQTT mapping for QoS 0 and 1. Everything else stays at the bridge's defaults,
     * as a user would run it, unless a {@code bench.bridge.*} option says otherwise.
     */
    void startBridge() {
        System.out.println("Starting the bridge ...");
        bridge = startBridge(BRIDGE_ID, mosquitto.port(), BRIDGE_PROTOCOL_VERSION, "", m2kMappings(false),
                MAPPED_QOS_LEVELS, false, K2M_GROUP);
    }

    /**
     * Starts a bridge for the broker {@code broker} of {@code bench.brokers} (its own process, {@code bench-bridge-<id>}),
     * as the plain bridge but with the MQTT → Kafka mappings only, connected to {@code port} with MQTT {@code protocol};
     * {@link #brokerBridge} returns it until {@link #stopBrokerBridge}.
     */
    void startBrokerBridge(String broker, int port, int protocol) {
        System.out.println("Starting the bridge for " + broker + " ...");
        brokerBridges.put(broker, startBridge(BRIDGE_ID + "-" + broker, port, Integer.toString(protocol), "",
                m2kMappings(false), MAPPED_QOS_LEVELS, false, null));
    }

    /** The bridge of {@link #startBrokerBridge}, started again first if it exited (see {@link #bridge()}). */
    BridgeProcess brokerBridge(String broker) {
        return startedAgainIfExited(brokerBridges.get(broker), "The bridge for " + broker, MAPPED_QOS_LEVELS);
    }

    /** Stops the bridge of {@link #startBrokerBridge} (before its broker stops, so that it does not reconnect). */
    void stopBrokerBridge(String broker) {
        BridgeProcess stopped = brokerBridges.remove(broker);
        if (stopped != null) {
            stop(stopped);
        }
    }

    /**
     * Starts a second bridge, the same but with {@code bridge.metrics.latency.enabled=false} and on topics of its own
     * ({@code bench/off-m2k/...}, {@code bench-off-k2m-...}), for the {@code meters-off-*} cases: the two bridges run side
     * by side through the whole run, each idle while the other is measured, so that both are equally warm and the
     * comparison of their CPU per message is the cost of the latency histograms.
     */
    void startBridgeWithoutMeters() {
        System.out.println("Starting the bridge without latency histograms ...");
        bridgeWithoutMeters = startBridge(BRIDGE_WITHOUT_METERS_ID, mosquitto.port(), BRIDGE_PROTOCOL_VERSION,
                "  metrics:\n    latency:\n      enabled: false\n", m2kMappings(true), MAPPED_QOS_LEVELS, true,
                K2M_GROUP_WITHOUT_METERS);
    }

    /**
     * Starts a third bridge, the same as the plain one (heap, receive maximum, Kafka properties, JVM options) but with a
     * single MQTT → Kafka mapping, QoS 2 with {@code exactly-once: true}, on topics of its own
     * ({@code bench/eos-m2k/q2/...}, {@code bench-eos-m2k-q2-...}), for the {@code bridge-m2k-eos} and
     * {@code latency-m2k-eos} cases. As for the bridge
     * without meters, it runs beside the plain bridge through the whole run, each idle while the other is measured, so
     * that bridge-m2k-eos against bridge-m2k at QoS 2 is the cost of exactly-once. Its transactional id prefix is its
     * client id (the bridge's default) and its state topic the default one, which it creates; its transaction interval
     * is {@code bench.bridge.transaction-interval}, or the bridge's default.
     *
     * @throws IllegalStateException with MQTT 3.1.1, which the bridge refuses an exactly-once mapping with (the harness
     *         leaves the cases out or stops before, see {@link Benchmark#withoutExactlyOnceUnlessMqtt5})
     */
    void startExactlyOnceBridge() {
        if (!speaksMqtt5()) {
            throw new IllegalStateException("The exactly-once bridge needs MQTT 5; bench.bridge.protocol-version is "
                    + BRIDGE_PROTOCOL_VERSION);
        }
        System.out.println("Starting the bridge with the exactly-once mapping (transaction interval "
                + (BRIDGE_TRANSACTION_INTERVAL.isEmpty() ? "the bridge's default, " : "")
                + transactionInterval().toMillis() + " ms) ...");
        exactlyOnceBridge = startBridge(EXACTLY_ONCE_BRIDGE_ID, mosquitto.port(), BRIDGE_PROTOCOL_VERSION,
                exactlyOnceKafkaYaml(BRIDGE_TRANSACTION_INTERVAL), EXACTLY_ONCE_MAPPING, 1, false, null);
    }

    /**
     * The exactly-once bridge's own {@code bridge.kafka} keys: its transaction interval when
     * {@code bench.bridge.transaction-interval} ({@code option}) sets one, else none (the bridge's default).
     */
    static String exactlyOnceKafkaYaml(String option) {
        return option.isEmpty() ? "" : "    transaction-interval: " + option + "\n";
    }

    /** Whether the bridges speak MQTT 5 ({@code bench.bridge.protocol-version}), which an exactly-once mapping needs. */
    static boolean speaksMqtt5() {
        return Integer.parseInt(BRIDGE_PROTOCOL_VERSION) == 5;
    }

    /**
     * The exactly-once bridge's transaction interval: {@code bench.bridge.transaction-interval} read as the bridge reads
     * it (Quarkus' duration syntax: {@code 100ms}, {@code 1s}, {@code PT0.1S}), or the bridge's own default, taken from
     * its {@link BridgeConfig.Kafka#transactionInterval()} declaration so that the two cannot drift apart.
     *
     * @throws IllegalArgumentException naming the option when the value is no positive duration
     */
    static Duration transactionInterval() {
        return transactionInterval(BRIDGE_TRANSACTION_INTERVAL);
    }

    /** {@link #transactionInterval()} for the option's value {@code option}, empty when unset. */
    static Duration transactionInterval(String option) {
        String value = option;
        if (value.isEmpty()) {
            try {
                value = BridgeConfig.Kafka.class.getMethod("transactionInterval").getAnnotation(WithDefault.class)
                        .value();
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException("BridgeConfig.Kafka declares no transactionInterval()", e);
            }
        }
        Duration interval;
        try {
            interval = new DurationConverter().convert(value);
        } catch (IllegalArgumentException | DateTimeException e) {
            interval = null;
        }
        if (interval == null || interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("bench.bridge.transaction-interval: '" + value
                    + "' is no positive duration (e.g. 100ms, 1s)");
        }
        return interval;
    }

    /**
     * The plain bridge's MQTT → Kafka mappings, one per QoS (the size is a named level, so one mapping serves both
     * sizes).
     *
     * @param metersOff those of the bridge without latency histograms, on its own topics
     */
    static String m2kMappings(boolean metersOff) {
        String prefix = metersOff ? "off-" : "";
        StringBuilder mappings = new StringBuilder();
        for (int qos = 0; qos <= 2; qos++) {
            mappings.append("""
                        - name: m2k-q%d
                          filter: bench/%sm2k/q%d/{size}
                          qos: %d
                          kafka-topic: bench-%sm2k-q%d-{size}
                    """.formatted(qos, prefix, qos, qos, prefix, qos));
        }
        return mappings.toString();
    }

    /**
     * @param extraYaml appended after the Kafka settings, at their indentation or the bridge's (e.g. more
     *        {@code bridge.kafka} keys, or {@code bridge.metrics})
     * @param m2kMappings the items of {@code bridge.mqtt-to-kafka}, {@code m2kMappingCount} of them (one subscription
     *        each)
     * @param metersOff the bridge without latency histograms: the Kafka → MQTT mappings on its own topics
     * @param k2mGroup the Kafka → MQTT mappings' consumer group, or null for a bridge without them
     */
    private BridgeProcess startBridge(String id, int port, String protocolVersion, String extraYaml, String m2kMappings,
            int m2kMappingCount, boolean metersOff, String k2mGroup) {
        String yaml = bridgeYaml(id, port, protocolVersion, kafka.bootstrapServers(), extraYaml, m2kMappings, metersOff,
                k2mGroup);
        return startBridgeProcess(id, yaml, m2kMappingCount, metersOff, k2mGroup);
    }

    /**
     * The configuration of a bridge of the rig, as {@link #startBridge} writes it: pure but for the
     * {@code bench.bridge.*} options, so that a test binds and validates what the bridges will be started with.
     */
    static String bridgeYaml(String id, int port, String protocolVersion, String bootstrapServers, String extraYaml,
            String m2kMappings, boolean metersOff, String k2mGroup) {
        StringBuilder yaml = new StringBuilder("""
                bridge:
                  id: %s
                  mqtt:
                    host: 127.0.0.1
                    port: %d
                    client-id: %s
                    protocol-version: %s
                %s  kafka:
                    bootstrap-servers: %s
                """.formatted(id, port, id, protocolVersion,
                BRIDGE_RECEIVE_MAXIMUM.isEmpty() ? "" : "    receive-maximum: " + BRIDGE_RECEIVE_MAXIMUM + "\n",
                bootstrapServers));
        appendKafkaProperties(yaml);
        yaml.append(extraYaml);
        yaml.append("  mqtt-to-kafka:\n").append(m2kMappings);
        if (k2mGroup != null) {
            yaml.append("  kafka-to-mqtt:\n");
            for (int qos = 0; qos <= 1; qos++) {
                yaml.append("""
                            - name: k2m-q%d
                              kafka-topic: %s
                              mqtt-topic: %s
                              qos: %d
                              group-id: %s
                        """.formatted(qos, k2mKafkaTopic(qos, metersOff), k2mMqttTopic(qos, metersOff), qos, k2mGroup));
            }
        }
        return yaml.toString();
    }

    /**
     * Starts a bridge with {@code yaml} (and the JVM options and recording of the run), and waits until its
     * {@code m2kMappingCount} subscriptions are made and its Kafka → MQTT consumer group, if any, is assigned.
     */
    private BridgeProcess startBridgeProcess(String id, String yaml, int m2kMappingCount, boolean metersOff,
            String k2mGroup) {
        BridgeProcess started = track(BridgeProcess.prepare(yaml, Map.of()).heap(BRIDGE_HEAP));
        List<String> jvmOptions = new ArrayList<>();
        if (!BRIDGE_JVM_OPTIONS.isBlank()) {
            jvmOptions.addAll(List.of(BRIDGE_JVM_OPTIONS.trim().split("\\s+")));
        }
        if (profiling) {
            // A flight recording of the whole run, written when the harness stops the bridge.
            Path recording = workDir.resolve(metersOff ? "bridge-meters-off.jfr"
                    : id.equals(BRIDGE_ID) ? "bridge.jfr" : id + ".jfr").toAbsolutePath();
            jvmOptions.add("-XX:StartFlightRecording=filename=" + recording + ",settings=profile,dumponexit=true");
            System.out.println("Profiling the bridge into " + recording);
        }
        started.jvmOptions(jvmOptions);
        started.start();
        started.awaitSubscribed(m2kMappingCount);
        if (k2mGroup != null) {
            started.awaitLog("Kafka → MQTT consumer of group " + k2mGroup + " assigned");
        }
        return started;
    }

    /**
     * Starts the second bridge, connected to Mosquitto's TLS listener and trusting only the CA made for it, with one
     * MQTT → Kafka mapping at QoS 1. Everything else is as for the plain bridge (heap, MQTT version, receive maximum,
     * Kafka properties, JVM options), so that bridge-m2k-tls against bridge-m2k measures TLS and nothing else. The
     * bridge offers TLS 1.3 and 1.2 (its default); Mosquitto negotiates 1.3.
     */
    void startTlsBridge() {
        StringBuilder yaml = new StringBuilder("""
                bridge:
                  id: %s
                  mqtt:
                    host: 127.0.0.1
                    port: %d
                    client-id: %s
                    protocol-version: %s
                    tls-configuration-name: mqtt
                %s  kafka:
                    bootstrap-servers: %s
                """.formatted(TLS_BRIDGE_ID, mosquitto.securePort(), TLS_BRIDGE_ID, BRIDGE_PROTOCOL_VERSION,
                BRIDGE_RECEIVE_MAXIMUM.isEmpty() ? "" : "    receive-maximum: " + BRIDGE_RECEIVE_MAXIMUM + "\n",
                kafka.bootstrapServers()));
        appendKafkaProperties(yaml);
        yaml.append("""
                  mqtt-to-kafka:
                    - name: m2k-tls-q1
                      filter: bench/m2k-tls/q1/{size}
                      qos: 1
                      kafka-topic: bench-m2k-tls-q1-{size}
                quarkus:
                  tls:
                    mqtt:
                      trust-store:
                        pem:
                          certs: %s
                """.formatted(tlsCa.cert().toAbsolutePath()));
        System.out.println("Starting the bridge over TLS ...");
        tlsBridge = track(BridgeProcess.prepare(yaml.toString(), Map.of()).heap(BRIDGE_HEAP));
        if (!BRIDGE_JVM_OPTIONS.isBlank()) {
            tlsBridge.jvmOptions(List.of(BRIDGE_JVM_OPTIONS.trim().split("\\s+")));
        }
        tlsBridge.start();
        tlsBridge.awaitSubscribed(1);
    }

    /**
     * {@code bench.bridge.kafka-properties=linger.ms=1,compression.type=lz4}: extra Kafka client properties for the
     * bridge under test (for trying producer settings); the harness producer takes them too, so that
     * latency-kafka stays the Kafka hop of the bridge as configured.
     */
    static Map<String, String> bridgeKafkaProperties() {
        String kafkaProperties = Benchmark.Options.property("bench.bridge.kafka-properties", "");
        Map<String, String> properties = new LinkedHashMap<>();
        if (!kafkaProperties.isEmpty()) {
            for (String property : kafkaProperties.split(",")) {
                String[] keyValue = property.split("=", 2);
                if (keyValue.length != 2) {
                    throw new IllegalArgumentException("bench.bridge.kafka-properties: '" + property
                            + "' is not key=value");
                }
                properties.put(keyValue[0].trim(), keyValue[1].trim());
            }
        }
        return properties;
    }

    /** Starts one naive peer per QoS and waits until a probe message goes through each. */
    void startNaivePeers(int bufferSize, LoadPublisher probePublisher) throws InterruptedException {
        for (int qos : NAIVE_QOS_LEVELS) {
            System.out.println("Starting the naive peer for QoS " + qos + " ...");
            NaivePeerProcess peer = track(NaivePeerProcess.start(mosquitto.port(), "bench/naive/q" + qos + "/+", qos,
                    kafka.bootstrapServers(), naiveKafkaTopic(qos), bufferSize, workDir));
            naivePeers.put(qos, peer);
            awaitFlowing(peer, qos, probePublisher);
        }
    }

    /** Restarts the naive peer of {@code qos} after it lost messages: its channel may have failed for good. */
    void restartNaivePeer(int qos, LoadPublisher probePublisher) throws InterruptedException {
        NaivePeerProcess peer = naivePeers.get(qos);
        peer.close();
        peer.start();
        awaitFlowing(peer, qos, probePublisher);
    }

    /**
     * Publishes single probe messages until one arrives in Kafka: the peer logs no "subscribed" line, and a
     * message published before its subscription would be lost.
     */
    private void awaitFlowing(NaivePeerProcess peer, int qos, LoadPublisher publisher) throws InterruptedException {
        String mqttTopic = naiveMqttTopic(qos, SIZES[0]);
        String kafkaTopic = naiveKafkaTopic(qos);
        long probeRunId = -System.nanoTime();
        ArrivalCounter probe = new ArrivalCounter(probeRunId, 1, false);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (KafkaArrivals arrivals = KafkaArrivals.fromEnd(kafka.bootstrapServers(), kafkaTopic, probe)) {
            while (probe.unique() == 0) {
                if (!peer.isAlive()) {
                    throw new IllegalStateException("The naive peer for QoS " + qos + " exited; see " + peer.log());
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Nothing arrived in " + kafkaTopic + " from " + mqttTopic + " within "
                            + READY_TIMEOUT);
                }
                publisher.publishAtFullSpeed(mqttTopic, qos, 1, BenchPayload.HEADER_BYTES, probeRunId);
                probe.awaitComplete(Duration.ofSeconds(1));
            }
        }
    }

    /** The CA certificate (PEM) that Mosquitto's TLS listener presents a certificate of. */
    Path tlsCaCertificate() {
        return tlsCa.cert();
    }

    MosquittoProcess mosquitto() {
        return mosquitto;
    }

    String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    long kafkaPid() {
        return kafka.pid();
    }

    /**
     * The bridge, started again first if it exited (e.g. out of memory), so one failed case does not fail every
     * later one; the case that killed it is already recorded as FAILED, and its log is kept.
     */
    BridgeProcess bridge() {
        if (!bridge.isAlive()) {
            System.out.println("The bridge had exited (log: " + bridge.log().lines().reduce((a, b) -> b).orElse("")
                    + "); starting it again");
            bridge.start();
            bridge.awaitSubscribed(MAPPED_QOS_LEVELS);
        }
        return bridge;
    }

    /** The bridge over TLS, started again first if it exited, as {@link #bridge()}. */
    BridgeProcess tlsBridge() {
        return startedAgainIfExited(tlsBridge, "The bridge over TLS", 1);
    }

    /** The bridge without latency histograms, started again first if it exited (see {@link #bridge()}). */
    BridgeProcess bridgeWithoutMeters() {
        return startedAgainIfExited(bridgeWithoutMeters, "The bridge without latency histograms", MAPPED_QOS_LEVELS);
    }

    /** The bridge with the exactly-once mapping, started again first if it exited (see {@link #bridge()}). */
    BridgeProcess exactlyOnceBridge() {
        return startedAgainIfExited(exactlyOnceBridge, "The bridge with the exactly-once mapping", 1);
    }

    private static BridgeProcess startedAgainIfExited(BridgeProcess process, String name, int subscriptions) {
        if (!process.isAlive()) {
            System.out.println(name + " had exited; starting it again");
            process.start();
            process.awaitSubscribed(subscriptions);
        }
        return process;
    }

    /** The {@code bench.bridge.kafka-properties} as {@code bridge.kafka.properties} lines of a bridge's YAML. */
    private static void appendKafkaProperties(StringBuilder yaml) {
        if (!BRIDGE_QOS0_OVERLOAD.isEmpty()) {
            yaml.append("    qos0-overload: ").append(BRIDGE_QOS0_OVERLOAD).append('\n');
        }
        Map<String, String> kafkaProperties = bridgeKafkaProperties();
        if (!kafkaProperties.isEmpty()) {
            yaml.append("    properties:\n");
            kafkaProperties.forEach((key, value) -> yaml.append("      \"").append(key).append("\": \"").append(value)
                    .append("\"\n"));
        }
    }

    NaivePeerProcess naivePeer(int qos) {
        return naivePeers.get(qos);
    }

    Path workDir() {
        return workDir;
    }

    /** Registers {@code process} to be stopped by {@link #close()} (also from the shutdown hook); returns it. */
    <T extends AutoCloseable> T track(T process) {
        synchronized (started) {
            started.add(process);
        }
        return process;
    }

    /** Stops {@code process}, one {@link #track tracked} here, now rather than at {@link #close()}. */
    void stop(AutoCloseable process) {
        synchronized (started) {
            started.remove(process);
        }
        try {
            process.close();
        } catch (Exception e) {
            System.err.println("Could not stop " + process + ": " + e);
        }
    }

    /** Stops everything started, newest first; safe to call twice (from the shutdown hook and the finally). */
    @Override
    public void close() {
        for (BridgeProcess running : new BridgeProcess[] {bridge, bridgeWithoutMeters, exactlyOnceBridge}) {
            if ((profiling || !BRIDGE_JVM_OPTIONS.isBlank()) && running != null && running.isAlive()) {
                running.stop(); // a graceful stop lets a recording or a profiler agent write its output at exit
            }
        }
        List<AutoCloseable> toStop;
        synchronized (started) {
            toStop = new ArrayList<>(started);
            started.clear();
        }
        for (int i = toStop.size() - 1; i >= 0; i--) {
            try {
                toStop.get(i).close();
            } catch (Exception e) {
                System.err.println("Could not stop " + toStop.get(i) + ": " + e);
            }
        }
    }
}
