package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.header.internals.RecordHeader;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Two meters of the README's table, each caused for real and counted exactly:
 * {@code bridge_mqtt_messages_unrouted_total} (messages matching no mapping, e.g. a stale subscription of the
 * session) and {@code bridge_kafka_headers_skipped_total} (headers MQTT cannot carry, left out of a publish).
 */
class UnroutedAndSkippedHeadersTest {

    /** Generous for a few messages on local brokers (they take well under a second here). */
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static String bootstrap() {
        return SharedBrokers.kafka().bootstrapServers();
    }

    /**
     * A bridge restarted with a mapping removed resumes its persistent session, which still holds the removed
     * mapping's subscription: what arrives on it matches no mapping, is counted, acknowledged and written nowhere.
     */
    @Test
    void messagesOfAStaleSubscriptionAreCountedAcknowledgedAndWrittenNowhere() throws Exception {
        String root = SharedBrokers.unique("unrouted");
        String oldTopic = SharedBrokers.unique("unrouted-old");
        String newTopic = SharedBrokers.unique("unrouted-new");
        String clientId = SharedBrokers.unique("unrouted-client");
        TestConfigs before = TestConfigs.forSharedBrokers().set("bridge.mqtt.client-id", clientId)
                .mapping("old", root + "/old/#", 1, oldTopic, null);
        TestConfigs after = TestConfigs.forSharedBrokers().set("bridge.mqtt.client-id", clientId)
                .mapping("new", root + "/new/#", 1, newTopic, null);
        int stale = 3;

        // Started until subscribed, then stopped: the broker keeps the session, and in it the subscription root/old/#.
        start(before.build()).close();
        try (BridgeRuntime bridge = start(after.build());
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            for (int i = 0; i < stale; i++) {
                publisher.publish(root + "/old/x", bytes("stale-" + i), 1).get(30, TimeUnit.SECONDS);
            }
            publisher.publish(root + "/new/x", bytes("routed"), 1).get(30, TimeUnit.SECONDS);

            assertThat(KafkaTestConsumer.readAtLeast(bootstrap(), newTopic, 1, TIMEOUT))
                    .extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly("routed");
            Awaitility.await("stale messages counted and acknowledged").atMost(TIMEOUT)
                    .until(() -> bridge.metrics().unroutedCount() == stale && bridge.mqttToKafkaInFlight() == 0);
            assertThat(bridge.metrics().receivedCount(1)).isEqualTo(stale + 1);
            assertThat(bridge.metrics().writtenCount("new")).isEqualTo(1);
            assertThat(bridge.metrics().deadLetteredCount("invalid-topic") + bridge.metrics().droppedCount("overload"))
                    .isZero();
            assertThat(KafkaTestConsumer.readAvailable(bootstrap(), oldTopic, Duration.ofMillis(500)))
                    .as("nothing written for the removed mapping").isEmpty();
        }
    }

    /**
     * Kafka → MQTT 5: a header value that is not valid UTF-8 cannot be a user property, and an
     * {@code mqtt.payload-format-indicator} or {@code mqtt.message-expiry-interval} that is not a valid value cannot
     * become that property; each is left out and counted once per record, the rest is published.
     */
    @Test
    void headersMqttCannotCarryAreLeftOutAndCountedOncePerRecord() throws Exception {
        String root = SharedBrokers.unique("skipped-headers");
        String in = SharedBrokers.unique("skipped-headers-in");
        KafkaTestProducer.createTopic(bootstrap(), in, 1);
        TestConfigs configs = TestConfigs.forSharedBrokers().reverseMapping("commands", in, root + "/{key}", 1, false, null);
        byte[] notUtf8 = {(byte) 0xC3, (byte) 0x28};

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1, root + "/#");
                BridgeRuntime bridge = start(configs.build());
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap())) {
            producer.send(in, "two-bad", bytes("a"), KafkaTestProducer.header("site", "plant-1"),
                    new RecordHeader("raw", notUtf8),
                    KafkaTestProducer.header(BridgeHeaders.MQTT_PAYLOAD_FORMAT, "7")).get(30, TimeUnit.SECONDS);
            producer.send(in, "one-bad", bytes("b"),
                    KafkaTestProducer.header(BridgeHeaders.MQTT_MESSAGE_EXPIRY, "-1")).get(30, TimeUnit.SECONDS);
            producer.send(in, "all-good", bytes("c"), KafkaTestProducer.header("site", "plant-2"),
                    KafkaTestProducer.header(BridgeHeaders.MQTT_MESSAGE_EXPIRY, "600")).get(30, TimeUnit.SECONDS);

            Awaitility.await("three records published").atMost(TIMEOUT).until(() -> subscriber.count() == 3);
            Awaitility.await("every record done").atMost(TIMEOUT).until(() -> bridge.metrics().publishedCount("commands") == 3);
            assertThat(bridge.metrics().headersSkippedCount()).isEqualTo(3);

            Map<String, MqttTestSubscriber.Received> byTopic = new LinkedHashMap<>();
            subscriber.received().forEach(m -> byTopic.put(m.topic(), m));
            MqttTestSubscriber.Received twoBad = byTopic.get(root + "/two-bad");
            assertThat(twoBad.userProperties()).containsExactly(Map.entry("site", "plant-1"),
                    Map.entry(BridgeHeaders.ORIGIN, configs.build().id()));
            assertThat(twoBad.payloadFormatUtf8()).isNull();
            assertThat(byTopic.get(root + "/one-bad").messageExpiry()).isNull();
            assertThat(byTopic.get(root + "/all-good").userProperties()).containsEntry("site", "plant-2");
            assertThat(byTopic.get(root + "/all-good").messageExpiry()).isPositive().isLessThanOrEqualTo(600);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
