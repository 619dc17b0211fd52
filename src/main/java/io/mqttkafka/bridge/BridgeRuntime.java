package io.mqttkafka.bridge;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

import org.apache.kafka.common.KafkaException;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.BridgeConfig.Kafka.Qos0Overload;
import io.mqttkafka.bridge.config.BridgeConfigValidator;
import io.mqttkafka.bridge.config.ClientIds;
import io.mqttkafka.bridge.config.ConfigValidationException;
import io.mqttkafka.bridge.config.Endpoints;
import io.mqttkafka.bridge.config.StatusTopic;
import io.mqttkafka.bridge.failure.DeadLetterRecords;
import io.mqttkafka.bridge.failure.DeadLetterWriter;
import io.mqttkafka.bridge.kafka.ExactlyOnceState;
import io.mqttkafka.bridge.kafka.KafkaConsumers;
import io.mqttkafka.bridge.kafka.ProducerProfile;
import io.mqttkafka.bridge.kafka.KafkaProducers;
import io.mqttkafka.bridge.kafka.TopicPresence;
import io.mqttkafka.bridge.mapping.KafkaToMqttRouteGroup;
import io.mqttkafka.bridge.mapping.MqttToKafkaRoute;
import io.mqttkafka.bridge.mapping.RouteTable;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.metrics.KafkaClientMeters;
import io.mqttkafka.bridge.mqtt.BridgeStatus;
import io.mqttkafka.bridge.mqtt.IncomingQos2Identity;
import io.mqttkafka.bridge.mqtt.MqttClientSettings;
import io.mqttkafka.bridge.mqtt.MqttConnection;
import io.mqttkafka.bridge.mqtt.MqttSubscription;
import io.mqttkafka.bridge.mqtt.MqttTls;
import io.mqttkafka.bridge.mqtt.StatusAnnouncer;
import io.mqttkafka.bridge.pipeline.ExactlyOnceWriter;
import io.mqttkafka.bridge.pipeline.KafkaToMqttPipeline;
import io.mqttkafka.bridge.pipeline.MqttToKafkaPipeline;

/**
 * One running bridge: validates the configuration, wires the connections and pipelines, and stops them
 * in the order that keeps the delivery guarantees. Free of CDI so that tests can start, stop and restart
 * bridges at will; {@link BridgeService} runs one inside Quarkus.
 */
