package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.mqttkafka.bridge.testing.HiveMqTlsResource;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The bridge as Quarkus runs it, over mutual TLS configured the Quarkus way: {@code bridge.mqtt.tls-configuration-name}
 * names {@code quarkus.tls.mqtt.*} (PEM trust store and key store, no {@code protocols}), read through the Quarkus TLS
 * registry by {@link BridgeService}. The broker (embedded HiveMQ) speaks TLS 1.2 only and requires a client
 * certificate: the bridge connects because it offers TLS 1.2 besides 1.3 when the configuration names no protocols
 * (Quarkus alone would offer TLS 1.3 only). Both directions of the shipped example configuration, QoS 1.
 */
@QuarkusTest
@QuarkusTestResource(value = HiveMqTlsResource.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BridgeServiceTlsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Inject
    BridgeService service;

    @Test
    @Order(1)
    void bridgesBothDirectionsOverMutualTlsToATls12OnlyBroker() throws Exception {
        Awaitility.await("bridge connected over TLS").atMost(TIMEOUT)
                .until(() -> service.runtime() != null && service.runtime().isReady());
        String site = SharedBrokers.unique("tls-plant");
        String device = SharedBrokers.unique("tls-dev");
        try (MqttTestClient publisher = MqttTestClient.connect(HiveMqTlsResource.plainPort(), 5);
                MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(HiveMqTlsResource.plainPort(), 5, 1,
                        "devices/" + device + "/commands");
                KafkaTestProducer producer = new KafkaTestProducer(SharedBrokers.kafka().bootstrapServers())) {
            publisher.publish("sensors/" + site + "/dev-7/temperature", "19.5".getBytes(StandardCharsets.UTF_8), 1)
                    .get(30, TimeUnit.SECONDS);
            producer.send("device-commands", device, "close".getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);

            ConsumerRecord<byte[], byte[]> record = KafkaTestConsumer.readAtLeast(SharedBrokers.kafka().bootstrapServers(),
                    "iot.temperature." + site, 1, TIMEOUT).get(0);
            assertThat(new String(record.value(), StandardCharsets.UTF_8)).isEqualTo("19.5");
            Awaitility.await("command published over TLS").atMost(TIMEOUT).until(() -> subscriber.count() == 1);
            assertThat(subscriber.received().get(0).text()).isEqualTo("close");
        }
    }

    /**
     * Rotation the Quarkus way: the CA, the broker's certificate and the bridge's client certificate are replaced on
     * disk while the broker is down; Quarkus reloads {@code quarkus.tls.mqtt} at its {@code reload-period} (1 s here),
     * and the bridge reconnects with the new material when the broker is back, without a restart. A record produced
     * while the broker was down reaches the (persistent) subscriber: nothing lost at QoS 1.
     */
    @Test
    @Order(2)
    void certificatesRotatedOnDiskAreUsedAfterTheReloadPeriodWithoutARestart() throws Exception {
        Awaitility.await("bridge connected over TLS").atMost(TIMEOUT)
                .until(() -> service.runtime() != null && service.runtime().isReady());
        String device = SharedBrokers.unique("rotated-dev");
        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribePersistent(HiveMqTlsResource.plainPort(), 1,
                "devices/" + device + "/commands");
                KafkaTestProducer producer = new KafkaTestProducer(SharedBrokers.kafka().bootstrapServers())) {
            HiveMqTlsResource.restartBroker(() -> {
                HiveMqTlsResource.installPki();
                try {
                    producer.send("device-commands", device, "during".getBytes(StandardCharsets.UTF_8))
                            .get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });

            Awaitility.await("the record of the outage published with the new certificates").atMost(TIMEOUT)
                    .until(() -> subscriber.count() >= 1);
            assertThat(subscriber.received()).extracting(MqttTestSubscriber.Received::text).containsOnly("during");
            producer.send("device-commands", device, "after".getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);
            Awaitility.await("a record after the rotation").atMost(TIMEOUT)
                    .until(() -> subscriber.received().stream().anyMatch(received -> received.text().equals("after")));
        }
    }
}
