package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Kafka → MQTT acceptance 4: with the MQTT broker stopped, the consumer pauses at the high watermark (by
 * record count or by bytes), so what the bridge holds stays bounded while Kafka keeps filling; nothing is
 * committed that the broker did not acknowledge; after the broker returns, every record is delivered.
 */
class KafkaToMqttBackpressureTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final int MAX_POLL_RECORDS = 50;
    private static final int RECORD_SIZE = 4096;

    @ParameterizedTest(name = "pause by {0}")
    @CsvSource({"count,200,100,33554432", "bytes,100000,50000,262144"})
    void pausesAtTheHighWatermarkWhileTheBrokerIsDownAndDeliversEverythingAfter(String by, int high, int low,
            long highBytes) throws Exception {
        String root = SharedBrokers.unique("backpressure");
        String topic = SharedBrokers.unique("backpressure-commands");
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        KafkaTestProducer.createTopic(bootstrap, topic, 3);
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.kafka.consumer.high-watermark", Integer.toString(high))
                .set("bridge.kafka.consumer.low-watermark", Integer.toString(low))
                .set("bridge.kafka.consumer.high-watermark-bytes", Long.toString(highBytes))
                .set("bridge.kafka.properties.max.poll.records", Integer.toString(MAX_POLL_RECORDS))
                .reverseMapping("commands", topic, root + "/{key}", 1, false, null);
        String groupId = configs.build().id();
        int before = 100;
        int during = 3000;

        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribePersistent(SharedBrokers.mqtt().port(), 1,
                root + "/#");
                BridgeRuntime bridge = start(configs.build());
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap)) {
            KafkaToMqttPipeline pipeline = bridge.kafkaToMqtt().get(0);
            send(producer, topic, 0, before);
            Awaitility.await("steady state before the outage").atMost(TIMEOUT)
                    .until(() -> uniqueIds(subscriber).size() == before);
            Awaitility.await("offsets committed before the outage").atMost(TIMEOUT)
                    .until(() -> KafkaGroups.committedTotal(bootstrap, groupId, topic) == before);

            SharedBrokers.mqtt().stop();
            try {
                AtomicInteger maxRecords = new AtomicInteger();
                AtomicLong maxBytes = new AtomicLong();
                sampler.scheduleAtFixedRate(() -> {
                    maxRecords.accumulateAndGet(pipeline.inFlight(), Math::max);
                    maxBytes.accumulateAndGet(pipeline.inFlightBytes(), Math::max);
                }, 0, 5, TimeUnit.MILLISECONDS);

                send(producer, topic, before, during);
                Awaitility.await("consumer paused at the high watermark").atMost(TIMEOUT).until(pipeline::isPaused);
                Awaitility.await("consumer stays paused and bounded while Kafka holds the rest")
                        .during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                        .until(() -> pipeline.isPaused() && pipeline.inFlight() < during);

                if (by.equals("count")) {
                    assertThat(maxRecords.get()).as("records in flight").isLessThanOrEqualTo(high + MAX_POLL_RECORDS);
                } else {
                    assertThat(maxBytes.get()).as("bytes in flight")
                            .isLessThanOrEqualTo(highBytes + (long) MAX_POLL_RECORDS * RECORD_SIZE);
                }
                assertThat(KafkaGroups.committedTotal(bootstrap, groupId, topic))
                        .as("nothing committed that the broker did not acknowledge").isEqualTo(before);
            } finally {
                SharedBrokers.mqtt().startAgain();
            }

            Awaitility.await("every record delivered after the broker returned").atMost(TIMEOUT)
                    .until(() -> uniqueIds(subscriber).size() == before + during);
            Awaitility.await("every offset committed").atMost(TIMEOUT)
                    .until(() -> KafkaGroups.committedTotal(bootstrap, groupId, topic) == before + during);
            assertThat(pipeline.isPaused()).isFalse();
        } finally {
            sampler.shutdownNow();
        }
    }

    private static void send(KafkaTestProducer producer, String topic, int from, int count) {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            byte[] value = new byte[RECORD_SIZE];
            Arrays.fill(value, (byte) 'x');
            byte[] id = Integer.toString(i).getBytes(StandardCharsets.UTF_8);
            System.arraycopy(id, 0, value, 0, id.length);
            value[id.length] = ';';
            acks.add(producer.send(topic, "device-" + (i % 10), value));
        }
        KafkaTestProducer.flushAndWait(acks);
    }

    private static Set<String> uniqueIds(MqttTestSubscriber subscriber) {
        return subscriber.received().stream()
                .map(message -> message.text().substring(0, message.text().indexOf(';')))
                .collect(Collectors.toSet());
    }
}