public final class BridgeRuntime implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BridgeRuntime.class);
    /**
     * How long a topic a broker said is missing stays known as missing: messages to it are dead-lettered at once
     * meanwhile, without another metadata wait (README, "Dead letters").
     */
    static final Duration REMEMBER_MISSING_TOPICS = Duration.ofSeconds(30);
    /** How long startup waits for the exactly-once state topic to be created and read. */
    private static final Duration EXACTLY_ONCE_OPEN_TIMEOUT = Duration.ofSeconds(30);
    /** For bridges made without the Quarkus TLS registry: a TLS configuration name cannot be resolved. */
    private static final Function<String, MqttTls> NO_TLS_REGISTRY = name -> {
        throw new ConfigValidationException(List.of("bridge.mqtt.tls-configuration-name: no TLS configuration named '"
                + name + "' is available (no TLS registry)"));
    };

    private final BridgeConfig config;
    private final Endpoints endpoints;
    private final String clientId;
    /** Set when another process fenced this one ({@link #stepAside()}). */
    private volatile boolean steppedAside;
    private final KafkaProducers producers;
    private final TopicPresence topicPresence;
    private final DeadLetterWriter deadLetterWriter;
    private final MqttToKafkaPipeline mqttToKafka;
    /** The transactions of the exactly-once mappings; null when no mapping is exactly-once. */
    private final ExactlyOnceWriter exactlyOnce;
    private final List<KafkaToMqttPipeline> kafkaToMqtt;
    /** MQTT → Kafka; null when no such mapping is configured. */
    private final MqttConnection subscriber;
    /** Kafka → MQTT; null when no such mapping is configured. */
    private final MqttConnection publisher;
    /** Transport, TLS, credentials and backoff, shared by both connections. */
    private final MqttClientSettings mqttSettings;
    /** The connections that exist, subscriber first. */
    private final List<MqttConnection> connections;
    /**
     * Carries the bridge's status and its last will, whatever mappings exist; null when {@code bridge.status.topic} is
     * empty. Not among {@link #connections}: readiness is about bridging, and it disconnects last.
     */
    private final MqttConnection statusConnection;
    /** Publishes the status on {@link #statusConnection}; null with it. */
    private final StatusAnnouncer statusAnnouncer;
    private final BridgeMetrics metrics;
    /** The Kafka client metrics of the producers and consumers, bound to the registry. */
    private final KafkaClientMeters kafkaClientMeters;
    /** Whether a mapping may write dead letters: then the dead-letter topic must be usable before anything starts. */
    private final boolean deadLetterTopicUsed;

    /** Validates the configuration and builds everything; connects nothing yet. */
    public BridgeRuntime(BridgeConfig config, MeterRegistry registry) {
        this(config, Endpoints.from(config), registry);
    }

    /** As above, with the broker addresses given explicitly (dev mode's embedded brokers). */
    public BridgeRuntime(BridgeConfig config, Endpoints endpoints, MeterRegistry registry) {
        this(config, endpoints, registry, NO_TLS_REGISTRY, System::nanoTime);
    }

    /**
     * As above, with the TLS configurations that {@code bridge.mqtt.tls-configuration-name} may name: {@code namedTls}
     * turns a name into TLS settings and throws {@link ConfigValidationException} for a name it does not know
     * ({@link BridgeService} reads them from the Quarkus TLS registry).
     */
    public BridgeRuntime(BridgeConfig config, Endpoints endpoints, MeterRegistry registry,
            Function<String, MqttTls> namedTls) {
        this(config, endpoints, registry, namedTls, System::nanoTime);
    }

    /**
     * A seam for tests: {@code nanoClock} (read like {@link System#nanoTime}) times the memory of missing topics
     * ({@link #REMEMBER_MISSING_TOPICS}), so that a test can check its length without waiting for it.
     */
    BridgeRuntime(BridgeConfig config, MeterRegistry registry, LongSupplier nanoClock) {
        this(config, Endpoints.from(config), registry, NO_TLS_REGISTRY, nanoClock);
    }

    private BridgeRuntime(BridgeConfig config, Endpoints endpoints, MeterRegistry registry,
            Function<String, MqttTls> namedTls, LongSupplier nanoClock) {
        BridgeConfigValidator.Routes validated = BridgeConfigValidator.validate(config);
        RouteTable routes = validated.mqttToKafka();
        this.config = config;
        this.endpoints = endpoints;
        this.deadLetterTopicUsed = validated.usesDeadLetters();
        this.clientId = ClientIds.of(config);
        this.metrics = new BridgeMetrics(registry, config.metrics().latency().enabled());
        BridgeStatus status = StatusTopic.render(config.status().topic().orElse(""), config.id(), clientId)
                .map(topic -> new BridgeStatus(topic, config.status().qos(), config.id(), clientId, version()))
                .orElse(null);
        // Before any Kafka client exists: an unusable TLS setting fails startup with nothing to close.
        MqttClientSettings settings = MqttClientSettings.of(config.mqtt(), endpoints.mqttHost(), endpoints.mqttPort(),
                namedTls);
        this.mqttSettings = status == null ? settings : settings.withStatus(status);
        this.statusAnnouncer = status == null ? null : new StatusAnnouncer(status);
        this.statusConnection = status == null ? null : MqttConnection.status(config.mqtt(), mqttSettings,
                statusClientId(clientId), statusAnnouncer);
        BridgeConfig.Kafka kafka = config.kafka();
        // The consumers are made later, on their poll threads: their settings are checked now, before any client exists.
        for (KafkaToMqttRouteGroup group : validated.kafkaToMqtt()) {
            KafkaConsumers.validate(group.groupId(), endpoints.kafkaBootstrapServers(), kafka.properties(), clientId);
        }
        // Kafka validates its properties only when a client is created, and not every client knows every key
        // (e.g. only the idempotent producer refuses more than 5 requests in flight): what was created before the
        // one that refused must not outlive the failed startup with its threads and connections.
        Deque<AutoCloseable> created = new ArrayDeque<>();
        try {
            KafkaClientMeters clientMeters = opened(created,
                    new KafkaClientMeters(registry, config.metrics().kafkaClientRefresh()));
            this.kafkaClientMeters = clientMeters;
            this.producers = opened(created, new KafkaProducers(endpoints.kafkaBootstrapServers(), kafka.properties(),
                    clientId, kafka.deliveryTimeout()));
            for (ProducerProfile profile : ProducerProfile.values()) {
                clientMeters.bind(producers.get(profile));
            }
            this.topicPresence = opened(created, new TopicPresence(endpoints.kafkaBootstrapServers(), kafka.properties(),
                    clientId, Duration.ofSeconds(5), REMEMBER_MISSING_TOPICS, nanoClock));
            DeadLetterRecords deadLetters = new DeadLetterRecords(config.deadLetterTopic());
            this.deadLetterWriter = opened(created, new DeadLetterWriter(producers.get(ProducerProfile.RELIABLE),
                    topicPresence, metrics));
            this.exactlyOnce = routes.routes().stream().anyMatch(MqttToKafkaRoute::exactlyOnce)
                    ? opened(created, exactlyOnceWriter(config, metrics)) : null;
            if (exactlyOnce != null) {
                exactlyOnce.onFenced(this::stepAside);
            }
            MqttToKafkaPipeline pipeline = new MqttToKafkaPipeline(routes, config.id(), producers, topicPresence,
                    deadLetters, deadLetterWriter, validated::failureStrategy, metrics, kafka.qos0MaxInFlight(),
                    kafka.qos0Overload(), exactlyOnce);
            this.mqttToKafka = pipeline;
            created.push(() -> pipeline.drain(Duration.ZERO));
            List<MqttSubscription> subscriptions = routes.routes().stream()
                    .map(BridgeRuntime::subscription)
                    .toList();
            warnOfOverlappingSubscriptions(routes);
            this.subscriber = subscriptions.isEmpty() ? null : MqttConnection.subscriber(config.mqtt(),
                    mqttSettings, clientId, subscriptions, mqttToKafka,
                    kafka.qos0Overload() == Qos0Overload.PUSH_BACK ? kafka.qos0MaxInFlight() : 0,
                    exactlyOnce == null ? null : exactlyOnce.pubCompGates());
            this.publisher = validated.kafkaToMqtt().isEmpty() ? null : MqttConnection.publisher(config.mqtt(),
                    mqttSettings, publisherClientId(clientId));
            this.connections = Stream.of(subscriber, publisher).filter(Objects::nonNull).toList();
            boolean mqtt5 = config.mqtt().protocolVersion() == 5;
            this.kafkaToMqtt = validated.kafkaToMqtt().stream()
                    .map(group -> {
                        // The consumer is made on the pipeline's poll thread; its meters go when it is closed there.
                        AtomicReference<AutoCloseable> consumerMeters = new AtomicReference<>();
                        KafkaToMqttPipeline kafkaToMqttPipeline = opened(created, new KafkaToMqttPipeline(group,
                                config.id(), () -> {
                                    var consumer = KafkaConsumers.create(group.groupId(),
                                            endpoints.kafkaBootstrapServers(), kafka.properties(), clientId);
                                    consumerMeters.set(clientMeters.bind(consumer));
                                    return consumer;
                                },
                                publisher::publish, mqtt5, deadLetters, deadLetterWriter, validated::failureStrategy,
                                metrics, kafka.consumer(), config.shutdownTimeout(), config.stallTimeout()));
                        kafkaToMqttPipeline.afterConsumerClosed(() -> unbind(consumerMeters.getAndSet(null)));
                        return kafkaToMqttPipeline;
                    })
                    .toList();
            registerMeters(routes, validated);
        } catch (RuntimeException | Error failure) {
            closeAll(created, failure);
            throw failure;
        }
    }

    /**
     * Builds and starts a bridge. If starting throws part way, what was built and started is closed before the
     * exception is rethrown.
     */
    public static BridgeRuntime started(BridgeConfig config, Endpoints endpoints, MeterRegistry registry) {
        return started(config, endpoints, registry, NO_TLS_REGISTRY);
    }

    /** As above, with the TLS configurations {@code bridge.mqtt.tls-configuration-name} may name. */
    public static BridgeRuntime started(BridgeConfig config, Endpoints endpoints, MeterRegistry registry,
            Function<String, MqttTls> namedTls) {
        BridgeRuntime runtime = new BridgeRuntime(config, endpoints, registry, namedTls);
        try {
            runtime.start();
        } catch (RuntimeException | Error failure) {
            closeAll(List.of(runtime), failure);
            throw failure;
        }
        return runtime;
    }

    /**
     * The meters that exist from the start: a latency histogram per mapping and QoS, and per MQTT connection its state
     * and the messages in flight on it (see the README's metrics table).
     */
    private void registerMeters(RouteTable routes, BridgeConfigValidator.Routes validated) {
        routes.routes().forEach(route -> metrics.mqttToKafkaMapping(route.name(), route.qos()));
        validated.kafkaToMqtt().forEach(group -> group.routes()
                .forEach(route -> metrics.kafkaToMqttMapping(route.name(), route.qos())));
        if (subscriber != null) {
            metrics.mqttConnection("subscriber", subscriber::isConnected, subscriber::reconnects,
                    subscriber::isSessionPresent);
            metrics.mqttInFlight("mqtt-to-kafka", mqttToKafka::unacknowledged);
            metrics.mqttReadPauses(subscriber::readPauses);
        }
        if (publisher != null) {
            metrics.mqttConnection("publisher", publisher::isConnected, publisher::reconnects,
                    publisher::isSessionPresent);
            metrics.mqttInFlight("kafka-to-mqtt", publisher::publishesInFlight);
        }
    }

    private static void unbind(AutoCloseable binding) {
        if (binding != null) {
            try {
                binding.close();
            } catch (Exception e) {
                LOG.debugf("Could not remove the meters of a Kafka consumer: %s", e);
            }
        }
    }

    private static <T extends AutoCloseable> T opened(Deque<AutoCloseable> created, T resource) {
        created.push(resource);
        return resource;
    }

    /**
     * Closes each in turn (a deque of what was created: the last created first); what fails to close is kept with
     * the startup failure.
     */
    private static void closeAll(Iterable<? extends AutoCloseable> resources, Throwable failure) {
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception | Error closeFailure) {
                failure.addSuppressed(closeFailure);
            }
        }
    }

    /**
     * Overlapping filters are fine on brokers that send one copy of a message per client, but brokers that send one
     * per matching subscription (Mosquitto with MQTT 5, ActiveMQ Artemis) make the bridge write the message once per
     * copy to every matching mapping, and the MQTT client does not expose the subscription identifiers that would tell
     * the copies apart (docs/brokers.md, note 4). Said once at startup, naming the filters.
     */
    private static void warnOfOverlappingSubscriptions(RouteTable routes) {
        List<String> overlaps = routes.overlappingSubscriptions();
        if (!overlaps.isEmpty()) {
            LOG.warnf("MQTT → Kafka mappings subscribe to overlapping filters (%s): a broker that sends a message once per "
                    + "matching subscription (Mosquitto with MQTT 5, ActiveMQ Artemis) makes the bridge write it once per "
                    + "copy to every matching mapping; keep the filters disjoint on such brokers (docs/brokers.md)",
                    String.join(", ", overlaps));
        }
    }

    /**
     * The writer of the exactly-once mappings. It commits early when the messages waiting for a commit fill half the
     * subscriber's window, so that the window never fills with messages that wait for the interval.
     *
     * @throws ConfigValidationException when this MQTT client version does not let the bridge read a message's packet
     *         identifier (exactly-once is refused rather than run without it)
     */
    private static ExactlyOnceWriter exactlyOnceWriter(BridgeConfig config, BridgeMetrics metrics) {
        IncomingQos2Identity.unavailableReason().ifPresent(reason -> {
            throw new ConfigValidationException(List.of("bridge.mqtt-to-kafka[n].exactly-once: not available with "
                    + "this MQTT client: " + reason));
        });
        return new ExactlyOnceWriter(metrics, config.kafka().transactionInterval(),
                Math.max(1, config.mqtt().receiveMaximum() / 2));
    }

    /**
     * Fences the producer of the process this one replaces (same transactional id), which aborts its open transaction,
     * and restores the exactly-once state it committed; before the subscriber connects, so that the first redelivery is
     * recognised.
     */
    private void startExactlyOnce() {
        BridgeConfig.Kafka kafka = config.kafka();
        String prefix = ClientIds.transactionalIdPrefix(config);
        try {
            exactlyOnce.start(ExactlyOnceState.open(endpoints.kafkaBootstrapServers(), kafka.properties(),
                    kafka.deliveryTimeout(), prefix, kafka.exactlyOnceStateTopic(), clientId, EXACTLY_ONCE_OPEN_TIMEOUT));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while opening the exactly-once state", e);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("Cannot start the exactly-once mappings: the transactional producer '"
                    + ExactlyOnceState.transactionalId(prefix) + "' or the state topic '" + kafka.exactlyOnceStateTopic()
                    + "' is not usable (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + "). Kafka must "
                    + "be reachable at startup, and the bridge's principal needs WRITE and DESCRIBE on that transactional "
                    + "id and READ, WRITE (and CREATE, unless the topic exists) on that topic", cause);
        }
    }

    private static MqttSubscription subscription(MqttToKafkaRoute route) {
        return new MqttSubscription(route.filter().subscriptionFilter(), route.qos());
    }

    /**
     * The client id of the Kafka → MQTT connection: derived, so that it is as unique and as stable as the
     * subscriber's and a broker ACL can name it.
     */
    static String publisherClientId(String clientId) {
        return clientId + "-pub";
    }

    /** The client id of the status connection, derived like the publisher's. */
    static String statusClientId(String clientId) {
        return clientId + "-status";
    }

    /**
     * The application's version ({@code quarkus.application.version}, from the build), or the jar's, or
     * {@code unknown} (classes run from a build directory without Quarkus).
     */
    static String version() {
        try {
            Optional<String> configured = ConfigProvider.getConfig()
                    .getOptionalValue("quarkus.application.version", String.class);
            if (configured.isPresent() && !configured.get().isBlank()) {
                return configured.get();
            }
        } catch (RuntimeException e) {
            // no configuration available: fall back to the jar's manifest
        }
        String fromJar = BridgeRuntime.class.getPackage().getImplementationVersion();
        return fromJar != null ? fromJar : "unknown";
    }

    /**
     * Checks the dead-letter topic, then starts connecting and returns (connections retry with backoff in the
     * background).
     *
     * @throws ConfigValidationException when a mapping may dead-letter and the cluster says the dead-letter topic
     *         cannot be written (missing and not creatable, or not writable by the bridge's principal)
     */
    public void start() {
        if (deadLetterTopicUsed) {
            checkDeadLetterTopic();
        }
        LOG.infof("Starting bridge '%s' (MQTT client ids %s, MQTT %s:%d over %s, Kafka %s, status %s)", config.id(),
                Stream.concat(connections.stream(), Stream.ofNullable(statusConnection)).map(MqttConnection::clientId)
                        .toList(),
                endpoints.mqttHost(), endpoints.mqttPort(), mqttSettings.transportDescription(),
                endpoints.kafkaBootstrapServers(),
                statusAnnouncer == null ? "off" : "on " + statusAnnouncer.status().topic());
        mqttSettings.warnAboutWeakSettings();
        topicPresence.startProbing(Duration.ofSeconds(5));
        if (exactlyOnce != null) {
            startExactlyOnce();
        }
        if (statusConnection != null) {
            statusConnection.start();
        }
        connections.forEach(MqttConnection::start);
        kafkaToMqtt.forEach(KafkaToMqttPipeline::start);
    }

    /**
     * A message that cannot be written is acknowledged only once its dead letter is written; if the dead-letter
     * topic cannot take it, the direction stops. Found out at startup, that is a configuration error that names the
     * key; found out later (the topic deleted, an ACL changed), it stops the direction and liveness says why.
     */
    private void checkDeadLetterTopic() {
        String topic = config.deadLetterTopic();
        TopicPresence.Writability writability = topicPresence.ensureWritable(topic);
        switch (writability.state()) {
            case WRITABLE -> LOG.debugf("Dead-letter topic %s is writable", topic);
            case REFUSED -> throw new ConfigValidationException(List.of("bridge.dead-letter-topic: the topic '" + topic
                    + "' cannot take dead letters: " + writability.reason() + ". Create it, grant the bridge WRITE on "
                    + "it, or choose another topic; it is needed because a mapping uses failure-strategy dead-letter"));
            case UNKNOWN -> LOG.warnf("Could not check the dead-letter topic %s at startup (%s); a dead letter that "
                    + "cannot be written later stops its direction and shows in /q/health/live", topic,
                    writability.reason());
        }
    }

    /**
     * Both MQTT connections are up, and the broker accepted every subscription: messages published from now on
     * are bridged in both directions.
     */
    public boolean isReady() {
        return connections.stream().allMatch(connection -> connection.isConnected() && connection.isSubscribed());
    }

    /**
     * Another process fenced this one's transactional producer: it runs with this replica's identity, so it also has
     * this replica's MQTT client ids and has taken the sessions over. Reconnecting would take them back from it, again
     * and again, each time leaving its messages unacknowledged here. So every MQTT connection ends for good, with a
     * normal DISCONNECT (no will: the other process is the one online) and without an offline status; liveness is down
     * (mqtt-to-kafka stopped) for the orchestrator to end this process.
     */
    private void stepAside() {
        steppedAside = true;
        LOG.errorf("Bridge '%s': another process with this replica's identity (client id %s) took over; this one stops "
                + "bridging and closes its MQTT connections without reconnecting, so as not to take the sessions back",
                config.id(), clientId);
        Thread closing = new Thread(() -> {
            connections.forEach(connection -> connection.disconnect(Duration.ofSeconds(5)));
            if (statusConnection != null) {
                statusConnection.disconnect(Duration.ofSeconds(5));
            }
        }, "mqtt-step-aside");
        closing.setDaemon(true);
        closing.start();
    }

    /** Readiness of the Kafka side: the last probe (every 5 s) reached a broker. */
    public boolean isKafkaReachable() {
        return topicPresence.isClusterReachable();
    }

    /** Liveness: every pipeline's threads are running (until {@link #close()}). */
    public boolean isAlive() {
        return mqttToKafka.isRunning() && kafkaToMqtt.stream().allMatch(KafkaToMqttPipeline::isRunning);
    }

    /**
     * The directions that stopped for good (a {@code fail} strategy, an unwritable dead letter), each with the
     * reason: {@code mqtt-to-kafka} and {@code kafka-to-mqtt[<group>]}. Empty while all run.
     */
    public Map<String, String> stoppedDirections() {
        Map<String, String> stopped = new LinkedHashMap<>();
        if (mqttToKafka.stopReason() != null) {
            stopped.put("mqtt-to-kafka", mqttToKafka.stopReason());
        }
        for (KafkaToMqttPipeline pipeline : kafkaToMqtt) {
            if (pipeline.stopReason() != null) {
                stopped.put("kafka-to-mqtt[" + pipeline.groupId() + "]", pipeline.stopReason());
            }
        }
        return stopped;
    }

    /**
     * The directions that wait longer than {@code bridge.stall-timeout} for a message, each with what waits:
     * {@code mqtt-to-kafka} (its oldest unacknowledged message) and {@code kafka-to-mqtt[<group>]} (its stalled
     * partitions). Empty while every direction makes progress.
     */
    public Map<String, String> stalledDirections() {
        Map<String, String> stalled = new LinkedHashMap<>();
        long oldest = mqttToKafka.oldestPendingMillis();
        if (oldest >= config.stallTimeout().toMillis()) {
            stalled.put("mqtt-to-kafka", "oldest unacknowledged message waits for " + oldest / 1000
                    + " s (bridge.stall-timeout " + config.stallTimeout() + ")");
        }
        for (KafkaToMqttPipeline pipeline : kafkaToMqtt) {
            List<String> partitions = pipeline.stalledPartitions();
            if (!partitions.isEmpty()) {
                stalled.put("kafka-to-mqtt[" + pipeline.groupId() + "]", String.join("; ", partitions));
            }
        }
        return stalled;
    }

    /** MQTT messages handed to Kafka and not yet acknowledged (bounded by the receive maximum for QoS 1/2). */
    public int mqttToKafkaInFlight() {
        return mqttToKafka.inFlight();
    }

    /** The Kafka → MQTT pipelines, one per consumer group. */
    public List<KafkaToMqttPipeline> kafkaToMqtt() {
        return kafkaToMqtt;
    }

    public String clientId() {
        return clientId;
    }

    public BridgeMetrics metrics() {
        return metrics;
    }

    /**
     * Graceful stop. Kafka → MQTT first, while the MQTT connections are still up: stop polling, wait for the
     * broker to acknowledge what is in flight, commit. Then MQTT → Kafka: take no new messages, wait for
     * Kafka to acknowledge what is in flight, let those acknowledgements reach the broker, then disconnect.
     * Each wait is bounded by {@code bridge.shutdown-timeout}; what is still unacknowledged stays uncommitted
     * (Kafka) or in the broker's session (MQTT) and is delivered after restart.
     */
    @Override
    public void close() {
        Duration timeout = config.shutdownTimeout();
        // With the publisher down nothing in flight can be acknowledged: waiting would only delay the stop.
        Duration kafkaToMqttDrain = publisher != null && publisher.isConnected() ? timeout : Duration.ZERO;
        kafkaToMqtt.forEach(pipeline -> pipeline.close(kafkaToMqttDrain));
        int left = mqttToKafka.drain(timeout);
        if (left > 0) {
            LOG.warnf("%d MQTT messages were still waiting for Kafka after %s; they are not acknowledged and "
                    + "the broker will redeliver them", left, timeout);
        }
        connections.forEach(connection -> connection.disconnect(Duration.ofSeconds(5)));
        if (exactlyOnce != null) {
            exactlyOnce.close();
        }
        if (statusConnection != null) {
            // Nothing is bridged any more: say so, then a normal DISCONNECT makes the broker discard the will. Not after
            // stepping aside: the status topic is the other process's now, and it is online.
            if (!steppedAside) {
                statusAnnouncer.announceOffline(Duration.ofSeconds(5));
            }
            statusConnection.disconnect(Duration.ofSeconds(5));
        }
        deadLetterWriter.close();
        producers.close(Duration.ofSeconds(5));
        kafkaClientMeters.close();
        metrics.close();
        topicPresence.close();
        LOG.infof("Bridge '%s' stopped", config.id());
    }
}
