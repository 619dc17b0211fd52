package io.mqttkafka.bridge.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;

import io.mqttkafka.bridge.testing.FreePorts;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;

/**
 * The embedded MQTT broker keeps its sessions in a folder of its own across {@code stop()} and {@code startAgain()},
 * and deletes it on {@code close()}: dev mode and every test run used to leave one behind in the temporary directory.
 */
class EmbeddedMqttBrokerTest {

    @Test
    void stopKeepsTheDataFolderAndCloseDeletesIt() {
        Path dataDirectory;
        try (EmbeddedMqttBroker broker = FreePorts.startOnFreePort(EmbeddedMqttBroker::start)) {
            dataDirectory = broker.dataDirectory();
            assertThat(dataDirectory.getFileName().toString()).startsWith("embedded-hivemq-");
            assertThat(dataDirectory.resolve("data")).as("the broker's data folder").isDirectory();

            broker.stop();
            assertThat(dataDirectory.resolve("data")).as("kept by stop() for a restart").isDirectory();
            broker.startAgain();
        }
        assertThat(Files.exists(dataDirectory)).as("deleted by close()").isFalse();
    }

    /**
     * Tests run several embedded brokers in one JVM, and HiveMQ numbers stored payloads with a JVM-wide counter that
     * each start sets to its own highest payload id + 1. Before, starting a second broker reset the counter, and the
     * first broker then gave new messages the ids of payloads it still held: a subscriber got a message with another
     * message's payload (seen in the full test run: a record "illegal" from an earlier test in place of
     * "delivered-42"). The payload queued in the first broker must survive a start of the second, and every new
     * message keep its own payload.
     */
    @Test
    void anotherBrokerStartedInTheJvmDoesNotMixUpPayloads() throws Exception {
        try (EmbeddedMqttBroker first = FreePorts.startOnFreePort(EmbeddedMqttBroker::start)) {
            // A persistent session that goes offline with messages queued for it: payloads the broker keeps.
            Mqtt5AsyncClient offline = MqttClient.builder().identifier("offline-subscriber").serverHost("127.0.0.1")
                    .serverPort(first.port()).useMqttVersion5().buildAsync();
            offline.connectWith().cleanStart(true).sessionExpiryInterval(600).send().get(30, TimeUnit.SECONDS);
            offline.subscribeWith().topicFilter("queued/#").qos(MqttQos.AT_LEAST_ONCE).send().get(30, TimeUnit.SECONDS);
            offline.disconnect().get(30, TimeUnit.SECONDS);
            List<String> queued = IntStream.range(0, 20).mapToObj(i -> "queued-" + i).toList();
            try (MqttTestClient publisher = MqttTestClient.connect(first.port(), 5)) {
                for (String payload : queued) {
                    publisher.publish("queued/t", payload.getBytes(StandardCharsets.UTF_8), 1).get(30, TimeUnit.SECONDS);
                }

                FreePorts.startOnFreePort(EmbeddedMqttBroker::start).close();

                List<String> fresh = IntStream.range(0, 100).mapToObj(i -> "fresh-" + i).toList();
                try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(first.port(), 5, 1, "fresh/#")) {
                    for (String payload : fresh) {
                        publisher.publish("fresh/t", payload.getBytes(StandardCharsets.UTF_8), 1)
                                .get(30, TimeUnit.SECONDS);
                    }
                    Awaitility.await("fresh messages").atMost(Duration.ofSeconds(30))
                            .until(() -> subscriber.count() == fresh.size());
                    assertThat(subscriber.received()).extracting(MqttTestSubscriber.Received::text)
                            .containsExactlyElementsOf(fresh);
                }
            }
            List<String> redelivered = new ArrayList<>();
            Mqtt5AsyncClient back = MqttClient.builder().identifier("offline-subscriber").serverHost("127.0.0.1")
                    .serverPort(first.port()).useMqttVersion5().buildAsync();
            back.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL,
                    publish -> redelivered.add(new String(publish.getPayloadAsBytes(), StandardCharsets.UTF_8)));
            back.connectWith().cleanStart(false).sessionExpiryInterval(0).send().get(30, TimeUnit.SECONDS);
            Awaitility.await("queued messages").atMost(Duration.ofSeconds(30)).until(() -> redelivered.size() >= queued.size());
            assertThat(redelivered).containsExactlyElementsOf(queued);
            back.disconnect().get(30, TimeUnit.SECONDS);
        }
    }
}
