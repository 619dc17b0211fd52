package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;

import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.EmbeddedBrokersResource;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.PrometheusMetrics;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The bridge as Quarkus runs it: configuration from the shipped {@code config/application.yaml} (only the
 * broker addresses are overridden), started by {@link BridgeService} at startup.
 */
@QuarkusTest
// Restricted: unrestricted, it would also configure the other @QuarkusTest (BridgeServiceTlsTest), whose broker
// settings it would override.
@QuarkusTestResource(value = EmbeddedBrokersResource.class, restrictToAnnotatedClass = true)
class BridgeServiceTest {

    /** Generous for one message on local brokers; the bridge's own reconnect delay is at most 30 s. */
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Inject
    BridgeService service;

    // Management URLs already end in the management root path (/q).
    @TestHTTPResource(value = "/health/ready", management = true)
    URI readiness;

    @TestHTTPResource(value = "/health/live", management = true)
    URI liveness;

    @TestHTTPResource(value = "/metrics", management = true)
    URI metrics;

    @Test
    void healthEndpointsReportBothBrokersAndThePipelines() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Awaitility.await("readiness up once both brokers are reached").atMost(Duration.ofSeconds(60))
                .until(() -> http.send(HttpRequest.newBuilder(readiness).build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode() == 200);
        String ready = http.send(HttpRequest.newBuilder(readiness).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(ready).contains("\"mqtt\"").contains("\"kafka\"").contains("connected and subscribed")
                .contains("cluster reachable").contains("\"progress\"").contains("making progress");
        HttpResponse<String> live = http.send(HttpRequest.newBuilder(liveness).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(live.body()).contains("\"pipelines\"").contains("running");
    }

    @Test
    void bridgesTheShippedExampleMapping() {
        Awaitility.await("bridge ready").atMost(Duration.ofSeconds(60))
                .until(() -> service.runtime() != null && service.runtime().isReady());
        String site = SharedBrokers.unique("plant");
        try (MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            publisher.publish("sensors/" + site + "/dev-42/temperature", "21.5".getBytes(StandardCharsets.UTF_8), 1).join();
        }
        ConsumerRecord<byte[], byte[]> record = KafkaTestConsumer.readAtLeast(SharedBrokers.kafka().bootstrapServers(),
                "iot.temperature." + site, 1, Duration.ofSeconds(60)).get(0);
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("dev-42");
        assertThat(new String(record.value(), StandardCharsets.UTF_8)).isEqualTo("21.5");
        assertThat(KafkaTestConsumer.header(record, BridgeHeaders.ORIGIN)).isEqualTo("mqtt-kafka-bridge");
    }

    /**
     * {@code bridge_kafka_headers_skipped_total} over {@code /q/metrics}: a record on the shipped {@code commands}
     * mapping's topic with a header value that is not UTF-8 and a payload format indicator that is neither 0 nor 1 is
     * published without both, and both are counted.
     */
    @Test
    void countsHeadersMqttCannotCarryInTheMetricsEndpoint() throws Exception {
        awaitReady();
        String device = SharedBrokers.unique("dev");
        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1,
                "devices/" + device + "/commands");
                KafkaTestProducer producer = new KafkaTestProducer(SharedBrokers.kafka().bootstrapServers())) {
            producer.send("device-commands", device, "open".getBytes(StandardCharsets.UTF_8),
                    new RecordHeader("raw", new byte[] {(byte) 0xC3, (byte) 0x28}),
                    KafkaTestProducer.header(BridgeHeaders.MQTT_PAYLOAD_FORMAT, "7")).get(30, TimeUnit.SECONDS);
            Awaitility.await("command published").atMost(TIMEOUT).until(() -> subscriber.count() == 1);
            assertThat(subscriber.received().get(0).userProperties()).containsOnlyKeys(BridgeHeaders.ORIGIN);
        }
        Awaitility.await("both headers counted").atMost(TIMEOUT)
                .until(() -> PrometheusMetrics.sum(metrics, "bridge_kafka_headers_skipped_total", "") == 2);
        assertThat(service.runtime().metrics().headersSkippedCount()).isEqualTo(2);
    }

