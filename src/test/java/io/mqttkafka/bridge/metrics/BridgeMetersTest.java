package io.mqttkafka.bridge.metrics;

import static io.mqttkafka.bridge.testing.PrometheusMetrics.samples;
import static io.mqttkafka.bridge.testing.PrometheusMetrics.sumIn;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.dev.EmbeddedMqttBroker;
import io.mqttkafka.bridge.testing.FreePorts;
import io.mqttkafka.bridge.testing.HoldingMqttBroker;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestBridges;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * The meters of issue 20 as Prometheus exports them, on real brokers: latency histograms per mapping and QoS, MQTT
 * connection state, messages in flight, and the Kafka clients' own metrics. Each test has its own bridge and registry,
 * so the values are exact.
 */
class BridgeMetersTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String M2K = "bridge_mqtt_to_kafka_latency_seconds";
    private static final String K2M = "bridge_kafka_to_mqtt_latency_seconds";

    /**
     * The histograms count every bridged message once, under its mapping and the QoS it was bridged with: a message
     * published at QoS 0 to a QoS 1 mapping counts under qos="0". Buckets are the documented boundaries, cumulative, and
     * {@code +Inf} equals the count. A Kafka record stamped in the future (clock skew) is recorded as 0 and counted apart.
     */
    @Test
    void latencyHistogramsCountEveryBridgedMessagePerMappingAndQos() throws Exception {
        String p = SharedBrokers.unique("latency");
        String commands = p + "-commands";
        KafkaTestProducer.createTopic(SharedBrokers.kafka().bootstrapServers(), commands, 1);
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .mapping("q0", p + "/q0/+", 0, p + "-q0", null)
                .mapping("q1", p + "/q1/+", 1, p + "-q1", null)
                .mapping("q2", p + "/q2/+", 2, p + "-q2", null)
                .reverseMapping("k2m", commands, p + "/commands/{key}", 1, false, null)
                .build();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (BridgeRuntime bridge = TestBridges.start(config, registry);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5);
                MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1,
                        p + "/commands/#");
                KafkaTestProducer producer = new KafkaTestProducer(SharedBrokers.kafka().bootstrapServers())) {
            String scraped = registry.scrape();
            assertThat(sumIn(scraped, M2K + "_count", "mapping=\"q2\"", "qos=\"2\"")).as("registered at start, at zero")
                    .isZero();
            assertThat(samples(scraped, M2K + "_count", "mapping=\"q2\"")).hasSize(3);
            assertThat(samples(scraped, K2M + "_count", "mapping=\"k2m\"")).hasSize(1);

            publish(publisher, p + "/q0/a", 0, 3);
            publish(publisher, p + "/q1/a", 1, 4);
            publish(publisher, p + "/q1/b", 0, 2);
            publish(publisher, p + "/q2/a", 2, 5);
            KafkaTestConsumer.readAtLeast(SharedBrokers.kafka().bootstrapServers(), p + "-q0", 3, TIMEOUT);
            KafkaTestConsumer.readAtLeast(SharedBrokers.kafka().bootstrapServers(), p + "-q1", 6, TIMEOUT);
            KafkaTestConsumer.readAtLeast(SharedBrokers.kafka().bootstrapServers(), p + "-q2", 5, TIMEOUT);

            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                records.add(new ProducerRecord<>(commands, ("dev-" + i).getBytes(StandardCharsets.UTF_8),
                        "open".getBytes(StandardCharsets.UTF_8)));
            }
            // Stamped an hour ahead of the bridge's clock, as a producer whose clock runs fast would.
            records.add(new ProducerRecord<>(commands, null, System.currentTimeMillis() + 3_600_000L,
                    "skewed".getBytes(StandardCharsets.UTF_8), "open".getBytes(StandardCharsets.UTF_8)));
            producer.sendAll(records);
            Awaitility.await("commands published").atMost(TIMEOUT).until(() -> subscriber.count() == 7);

            awaitExactly(registry, M2K + "_count", 3, "mapping=\"q0\"", "qos=\"0\"");
            awaitExactly(registry, M2K + "_count", 4, "mapping=\"q1\"", "qos=\"1\"");
            awaitExactly(registry, M2K + "_count", 2, "mapping=\"q1\"", "qos=\"0\"");
            awaitExactly(registry, M2K + "_count", 5, "mapping=\"q2\"", "qos=\"2\"");
            awaitExactly(registry, K2M + "_count", 7, "mapping=\"k2m\"", "qos=\"1\"");
            scraped = registry.scrape();
            assertThat(sumIn(scraped, M2K + "_count")).as("nothing else counted").isEqualTo(14);
            assertThat(sumIn(scraped, "bridge_kafka_to_mqtt_latency_negative_total")).isEqualTo(1);
            assertThat(bridge.metrics().mqttToKafkaLatencyCount("q1", 1)).isEqualTo(4);
            assertThat(bridge.metrics().kafkaToMqttLatencyCount("k2m", 1)).isEqualTo(7);

            List<String> buckets = samples(scraped, M2K + "_bucket", "mapping=\"q2\"", "qos=\"2\"");
            assertThat(buckets).as("the 17 documented boundaries and +Inf")
                    .hasSize(BridgeMetrics.LATENCY_BUCKETS.size() + 1);
            assertThat(buckets).anyMatch(line -> line.contains("le=\"0.001\""))
                    .anyMatch(line -> line.contains("le=\"300.0\""));
            assertThat(sumIn(scraped, M2K + "_bucket", "mapping=\"q2\"", "qos=\"2\"", "le=\"+Inf\"")).isEqualTo(5);
            assertThat(sumIn(scraped, M2K + "_sum", "mapping=\"q2\"", "qos=\"2\"")).isPositive();
            assertThat(sumIn(scraped, K2M + "_bucket", "mapping=\"k2m\"", "le=\"0.001\""))
                    .as("the skewed record is recorded as 0").isGreaterThanOrEqualTo(1);
            assertThat(sumIn(scraped, K2M + "_bucket", "mapping=\"k2m\"", "le=\"+Inf\"")).isEqualTo(7);
        }
    }

    /**
     * Latency from MQTT receipt to Kafka's acknowledgement, not to the send: with the producer lingering 1.5 s, each QoS 1
     * message waits that long for Kafka, unacknowledged to MQTT ({@code bridge_mqtt_in_flight} counts it), and all three
     * land between 1 s and 5 s. (The embedded HiveMQ hands the bridge the next message of the queue only once the previous
     * one is acknowledged, so they go one after another; each one's latency starts at its own receipt.)
     */
    @Test
    void mqttToKafkaLatencyEndsAtKafkasAcknowledgementAndInFlightCountsTheUnacknowledged() {
        String p = SharedBrokers.unique("linger");
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.kafka.properties.linger.ms", "1500")
                .mapping("slow", p + "/+", 1, p + "-out", null)
                .build();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (BridgeRuntime bridge = TestBridges.start(config, registry);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            String inFlight = "bridge_mqtt_in_flight";
            String direction = "direction=\"mqtt-to-kafka\"";
            assertThat(sumIn(registry.scrape(), inFlight, direction)).isZero();
            publish(publisher, p + "/a", 1, 3);
            Awaitility.await("a message waits for Kafka").atMost(TIMEOUT)
                    .until(() -> sumIn(registry.scrape(), inFlight, direction) >= 1);
            assertThat(sumIn(registry.scrape(), inFlight, direction)).as("received and not yet acknowledged")
                    .isEqualTo(bridge.metrics().receivedCount(1) - bridge.metrics().writtenCount("slow"));
            KafkaTestConsumer.readAtLeast(SharedBrokers.kafka().bootstrapServers(), p + "-out", 3, TIMEOUT);
            awaitExactly(registry, M2K + "_count", 3, "mapping=\"slow\"", "qos=\"1\"");
            awaitExactly(registry, inFlight, 0, direction);
            String scraped = registry.scrape();
            assertThat(sumIn(scraped, M2K + "_bucket", "mapping=\"slow\"", "le=\"1.0\"")).isZero();
            assertThat(sumIn(scraped, M2K + "_bucket", "mapping=\"slow\"", "le=\"5.0\"")).isEqualTo(3);
            assertThat(samples(scraped, inFlight)).as("no publisher connection, no kafka-to-mqtt").hasSize(1);
        }
    }

    /** {@code bridge.metrics.latency.enabled=false}: the bridge bridges as before and registers no histogram. */
    @Test
    void latencyHistogramsCanBeSwitchedOff() {
        String p = SharedBrokers.unique("nolatency");
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.metrics.latency.enabled", "false")
                .mapping("m", p + "/+", 1, p + "-out", null)
                .reverseMapping("k2m", p + "-in", p + "/in", 1, false, null)
                .build();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (BridgeRuntime bridge = TestBridges.start(config, registry);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            publish(publisher, p + "/a", 1, 2);
            KafkaTestConsumer.readAtLeast(SharedBrokers.kafka().bootstrapServers(), p + "-out", 2, TIMEOUT);
            Awaitility.await("written").atMost(TIMEOUT).until(() -> bridge.metrics().writtenCount("m") == 2);
            assertThat(bridge.metrics().latencyEnabled()).isFalse();
            assertThat(registry.scrape()).doesNotContain("bridge_mqtt_to_kafka_latency")
                    .doesNotContain("bridge_kafka_to_mqtt_latency").contains("bridge_mqtt_connected");
        }
    }

    /**
     * Connection state per connection across a restart of the broker: connected 1, then 0 while the broker is down, then
     * 1 again; one reconnect each; the subscriber resumes its persistent session (the broker keeps it across the
     * restart), the publisher never does (clean start).
     */
    @Test
    void connectionMetersFollowABrokerRestart() {
        EmbeddedMqttBroker broker = FreePorts.startOnFreePort(EmbeddedMqttBroker::start);
        String p = SharedBrokers.unique("restart");
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.port", Integer.toString(broker.port()))
                .mapping("m", p + "/+", 1, p + "-out", null)
                .reverseMapping("k2m", p + "-in", p + "/in", 1, false, null)
                .build();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (broker; BridgeRuntime bridge = TestBridges.start(config, registry)) {
            for (String connection : List.of("subscriber", "publisher")) {
                String tag = "connection=\"" + connection + "\"";
                String scraped = registry.scrape();
                assertThat(sumIn(scraped, "bridge_mqtt_connected", tag)).as(connection).isEqualTo(1);
                assertThat(sumIn(scraped, "bridge_mqtt_reconnects_total", tag)).as(connection).isZero();
                assertThat(sumIn(scraped, "bridge_mqtt_session_present", tag)).as("new session: " + connection).isZero();
            }

            broker.stop();
            awaitExactly(registry, "bridge_mqtt_connected", 0, "connection=\"subscriber\"");
            awaitExactly(registry, "bridge_mqtt_connected", 0, "connection=\"publisher\"");
            assertThat(sumIn(registry.scrape(), "bridge_mqtt_reconnects_total")).as("no connection while down").isZero();

            broker.startAgain();
            awaitExactly(registry, "bridge_mqtt_connected", 1, "connection=\"subscriber\"");
            awaitExactly(registry, "bridge_mqtt_connected", 1, "connection=\"publisher\"");
            String scraped = registry.scrape();
            assertThat(sumIn(scraped, "bridge_mqtt_reconnects_total", "connection=\"subscriber\"")).isEqualTo(1);
            assertThat(sumIn(scraped, "bridge_mqtt_reconnects_total", "connection=\"publisher\"")).isEqualTo(1);
            assertThat(sumIn(scraped, "bridge_mqtt_session_present", "connection=\"subscriber\""))
                    .as("the persistent session resumed").isEqualTo(1);
            assertThat(sumIn(scraped, "bridge_mqtt_session_present", "connection=\"publisher\""))
                    .as("clean start, always a new session").isZero();
        }
    }

    /**
     * Kafka → MQTT in flight: a publish the broker does not acknowledge yet is 1 in {@code bridge_mqtt_in_flight} and has
     * no latency yet; once acknowledged, 0 and one latency sample.
     */
    @Test
    void kafkaToMqttInFlightCountsPublishesAwaitingTheBrokersAcknowledgement() throws Exception {
        String p = SharedBrokers.unique("held");
        String payload = HoldingMqttBroker.HOLD + p;
        try (HoldingMqttBroker broker = HoldingMqttBroker.start();
                KafkaTestProducer producer = new KafkaTestProducer(SharedBrokers.kafka().bootstrapServers())) {
            BridgeConfig config = TestConfigs.forSharedBrokers()
                    .set("bridge.mqtt.port", Integer.toString(broker.port()))
                    .reverseMapping("k2m", p + "-in", p + "/in", 1, false, null)
                    .build();
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            try (BridgeRuntime bridge = TestBridges.start(config, registry)) {
                producer.send(p + "-in", "k", payload.getBytes(StandardCharsets.UTF_8)).get();
                Awaitility.await("publish held by the broker").atMost(TIMEOUT)
                        .until(() -> broker.held().contains(payload));
                awaitExactly(registry, "bridge_mqtt_in_flight", 1, "direction=\"kafka-to-mqtt\"");
                assertThat(sumIn(registry.scrape(), K2M + "_count")).isZero();
                broker.release(payload);
                awaitExactly(registry, K2M + "_count", 1, "mapping=\"k2m\"");
                awaitExactly(registry, "bridge_mqtt_in_flight", 0, "direction=\"kafka-to-mqtt\"");
            }
        }
    }

    /**
     * The Kafka clients' metrics are bound as Quarkus binds them for its own clients: the consumer's lag per partition
     * (which reaches 0 once everything is published), and the producers' request latency, record error rate and free
     * buffer, one series per client. Closing the bridge removes them all.
     */
    @Test
    void kafkaClientMetricsOfEveryProducerAndConsumerAreBoundAndRemovedOnClose() throws Exception {
        String p = SharedBrokers.unique("kafkameters");
        String in = p + "-in";
        KafkaTestProducer.createTopic(SharedBrokers.kafka().bootstrapServers(), in, 2);
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.metrics.kafka-client-refresh", "500ms")
                .mapping("m", p + "/+", 1, p + "-out", null)
                .reverseMapping("k2m", in, p + "/in/{key}", 1, false, null)
                .build();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        BridgeRuntime bridge = TestBridges.start(config, registry);
        boolean closed = false;
        try (MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5);
                MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1,
                        p + "/in/#");
                KafkaTestProducer producer = new KafkaTestProducer(SharedBrokers.kafka().bootstrapServers())) {
            publish(publisher, p + "/a", 1, 3);
            KafkaTestConsumer.readAtLeast(SharedBrokers.kafka().bootstrapServers(), p + "-out", 3, TIMEOUT);
            for (int i = 0; i < 20; i++) {
                producer.send(in, "key-" + i, "x".getBytes(StandardCharsets.UTF_8));
            }
            producer.flush();
            Awaitility.await("all published").atMost(TIMEOUT).until(() -> subscriber.count() == 20);

            String lag = "kafka_consumer_fetch_manager_records_lag";
            for (String partition : List.of("0", "1")) {
                Awaitility.await("lag of partition " + partition + " exported and at 0").atMost(TIMEOUT)
                        .until(() -> samples(registry.scrape(), lag, "topic=\"" + in + "\"",
                                "partition=\"" + partition + "\"").stream()
                                .anyMatch(line -> line.endsWith(" 0.0")));
            }
            String scraped = registry.scrape();
            for (String producerMetric : List.of("kafka_producer_request_latency_avg", "kafka_producer_record_error_rate",
                    "kafka_producer_buffer_available_bytes")) {
                assertThat(samples(scraped, producerMetric)).as(producerMetric + ", both producers")
                        .anyMatch(line -> line.contains(bridge.clientId() + "-fast"))
                        .anyMatch(line -> line.contains(bridge.clientId() + "-reliable"));
            }
            assertThat(sumIn(scraped, "kafka_producer_record_error_rate", "client_id=\"" + bridge.clientId()))
                    .isZero();
            bridge.close();
            closed = true;
            assertThat(registry.scrape().lines()).as("every Kafka client meter removed with its client")
                    .noneMatch(line -> line.matches("(# (HELP|TYPE) )?kafka_.*"));
        } finally {
            if (!closed) {
                bridge.close();
            }
        }
    }

    private static void publish(MqttTestClient publisher, String topic, int qos, int count) {
        for (int i = 0; i < count; i++) {
            publisher.publish(topic, ("m-" + i).getBytes(StandardCharsets.UTF_8), qos).join();
        }
    }

    /** Waits until the sum of the samples is {@code expected}; it must not pass it. */
    private static void awaitExactly(PrometheusMeterRegistry registry, String metric, double expected,
            String... labels) {
        DoubleSupplier value = () -> sumIn(registry.scrape(), metric, labels);
        Awaitility.await(metric + " " + String.join(",", labels) + " = " + expected).atMost(TIMEOUT)
                .until(() -> value.getAsDouble() >= expected && (expected > 0 || value.getAsDouble() == 0));
        assertThat(value.getAsDouble()).as(metric + " " + String.join(",", labels)).isEqualTo(expected);
    }
}
