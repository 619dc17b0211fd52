package io.mqttkafka.bridge;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.BridgeConfigValidator;
import io.mqttkafka.bridge.config.Endpoints;
import io.mqttkafka.bridge.failure.DeadLetterRecords;
import io.mqttkafka.bridge.kafka.KafkaProducers;
import io.mqttkafka.bridge.kafka.TopicPresence;
import io.mqttkafka.bridge.mapping.MqttToKafkaRoute;
import io.mqttkafka.bridge.mapping.RouteTable;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.mqtt.MqttInboundConnection;
import io.mqttkafka.bridge.mqtt.MqttSubscription;
import io.mqttkafka.bridge.pipeline.MqttToKafkaPipeline;

/**
 * One running bridge: validates the configuration, wires the connections and pipelines, and stops them
 * in the order that keeps the delivery guarantees. Free of CDI so that tests can start, stop and restart
 * bridges at will; {@link BridgeService} runs one inside Quarkus.
 */
public final class BridgeRuntime implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BridgeRuntime.class);

    private final BridgeConfig config;
    private final Endpoints endpoints;
    private final String clientId;
    private final KafkaProducers producers;
    private final TopicPresence topicPresence;
    private final MqttToKafkaPipeline mqttToKafka;
    private final MqttInboundConnection inbound;
    private final BridgeMetrics metrics;

    /** Validates the configuration and builds everything; connects nothing yet. */
    public BridgeRuntime(BridgeConfig config, MeterRegistry registry) {
        this(config, Endpoints.from(config), registry);
    }

    /** As above, with the broker addresses given explicitly (dev mode's embedded brokers). */
    public BridgeRuntime(BridgeConfig config, Endpoints endpoints, MeterRegistry registry) {
        RouteTable routes = BridgeConfigValidator.validate(config);
        this.config = config;
        this.endpoints = endpoints;
        this.clientId = config.mqtt().clientId().orElseGet(() -> config.id() + "-" + hostName());
        this.metrics = new BridgeMetrics(registry);
        BridgeConfig.Kafka kafka = config.kafka();
        this.producers = new KafkaProducers(endpoints.kafkaBootstrapServers(), kafka.properties(), clientId);
        this.topicPresence = new TopicPresence(endpoints.kafkaBootstrapServers(), kafka.properties(), clientId,
                Duration.ofSeconds(5), Duration.ofSeconds(30));
        this.mqttToKafka = new MqttToKafkaPipeline(routes, config.id(), producers, topicPresence,
                new DeadLetterRecords(config.deadLetterTopic()), metrics, kafka.qos0MaxInFlight());
        List<MqttSubscription> subscriptions = routes.routes().stream()
                .map(BridgeRuntime::subscription)
                .toList();
        this.inbound = new MqttInboundConnection(config.mqtt(), endpoints.mqttHost(), endpoints.mqttPort(), clientId, subscriptions, mqttToKafka);
    }

    private static MqttSubscription subscription(MqttToKafkaRoute route) {
        return new MqttSubscription(route.filter().subscriptionFilter(), route.qos(), route.filter().shareGroup().isPresent());
    }

    /** Starts connecting; returns at once (connections retry with backoff in the background). */
    public void start() {
        LOG.infof("Starting bridge '%s' (MQTT client id %s, MQTT %s:%d, Kafka %s)", config.id(), clientId,
                endpoints.mqttHost(), endpoints.mqttPort(), endpoints.kafkaBootstrapServers());
        inbound.start();
    }

    public boolean isMqttConnected() {
        return inbound.isConnected();
    }

    /** Connected, and the broker accepted every subscription: messages published from now on are bridged. */
    public boolean isReady() {
        return inbound.isConnected() && inbound.isSubscribed();
    }

    /** MQTT messages handed to Kafka and not yet acknowledged (bounded by the receive maximum for QoS 1/2). */
    public int mqttToKafkaInFlight() {
        return mqttToKafka.inFlight();
    }

    public String clientId() {
        return clientId;
    }

    public BridgeMetrics metrics() {
        return metrics;
    }

    /**
     * Graceful stop: take no new messages, wait (bounded by {@code bridge.shutdown-timeout}) for Kafka to
     * acknowledge what is in flight, let those acknowledgements reach the broker, then disconnect. What is
     * still unacknowledged stays in the broker's session and is redelivered after restart.
     */
    @Override
    public void close() {
        Duration timeout = config.shutdownTimeout();
        int left = mqttToKafka.drain(timeout);
        if (left > 0) {
            LOG.warnf("%d MQTT messages were still waiting for Kafka after %s; they are not acknowledged and "
                    + "the broker will redeliver them", left, timeout);
        }
        inbound.disconnect(Duration.ofSeconds(5));
        producers.close(Duration.ofSeconds(5));
        topicPresence.close();
        LOG.infof("Bridge '%s' stopped", config.id());
    }

    private static String hostName() {
        String fromEnvironment = System.getenv("HOSTNAME");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return fromEnvironment;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }
}
