package io.mqttkafka.bridge.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.Consumer;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.BridgeConfigValidator;
import io.mqttkafka.bridge.failure.DeadLetterRecords;
import io.mqttkafka.bridge.failure.DeadLetterWriter;
import io.mqttkafka.bridge.failure.FailureStrategy;
import io.mqttkafka.bridge.kafka.KafkaProducers;
import io.mqttkafka.bridge.kafka.ProducerProfile;
import io.mqttkafka.bridge.kafka.TopicPresence;
import io.mqttkafka.bridge.mapping.KafkaToMqttRouteGroup;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.mqtt.OutboundMessage;

/**
 * The Kafka → MQTT pipeline of a configuration's first consumer group, on real Kafka, with an MQTT side the test
 * drives: each publish is a future that the test completes (the broker's acknowledgement) when it chooses.
 */
final class HandAcknowledgedPipeline implements AutoCloseable {

    private final List<CompletableFuture<Void>> publishes = new CopyOnWriteArrayList<>();
    private final KafkaToMqttRouteGroup group;
    private final KafkaProducers deadLetterProducers;
    private final TopicPresence topicPresence;
    private final DeadLetterWriter deadLetterWriter;
    private final KafkaToMqttPipeline pipeline;

    /** @param consumers creates the group's consumer from its group id */
    HandAcknowledgedPipeline(BridgeConfig config, Function<String, Consumer<byte[], byte[]>> consumers,
            Duration pollTimeout) {
        this.group = BridgeConfigValidator.validate(config).kafkaToMqtt().get(0);
        BridgeMetrics metrics = new BridgeMetrics(new SimpleMeterRegistry());
        this.deadLetterProducers = new KafkaProducers(config.kafka().bootstrapServers(), Map.of(), "hand-acked-test",
                Duration.ofMinutes(2));
        this.topicPresence = new TopicPresence(config.kafka().bootstrapServers(), Map.of(), "hand-acked-test",
                Duration.ofSeconds(5), Duration.ofSeconds(30));
        this.deadLetterWriter = new DeadLetterWriter(deadLetterProducers.get(ProducerProfile.RELIABLE), topicPresence,
                metrics);
        this.pipeline = new KafkaToMqttPipeline(group, config.id(), () -> consumers.apply(group.groupId()),
                (OutboundMessage message) -> {
                    CompletableFuture<Void> acknowledged = new CompletableFuture<>();
                    publishes.add(acknowledged);
                    return acknowledged;
                }, true, new DeadLetterRecords(config.deadLetterTopic()), deadLetterWriter,
                mapping -> FailureStrategy.DEAD_LETTER, metrics, config.kafka().consumer(), Duration.ofSeconds(5),
                config.stallTimeout(),
                pollTimeout);
        pipeline.start();
    }

    KafkaToMqttPipeline pipeline() {
        return pipeline;
    }

    String groupId() {
        return group.groupId();
    }

    /** The publishes so far, in the order the pipeline made them. */
    List<CompletableFuture<Void>> publishes() {
        return publishes;
    }

    /** Acknowledges whatever is still open, so that the pipeline's close need not wait for its shutdown timeout. */
    @Override
    public void close() {
        publishes.forEach(publish -> publish.complete(null));
        pipeline.close();
        deadLetterWriter.close();
        deadLetterProducers.close();
        topicPresence.close();
    }
}