    /**
     * {@code bridge_mqtt_messages_unrouted_total} over {@code /q/metrics}. A stale subscription is put into the bridge's
     * persistent session the way one stays there after a mapping was removed: another connection with the bridge's
     * client id takes the session over, subscribes and leaves; the bridge reconnects and resumes the session with it.
     * What arrives on it matches no mapping: counted, acknowledged, written nowhere.
     */
    @Test
    void countsMessagesOfAStaleSubscriptionInTheMetricsEndpoint() throws Exception {
        awaitReady();
        String stale = SharedBrokers.unique("no-mapping");
        Mqtt5BlockingClient takeover = MqttClient.builder().identifier(service.runtime().clientId())
                .serverHost("127.0.0.1").serverPort(SharedBrokers.mqtt().port()).useMqttVersion5().buildBlocking();
        takeover.connectWith().cleanStart(false).sessionExpiryInterval(3600).send();
        takeover.subscribeWith().topicFilter(stale + "/#").qos(MqttQos.AT_LEAST_ONCE).send();
        takeover.disconnect();
        try (MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            // QoS 1 into the session: queued by the broker if the bridge has not reconnected yet.
            publisher.publish(stale + "/a", "x".getBytes(StandardCharsets.UTF_8), 1).get(30, TimeUnit.SECONDS);
            publisher.publish(stale + "/b", "y".getBytes(StandardCharsets.UTF_8), 1).get(30, TimeUnit.SECONDS);
        }
        // The bridge reconnects within reconnect-max-delay (30 s by default) and gets both at once.
        Awaitility.await("both counted as unrouted").atMost(TIMEOUT)
                .until(() -> PrometheusMetrics.sum(metrics, "bridge_mqtt_messages_unrouted_total", "") == 2);
        assertThat(service.runtime().metrics().unroutedCount()).isEqualTo(2);
        Awaitility.await("acknowledged").atMost(TIMEOUT).until(() -> service.runtime().mqttToKafkaInFlight() == 0);
        awaitReady();
    }

    /**
     * Issue 20's meters at {@code /q/metrics} of the application as Quarkus runs it: the shipped {@code temperatures}
     * mapping's latency histogram counts each bridged message (with the SLO buckets), both connections report connected
     * and the in-flight gauges, and the Kafka clients' own metrics are there.
     */
    @Test
    void exportsLatencyConnectionAndKafkaClientMetersInTheMetricsEndpoint() {
        awaitReady();
        String count = "bridge_mqtt_to_kafka_latency_seconds_count";
        String temperatures = "mapping=\"temperatures\"";
        double before = PrometheusMetrics.sum(metrics, count, temperatures, "qos=\"1\"");
        String site = SharedBrokers.unique("metrics-site");
        try (MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            for (int i = 0; i < 3; i++) {
                publisher.publish("sensors/" + site + "/dev-" + i + "/temperature", "20".getBytes(StandardCharsets.UTF_8),
                        1).join();
            }
        }
        KafkaTestConsumer.readAtLeast(SharedBrokers.kafka().bootstrapServers(), "iot.temperature." + site, 3, TIMEOUT);
        Awaitility.await("three more in the histogram").atMost(TIMEOUT)
                .until(() -> PrometheusMetrics.sum(metrics, count, temperatures, "qos=\"1\"") >= before + 3);
        String scraped = PrometheusMetrics.scrape(metrics);
        assertThat(PrometheusMetrics.sumIn(scraped, count, temperatures, "qos=\"1\"")).isEqualTo(before + 3);
        assertThat(PrometheusMetrics.sumIn(scraped, "bridge_mqtt_to_kafka_latency_seconds_bucket", temperatures,
                "qos=\"1\"", "le=\"+Inf\"")).isEqualTo(before + 3);
        assertThat(PrometheusMetrics.samples(scraped, "bridge_kafka_to_mqtt_latency_seconds_count", "mapping=\"commands\""))
                .hasSize(1);
        assertThat(PrometheusMetrics.sumIn(scraped, "bridge_mqtt_connected")).as("subscriber and publisher").isEqualTo(2);
        assertThat(PrometheusMetrics.samples(scraped, "bridge_mqtt_reconnects_total")).hasSize(2);
        assertThat(PrometheusMetrics.samples(scraped, "bridge_mqtt_session_present")).hasSize(2);
        assertThat(PrometheusMetrics.samples(scraped, "bridge_mqtt_in_flight")).hasSize(2);
        assertThat(PrometheusMetrics.samples(scraped, "kafka_producer_request_latency_avg")).hasSize(2);
        assertThat(PrometheusMetrics.samples(scraped, "kafka_producer_buffer_available_bytes")).hasSize(2);
        assertThat(PrometheusMetrics.samples(scraped, "kafka_producer_record_error_rate")).hasSize(2);
        Awaitility.await("consumer lag per partition").atMost(TIMEOUT).until(() -> !PrometheusMetrics.samples(
                PrometheusMetrics.scrape(metrics), "kafka_consumer_fetch_manager_records_lag", "topic=\"device-commands\"",
                "partition=").isEmpty());
    }

    private void awaitReady() {
        Awaitility.await("bridge ready").atMost(TIMEOUT)
                .until(() -> service.runtime() != null && service.runtime().isReady());
    }
}
