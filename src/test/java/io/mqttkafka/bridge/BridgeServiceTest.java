package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.EmbeddedBrokersResource;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The bridge as Quarkus runs it: configuration from the shipped {@code config/application.yaml} (only the
 * broker addresses are overridden), started by {@link BridgeService} at startup.
 */
@QuarkusTest
@QuarkusTestResource(EmbeddedBrokersResource.class)
class BridgeServiceTest {

    @Inject
    BridgeService service;

    @TestHTTPResource("/q/health/ready")
    URI readiness;

    @TestHTTPResource("/q/health/live")
    URI liveness;

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
}
