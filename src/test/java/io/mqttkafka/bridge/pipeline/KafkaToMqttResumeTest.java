package io.mqttkafka.bridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.kafka.KafkaConsumers;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * A consumer paused at the high watermark resumes as soon as acknowledgements bring the records in flight down to
 * the low watermark, not when its poll happens to time out. The poll timeout here is ten minutes, so a pipeline
 * that only looked again after a poll returned would never resume within the test; with the bridge's own 100 ms
 * it capped Kafka → MQTT at about one high watermark of records per 100 ms.
 *
 * <p>Real Kafka; the MQTT side is a function whose publishes the test acknowledges by hand.
 */
class KafkaToMqttResumeTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int HIGH = 20;
    private static final int LOW = 10;
    private static final int MAX_POLL_RECORDS = 30;
    private static final int RECORDS = 90;

    @Test
    void acknowledgementsDownToTheLowWatermarkResumeThePausedConsumerAtOnce() throws Exception {
        String topic = SharedBrokers.unique("resume-commands");
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        KafkaTestProducer.createTopic(bootstrap, topic, 1);
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.kafka.consumer.high-watermark", Integer.toString(HIGH))
                .set("bridge.kafka.consumer.low-watermark", Integer.toString(LOW))
                .reverseMapping("commands", topic, "devices/{key}/commands", 1, false, null)
                .build();

        try (KafkaTestProducer producer = new KafkaTestProducer(bootstrap)) {
            send(producer, topic);
            try (HandAcknowledgedPipeline handAcknowledged = new HandAcknowledgedPipeline(config,
                    groupId -> KafkaConsumers.create(groupId, bootstrap,
                            Map.of("max.poll.records", Integer.toString(MAX_POLL_RECORDS)), "resume-test"),
                    Duration.ofMinutes(10))) {
                KafkaToMqttPipeline pipeline = handAcknowledged.pipeline();
                List<CompletableFuture<Void>> publishes = handAcknowledged.publishes();
                Awaitility.await("the first poll's records published and the consumer paused").atMost(TIMEOUT)
                        .until(() -> pipeline.isPaused() && publishes.size() >= HIGH);
                int publishedWhilePaused = publishes.size();
                // Paused for the whole interval, not at one instant: while no acknowledgement comes, nothing more is
                // published, although the records wait in Kafka.
                Awaitility.await("nothing published while paused").atMost(TIMEOUT).during(Duration.ofSeconds(1))
                        .until(() -> pipeline.isPaused() && publishes.size() == publishedWhilePaused);

                // Acknowledge down to the low watermark, and not one more.
                int toAcknowledge = pipeline.inFlight() - LOW;
                for (int i = 0; i < toAcknowledge; i++) {
                    publishes.get(i).complete(null);
                }

                Awaitility.await("the consumer resumed and published the next records").atMost(TIMEOUT)
                        .until(() -> publishes.size() > publishedWhilePaused);
                assertThat(publishedWhilePaused).as("published before the pause: one poll").isLessThanOrEqualTo(MAX_POLL_RECORDS);
            }
        }
    }

    private static void send(KafkaTestProducer producer, String topic) {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            acks.add(producer.send(topic, "dev-" + (i % 5), ("command " + i).getBytes(StandardCharsets.UTF_8)));
        }
        KafkaTestProducer.flushAndWait(acks);
    }
}
