package io.mqttkafka.bridge.mqtt;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.MqttClientConnectionConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.lifecycle.MqttClientConnectedContext;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedContext;
import com.hivemq.client.mqtt.lifecycle.MqttClientReconnector;
import com.hivemq.client.mqtt.exceptions.ConnectionClosedException;
import com.hivemq.client.mqtt.exceptions.MqttSessionExpiredException;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3DisconnectException;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3SubAckException;
import com.hivemq.client.mqtt.mqtt3.lifecycle.Mqtt3ClientConnectedContext;
import com.hivemq.client.mqtt.mqtt3.lifecycle.Mqtt3ClientReconnector;
import com.hivemq.client.mqtt.mqtt3.message.auth.Mqtt3SimpleAuth;
import com.hivemq.client.mqtt.mqtt3.message.connect.Mqtt3ConnectBuilder;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.Mqtt3Subscribe;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.Mqtt3SubscribeBuilder;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAck;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.lifecycle.Mqtt5ClientConnectedContext;
import com.hivemq.client.mqtt.mqtt5.lifecycle.Mqtt5ClientReconnector;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5SimpleAuth;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserPropertiesBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5ConnectBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5ConnectRestrictions;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishBuilder;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5WillPublish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscribe;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAck;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.netty.channel.Channel;
import io.reactivex.Scheduler;
import io.reactivex.schedulers.Schedulers;

/**
 * One of the bridge's two MQTT connections, each with automatic reconnect and exponential backoff (from the
 * first attempt on). The two differ in their session, because the two directions need opposite things:
 *
 * <ul>
 * <li>The {@linkplain #subscriber subscriber} keeps a persistent session (unless configured otherwise): the
 * broker queues QoS 1/2 messages while the bridge is away and redelivers the unacknowledged ones, which is
 * what makes MQTT → Kafka at-least-once across restarts. Every incoming message goes to the sink with manual
 * acknowledgement.</li>
 * <li>The {@linkplain #publisher publisher} (Kafka → MQTT) never resumes a session: clean start, session
 * expiry 0. Its durable state is the uncommitted Kafka offsets, not the broker's session. A resumed session
 * would be harmful: after a crash the broker still holds the QoS 2 packet ids it answered with PUBREC and
 * awaits PUBREL for, the new process does not know them and reuses them, and the broker must then drop those
 * publishes as duplicates while completing the handshake (MQTT 5 §4.3.3, 3.1.1 §4.3.3), so their offsets
 * would be committed and the records lost. Publishes in flight when the connection drops fail (the session
 * ends with it) and the caller publishes them again.</li>
 * </ul>
 *
 * <p>The manual-ack flow is registered for {@link MqttGlobalPublishFilter#REMAINING} <em>before</em>
 * {@code connect()}: messages that the broker redelivers when a session resumes arrive before any
 * subscription is re-made, and the client would acknowledge them automatically if no manual-ack flow
 * were there to take them. Subscriptions are made without callbacks so that every message reaches that
 * one flow, and routing is left to the route table.
 *
 * <p>A third kind, the {@linkplain #status status} connection, carries the bridge's own status and last will, whatever
 * mappings exist; like the publisher it never keeps a session (see {@link StatusAnnouncer}).
 */
public final class MqttConnection {

    private static final Logger LOG = Logger.getLogger(MqttConnection.class);

    /**
     * The client's application scheduler: runs the sink and completes every future on the client's own network
     * thread. The client's default hands each message and each publish acknowledgement to a thread pool first: one
     * more queue and one more thread wake-up per message, which on a busy machine cost more CPU than the bridge's own
     * work on the message. So the sink and every continuation of {@link #publish} must never block (their contract).
     */
    private static final Scheduler ON_CLIENT_THREAD = Schedulers.from(Runnable::run);
    /** At most this many publishes are sent one at a time after a connection loss. */
    static final int MAX_PROBATION = 100;

    private final BridgeConfig.Mqtt config;
    private final MqttClientSettings settings;
    private final String clientId;
    private final List<MqttSubscription> subscriptions;
    /** Null on the publisher, which subscribes to nothing. */
    private final Consumer<InboundMessage> sink;
    /** The bridge's status, on the status connection only (null on the others): last will and {@code online}. */
    private final StatusAnnouncer status;
    private final boolean cleanStart;
    private final long sessionExpirySeconds;
    private final AtomicBoolean subscribed = new AtomicBoolean();
    private final AtomicBoolean stopping = new AtomicBoolean();
    /** Connection attempts that failed since the last established connection (or since start). */
    private final AtomicInteger failuresInARow = new AtomicInteger();
    /** Connections established so far. */
    private final AtomicInteger connections = new AtomicInteger();
    private volatile boolean connected;
    /** Whether the broker resumed a session at the last connect (CONNACK session present). */
    private volatile boolean sessionPresent;
    private volatile boolean subscriptionsAccepted;
    /** QoS 1/2 publishes awaiting the broker's acknowledgement (the publisher's). */
    private final PublishWindow window = new PublishWindow();
    /** QoS 1/2 publishes still to be sent alone, after a connection ended under publishes in flight. */
    private final AtomicInteger probation = new AtomicInteger();
    /** {@code bridge.mqtt.maximum-message-size}, or no limit. */
    private final int maximumMessageSize;
    /**
     * How many unacknowledged QoS 1/2 publishes the client may have towards the broker: the broker's Receive
     * Maximum, read on every connect. Until the first connect, the client's own limit (no wait of ours).
     */
    private volatile int sendMaximum = Mqtt5ConnectRestrictions.DEFAULT_SEND_MAXIMUM;
    /** Which subscriptions an MQTT 5 message was delivered for (one write per mapping); unused with MQTT 3.1.1. */
    private final SubscriptionIdentifiers subscriptionIdentifiers = new SubscriptionIdentifiers();
    /** The subscriber's bound on the messages it holds (pushback through TCP); null on the publisher. */
    private final InboundWindow inboundWindow;
    /** Exactly-once QoS 2: holds the subscriber's PUBCOMPs until released; null without exactly-once mappings. */
    private final PubCompGates pubCompGates;

    private Mqtt5AsyncClient client5;
    private Mqtt3AsyncClient client3;

    private MqttConnection(BridgeConfig.Mqtt config, MqttClientSettings settings, String clientId,
            List<MqttSubscription> subscriptions, Consumer<InboundMessage> sink, boolean cleanStart,
            long sessionExpirySeconds, StatusAnnouncer status, int qos0Window, PubCompGates pubCompGates) {
        this.status = status;
        this.pubCompGates = pubCompGates;
        this.config = config;
        this.settings = settings;
        this.clientId = clientId;
        this.subscriptions = List.copyOf(subscriptions);
        this.sink = sink;
        this.cleanStart = cleanStart;
        this.sessionExpirySeconds = sessionExpirySeconds;
        this.maximumMessageSize = config.maximumMessageSize().orElse(Integer.MAX_VALUE);
        this.inboundWindow = sink == null ? null : new InboundWindow(config.receiveMaximum(), qos0Window);
    }

    /**
     * The MQTT → Kafka connection: subscribes, hands every message to {@code sink}, session as configured. The sink
     * runs on the client's network thread and must never block: that thread also sends the acknowledgements.
     *
     * @param qos0Window most QoS 0 messages handed on and not yet acknowledged before the connection stops reading
     *        ({@code bridge.kafka.qos0-overload: push-back}); 0 when the sink bounds QoS 0 itself
     */
    public static MqttConnection subscriber(BridgeConfig.Mqtt config, MqttClientSettings settings, String clientId,
            List<MqttSubscription> subscriptions, Consumer<InboundMessage> sink, int qos0Window) {
        return subscriber(config, settings, clientId, subscriptions, sink, qos0Window, null);
    }

    /**
     * As above, for exactly-once QoS 2 mappings: {@code pubCompGates} (null for none) is told of every connection and
     * PUBREL, and holds every PUBCOMP until it is released.
     */
    public static MqttConnection subscriber(BridgeConfig.Mqtt config, MqttClientSettings settings, String clientId,
            List<MqttSubscription> subscriptions, Consumer<InboundMessage> sink, int qos0Window,
            PubCompGates pubCompGates) {
        return new MqttConnection(config, settings, clientId, subscriptions, sink, config.cleanStart(),
                config.sessionExpiry().toSeconds(), null, qos0Window, pubCompGates);
    }

    /** The Kafka → MQTT connection: publishes only, and starts a new session on every connect (see above). */
    public static MqttConnection publisher(BridgeConfig.Mqtt config, MqttClientSettings settings, String clientId) {
        return new MqttConnection(config, settings, clientId, List.of(), null, true, 0, null, 0, null);
    }

    /**
     * The connection that carries the bridge's status: registers the last will from {@code settings} on every
     * attempt, publishes {@code online} on every connect, and subscribes to its own status topic to answer a stale
     * {@code offline} (see {@link StatusAnnouncer}). Like the publisher, it never keeps a session: with session expiry
     * 0 the broker publishes the will as soon as the connection ends abnormally, never later.
     */
    public static MqttConnection status(BridgeConfig.Mqtt config, MqttClientSettings settings, String clientId,
            StatusAnnouncer announcer) {
        MqttConnection connection = new MqttConnection(config, settings, clientId,
                List.of(new MqttSubscription(announcer.status().topic(), announcer.status().qos())),
                announcer::onMessage, true, 0, announcer, 0, null);
        announcer.attach(connection);
        return connection;
    }

    /** Starts connecting; returns at once. Failed attempts are retried with backoff until {@link #disconnect()}. */
    public void start() {
        if (sink != null) {
            ClientLogLimiter.INSTANCE.install();
        }
        MqttClientBuilder builder = MqttClient.builder()
                .identifier(clientId)
                .transportConfig(settings.transportConfig())
                .executorConfig().applicationScheduler(ON_CLIENT_THREAD).applyExecutorConfig()
                .addConnectedListener(this::onConnected)
                .addDisconnectedListener(this::onDisconnected);
        if (config.protocolVersion() == 5) {
            startMqtt5(builder);
        } else {
            startMqtt3(builder);
        }
    }

    /**
     * Schedules the next attempt with capped exponential backoff and jitter, from the very first attempt on, so that
     * replicas that lost the broker together do not come back in lockstep; and gives it the transport and credentials
     * as they are now (reloaded TLS material, a rotated password file).
     */
    private void onDisconnected(MqttClientDisconnectedContext context) {
        connected = false;
        if (sink != null) {
            ClientLogLimiter.INSTANCE.connectionEnded(clientId);
        }
        if (stopping.get()) {
            return;
        }
        MqttClientReconnector reconnector = context.getReconnector();
        int attempt = reconnector.getAttempts();
        long delay = settings.reconnectDelayMillis(attempt, ThreadLocalRandom.current().nextDouble());
        reconnector.reconnect(true).delay(delay, TimeUnit.MILLISECONDS);
        try {
            reconnector.transportConfig(settings.transportConfig());
            if (reconnector instanceof Mqtt5ClientReconnector reconnector5) {
                Mqtt5ConnectBuilder builder = reconnector5.getConnect().extend();
                settings.mqtt5Auth().ifPresent(builder::simpleAuth);
                if (status != null) {
                    settings.mqtt5Will(status.nextConnection()).ifPresent(builder::willPublish);
                }
                reconnector5.connect(builder.build());
            } else if (reconnector instanceof Mqtt3ClientReconnector reconnector3) {
                Mqtt3ConnectBuilder builder = reconnector3.getConnect().extend();
                settings.mqtt3Auth().ifPresent(builder::simpleAuth);
                if (status != null) {
                    settings.mqtt3Will(status.nextConnection()).ifPresent(builder::willPublish);
                }
                reconnector3.connect(builder.build());
            }
        } catch (RuntimeException e) {
            // E.g. a reloaded key store that cannot be used: this attempt keeps the previous material.
            LOG.errorf("MQTT connection of %s to %s:%d: cannot prepare the next attempt with fresh TLS material or "
                    + "credentials (%s); retrying with the previous ones", clientId, settings.host(), settings.port(),
                    ConnectionFailures.plain(e));
        }
        if (isReceiveMaximumExceeded(context.getCause())) {
            LOG.errorf("The MQTT broker at %s:%d sent more unacknowledged QoS 1/2 messages than the announced "
                    + "Receive Maximum (%d) allows, so the client closed the connection, as MQTT 5 requires. The "
                    + "bridge stops reading the connection at bridge.mqtt.receive-maximum (%d) held messages, so this "
                    + "means the MQTT client no longer lets it: see docs/design.md, \"Why the subscriber stops reading the socket\"",
                    settings.host(), settings.port(), inboundWindow != null ? InboundWindow.ANNOUNCED_RECEIVE_MAXIMUM
                            : config.receiveMaximum(), config.receiveMaximum());
            return;
        }
        int failures = failuresInARow.incrementAndGet();
        if (failures % 10 == 1) {
            // One line when the connection fails (then every tenth attempt while it lasts, not a storm), naming the
            // connection, the broker and the cause.
            LOG.warnf("MQTT connection of %s to %s:%d lost or refused: %s; reconnecting in %d ms (attempt %d)", clientId,
                    settings.host(), settings.port(), settings.describeFailure(context.getCause()), delay, failures);
        }
    }

    private void startMqtt5(MqttClientBuilder builder) {
        client5 = builder.useMqttVersion5().buildAsync();
        if (sink != null) {
            client5.publishes(MqttGlobalPublishFilter.REMAINING,
                    publish -> sink.accept(received(new Mqtt5InboundMessage(publish, System.currentTimeMillis(),
                            subscriptionIdentifiers.filtersOfCurrent()))), true);
        }
        Mqtt5ConnectBuilder.Send<CompletableFuture<com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck>> connect =
                client5.connectWith()
                        .cleanStart(cleanStart)
                        .sessionExpiryInterval(sessionExpirySeconds)
                        .keepAlive((int) config.keepAlive().toSeconds())
                        // The subscriber bounds what it holds by not reading (InboundWindow), so it announces the
                        // largest value: a broker that overruns a smaller one would make the client close the connection.
                        .restrictions().receiveMaximum(inboundWindow != null ? InboundWindow.ANNOUNCED_RECEIVE_MAXIMUM
                                : config.receiveMaximum()).applyRestrictions();
        Optional<Mqtt5SimpleAuth> auth = settings.mqtt5Auth();
        if (auth.isPresent()) {
            connect = connect.simpleAuth(auth.get());
        }
        if (status != null) {
            Optional<Mqtt5WillPublish> will = settings.mqtt5Will(status.nextConnection());
            if (will.isPresent()) {
                connect = connect.willPublish(will.get());
            }
        }
        connect.send().whenComplete((connAck, failure) -> {
            if (failure == null) {
                LOG.infof("MQTT 5 connection of %s to %s:%d established over %s (session present: %s)", clientId,
                        settings.host(), settings.port(), settings.transportDescription(), connAck.isSessionPresent());
            }
        });
    }

    /** A message as it arrives: counted in the window; with exactly-once mappings, stamped with its connection. */
    private ReceivedMessage received(ReceivedMessage message) {
        message.heldIn(inboundWindow);
        return pubCompGates == null ? message : message.onConnection(pubCompGates.connection());
    }

    private void startMqtt3(MqttClientBuilder builder) {
        client3 = builder.useMqttVersion3().buildAsync();
        if (sink != null) {
            client3.publishes(MqttGlobalPublishFilter.REMAINING,
                    publish -> sink.accept(received(new Mqtt3InboundMessage(publish, System.currentTimeMillis()))), true);
        }
        Mqtt3ConnectBuilder.Send<CompletableFuture<com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAck>> connect =
                client3.connectWith()
                        .cleanSession(cleanStart)
                        .keepAlive((int) config.keepAlive().toSeconds());
        Optional<Mqtt3SimpleAuth> auth = settings.mqtt3Auth();
        if (auth.isPresent()) {
            connect = connect.simpleAuth(auth.get());
        }
        if (status != null) {
            Optional<Mqtt3Publish> will = settings.mqtt3Will(status.nextConnection());
            if (will.isPresent()) {
                connect = connect.willPublish(will.get());
            }
        }
        connect.send().whenComplete((connAck, failure) -> {
            if (failure == null) {
                LOG.infof("MQTT 3.1.1 connection of %s to %s:%d established over %s (session present: %s)", clientId,
                        settings.host(), settings.port(), settings.transportDescription(), connAck.isSessionPresent());
            }
        });
    }

    /**
     * Subscribes once per process. Later reconnects are covered by the client: the broker still holds the
     * subscriptions when the session is present, and the client re-subscribes when it is not. Subscribing
     * on the first connection even when the session is present picks up mappings added since the session
     * was created. Runs on the connection's network thread, before the session's first message is handed on.
     */
    private void onConnected(MqttClientConnectedContext context) {
        if (context instanceof Mqtt5ClientConnectedContext context5) {
            sessionPresent = context5.getConnAck().isSessionPresent();
        } else if (context instanceof Mqtt3ClientConnectedContext context3) {
            sessionPresent = context3.getConnAck().isSessionPresent();
        }
        connected = true;
        failuresInARow.set(0);
        if (connections.incrementAndGet() > 1) {
            // The first connection is logged with its session state where connect() completes; reconnects only here.
            LOG.infof("MQTT connection of %s to %s:%d re-established over %s (session present: %s)", clientId,
                    settings.host(), settings.port(), settings.transportDescription(), sessionPresent);
        }
        connectionConfig().ifPresent(FlushCoalescing::install);
        if (inboundWindow != null) {
            connectionConfig().ifPresent(inboundWindow::attach);
        }
        if (sink != null && client5 != null) {
            connectionConfig().ifPresent(subscriptionIdentifiers::attach);
        }
        if (pubCompGates != null) {
            pubCompGates.connected(channel(), sessionPresent);
        }
        Optional<Integer> connectionSendMaximum = client5 != null
                ? client5.getConfig().getConnectionConfig().map(c -> c.getRestrictionsForClient().getSendMaximum())
                : client3.getConfig().getConnectionConfig().map(c -> c.getRestrictionsForClient().getSendMaximum());
        connectionSendMaximum.filter(value -> value > 0).ifPresent(value -> sendMaximum = value);
        if (status != null) {
            status.onConnected();
        }
        if (subscriptions.isEmpty()) {
            subscriptionsAccepted = true;
            return;
        }
        if (!subscribed.compareAndSet(false, true)) {
            return;
        }
        if (client5 != null) {
            subscribeMqtt5();
        } else {
            subscribeMqtt3();
        }
    }

    /**
     * One SUBSCRIBE per filter, each with its own subscription identifier (the client gives one per SUBSCRIBE), so that
     * a message tells which subscriptions it was delivered for ({@link SubscriptionIdentifiers}).
     */
    private void subscribeMqtt5() {
        List<CompletableFuture<Mqtt5SubAck>> answers = new ArrayList<>();
        for (MqttSubscription subscription : subscriptions) {
            answers.add(client5.subscribe(Mqtt5Subscribe.builder().addSubscription()
                    .topicFilter(subscription.filter())
                    .qos(MqttQos.fromCode(subscription.qos()))
                    // A resumed session already delivered the retained messages once.
                    .retainHandling(Mqtt5RetainHandling.SEND_IF_SUBSCRIPTION_DOES_NOT_EXIST)
                    // Keep the retain flag on live messages too: the mirror of retained state (tombstones)
                    // depends on it. MQTT 3.1.1 clears it on live delivery and has no such option.
                    .retainAsPublished(true)
                    .applySubscription().build()));
        }
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).whenComplete((ignored, anyFailure) -> {
            boolean allAccepted = true;
            for (int i = 0; i < answers.size(); i++) {
                Mqtt5SubAck answer;
                try {
                    answer = answers.get(i).join();
                } catch (CompletionException failure) {
                    // The client fails a subscribe when the broker refused its filter; the SUBACK in the exception
                    // says why.
                    if (!(unwrap(failure) instanceof Mqtt5SubAckException refused)) {
                        subscribed.set(false);
                        LOG.errorf("MQTT subscribe of %s to '%s' failed: %s; retrying on the next connection", clientId,
                                subscriptions.get(i).filter(), describe(failure));
                        return;
                    }
                    answer = refused.getMqttMessage();
                }
                Mqtt5SubAckReasonCode code = answer.getReasonCodes().get(0);
                logSubscription(subscriptions.get(i), code.isError(), code.toString());
                allAccepted &= !code.isError();
            }
            onSubscriptionsAnswered(allAccepted);
        });
    }

    private void subscribeMqtt3() {
        Mqtt3SubscribeBuilder.Start builder = Mqtt3Subscribe.builder();
        Mqtt3SubscribeBuilder.Complete complete = null;
        for (MqttSubscription subscription : subscriptions) {
            complete = (complete == null ? builder : complete).addSubscription()
                    .topicFilter(subscription.filter())
                    .qos(MqttQos.fromCode(subscription.qos()))
                    .applySubscription();
        }
        client3.subscribe(complete.build()).whenComplete((subAck, failure) -> {
            Mqtt3SubAck answer = subAck;
            if (failure != null) {
                if (!(unwrap(failure) instanceof Mqtt3SubAckException refused)) {
                    subscribed.set(false);
                    LOG.errorf("MQTT subscribe of %s failed: %s; retrying on the next connection", clientId,
                            describe(failure));
                    return;
                }
                answer = refused.getMqttMessage();
            }
            List<Mqtt3SubAckReturnCode> codes = answer.getReturnCodes();
            boolean allAccepted = true;
            for (int i = 0; i < codes.size() && i < subscriptions.size(); i++) {
                logSubscription(subscriptions.get(i), codes.get(i).isError(), codes.get(i).toString());
                allAccepted &= !codes.get(i).isError();
            }
            onSubscriptionsAnswered(allAccepted);
        });
    }

    /**
     * A refused subscription keeps the bridge not ready, and is asked for again on the next connection: a broker whose
     * ACL was fixed then accepts it without a restart of the bridge.
     */
    private void onSubscriptionsAnswered(boolean allAccepted) {
        subscriptionsAccepted = allAccepted;
        if (!allAccepted) {
            subscribed.set(false);
        }
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    private void logSubscription(MqttSubscription subscription, boolean error, String code) {
        if (status != null) {
            // Not "Subscribed to": that line counts the bridge's mapping subscriptions (tests wait for them).
            if (error) {
                LOG.errorf("MQTT broker refused %s the subscription to its own status topic '%s': %s; a stale 'offline' "
                        + "(an earlier connection's will published after this connection's 'online') is not corrected",
                        clientId, subscription.filter(), code);
            } else {
                LOG.debugf("Status connection %s follows its status topic '%s' (granted %s)", clientId,
                        subscription.filter(), code);
            }
            return;
        }
        if (error) {
            LOG.errorf("MQTT broker refused the subscription to '%s' (QoS %d) of %s: %s", subscription.filter(),
                    subscription.qos(), clientId, code);
            return;
        }
        LOG.infof("Subscribed to '%s' (requested QoS %d, granted %s)", subscription.filter(), subscription.qos(), code);
        int granted = grantedQos(code);
        if (granted < subscription.qos()) {
            // The broker delivers at most the granted QoS, so the mapping gets that QoS's guarantee.
            LOG.warnf("The broker granted only QoS %d for '%s' (mapping asks for QoS %d): messages arrive, and are "
                    + "bridged, with the guarantee of QoS %d", granted, subscription.filter(), subscription.qos(), granted);
        }
    }

    /** Reads the QoS from a SUBACK code such as {@code GRANTED_QOS_1} (MQTT 5) or {@code SUCCESS_MAXIMUM_QOS_1} (3.1.1). */
    static int grantedQos(String code) {
        char last = code.charAt(code.length() - 1);
        return last >= '0' && last <= '2' ? last - '0' : 2;
    }

    /**
     * Publishes one message. The future completes when the broker acknowledged it (PUBACK for QoS 1,
     * PUBCOMP for QoS 2; for QoS 0 when it was written) and fails with the broker's error reason or the
     * client's exception otherwise.
     *
     * <p>Meant for the {@linkplain #publisher publisher}: publishes in flight when its connection drops fail
     * with {@code MqttSessionExpiredException}, as the session ends with the connection, and the caller
     * publishes them again. <strong>Blocks the calling thread</strong> while the broker's window (its Receive
     * Maximum) is full of QoS 1/2 publishes, until half of them are acknowledged (see {@link PublishWindow}); the
     * client's own publish may block too, e.g. while it is offline. Call it from a thread that may wait, never from
     * the Kafka poll loop or an MQTT client thread. The future completes on the client's network thread: what is chained
     * to it must neither block nor publish.
     *
     * <p>A payload larger than {@code bridge.mqtt.maximum-message-size} fails at once with
     * {@link MessageTooLargeException}. After a connection ended with QoS 1/2 publishes in flight, the next ones (one
     * per publish that failed so, at most {@value #MAX_PROBATION}) are sent <em>one at a time</em>: a publish that
     * ends the connection then does so alone, and fails with {@link ConnectionLostWithPublishException}, so that the
     * caller can tell a publish that ends every connection it is sent on (poison) from a broker that went away. It
     * costs one round trip per publish, and only after a connection loss.
     */
    public CompletableFuture<Void> publish(OutboundMessage message) {
        if (message.payload().length > maximumMessageSize) {
            return CompletableFuture.failedFuture(new MessageTooLargeException(message.payload().length, maximumMessageSize));
        }
        if (message.qos() == 0) {
            return send(message); // the broker's window counts only QoS 1/2
        }
        boolean alone = probation.get() > 0;
        try {
            if (alone) {
                window.acquireAlone();
            } else {
                window.acquire(sendMaximum);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        }
        boolean sentConnected = connected;
        CompletableFuture<Void> acknowledged;
        try {
            acknowledged = send(message);
        } catch (RuntimeException e) {
            window.release();
            throw e;
        }
        return acknowledged.handle((ignored, failure) -> {
            window.release();
            if (failure == null) {
                if (alone) {
                    probation.updateAndGet(left -> Math.max(0, left - 1));
                }
                return null;
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (!isConnectionLoss(cause)) {
                throw new CompletionException(cause);
            }
            probation.updateAndGet(left -> Math.min(MAX_PROBATION, left + 1));
            throw new CompletionException(alone && sentConnected ? new ConnectionLostWithPublishException(cause) : cause);
        });
    }

    /** The publish failed because its connection (and with it the publisher's session) ended. */
    static boolean isConnectionLoss(Throwable cause) {
        return cause instanceof MqttSessionExpiredException || cause instanceof ConnectionClosedException
                || cause instanceof Mqtt5DisconnectException || cause instanceof Mqtt3DisconnectException;
    }

    /**
     * Sends one message without the publish window and probation of {@link #publish}: for the few status messages,
     * which are sent from the client's own thread and must never wait there.
     */
    CompletableFuture<Void> send(OutboundMessage message) {
        if (client5 != null) {
            return client5.publish(mqtt5Publish(message)).thenCompose(result -> result.getError().isPresent()
                    ? CompletableFuture.<Void>failedFuture(result.getError().get())
                    : CompletableFuture.<Void>completedFuture(null));
        }
        if (client3 != null) {
            return client3.publish(Mqtt3Publish.builder()
                    .topic(message.topic())
                    .qos(MqttQos.fromCode(message.qos()))
                    .retain(message.retain())
                    .payload(message.payload())
                    .build()).thenApply(published -> null);
        }
        return CompletableFuture.failedFuture(new IllegalStateException("MQTT connection not started"));
    }

    private static Mqtt5Publish mqtt5Publish(OutboundMessage message) {
        Mqtt5PublishBuilder.Complete builder = Mqtt5Publish.builder()
                .topic(message.topic())
                .qos(MqttQos.fromCode(message.qos()))
                .retain(message.retain())
                .payload(message.payload());
        Mqtt5Properties properties = message.properties();
        if (properties != null) {
            if (properties.contentType() != null) {
                builder.contentType(properties.contentType());
            }
            if (properties.responseTopic() != null) {
                builder.responseTopic(properties.responseTopic());
            }
            if (properties.correlationData() != null) {
                builder.correlationData(properties.correlationData());
            }
            if (properties.payloadFormatUtf8() != null) {
                builder.payloadFormatIndicator(properties.payloadFormatUtf8() ? Mqtt5PayloadFormatIndicator.UTF_8
                        : Mqtt5PayloadFormatIndicator.UNSPECIFIED);
            }
            if (properties.messageExpirySeconds() != null) {
                builder.messageExpiryInterval(properties.messageExpirySeconds());
            }
            if (!properties.userProperties().isEmpty()) {
                Mqtt5UserPropertiesBuilder userProperties = Mqtt5UserProperties.builder();
                for (java.util.Map.Entry<String, String> property : properties.userProperties()) {
                    userProperties.add(property.getKey(), property.getValue());
                }
                builder.userProperties(userProperties.build());
            }
        }
        return builder.build();
    }

    public boolean isConnected() {
        return connected;
    }

    /** Whether the broker resumed a session at the last connect; false before the first. */
    public boolean isSessionPresent() {
        return sessionPresent;
    }

    /** Connections established after the first one (each a reconnect). */
    public long reconnects() {
        return Math.max(0, connections.get() - 1);
    }

    /**
     * How often the subscriber stopped reading its socket because it held its maximum (the receive maximum of QoS 1/2
     * messages, or {@code qos0-max-in-flight} QoS 0 messages with {@code qos0-overload: push-back}); 0 on the publisher.
     */
    public long readPauses() {
        return inboundWindow == null ? 0 : inboundWindow.pauses();
    }

    /** QoS 1/2 publishes awaiting the broker's acknowledgement (the publisher's). */
    public int publishesInFlight() {
        return window.inFlight();
    }

    /** True once the broker accepted every subscription (in this process); stays true across reconnects. */
    public boolean isSubscribed() {
        return subscriptionsAccepted;
    }

    /** The current connection's settings, empty while not connected. */
    private Optional<? extends MqttClientConnectionConfig> connectionConfig() {
        return client5 != null ? client5.getConfig().getConnectionConfig()
                : client3 != null ? client3.getConfig().getConnectionConfig() : Optional.empty();
    }

    /** The current connection's Netty channel, for tests that look at what the client writes. */
    Optional<Channel> channel() {
        return connectionConfig().flatMap(FlushCoalescing::channelOf);
    }

    /** The subscriber's window; null on the publisher. */
    InboundWindow inboundWindow() {
        return inboundWindow;
    }

    public String clientId() {
        return clientId;
    }

    /**
     * Disconnects cleanly (the session stays on the broker when clean start is off). Acknowledgements
     * given before this call are sent before the DISCONNECT.
     */
    public void disconnect(Duration timeout) {
        stopping.set(true);
        CompletableFuture<Void> done = client5 != null ? client5.disconnect()
                : client3 != null ? client3.disconnect() : CompletableFuture.completedFuture(null);
        try {
            done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // Not connected at the moment (the client then just stops reconnecting) or the broker is gone.
            LOG.debugf("MQTT disconnect of %s: %s", clientId, describe(e));
        }
    }

    /** Whether the client closed the connection because the broker overran the announced Receive Maximum. */
    static boolean isReceiveMaximumExceeded(Throwable cause) {
        return cause instanceof Mqtt5DisconnectException disconnect
                && disconnect.getMqttMessage().getReasonCode() == Mqtt5DisconnectReasonCode.RECEIVE_MAXIMUM_EXCEEDED;
    }

    private static String describe(Throwable failure) {
        if (failure == null) {
            return "no cause given";
        }
        Throwable cause = failure.getCause() != null && failure instanceof java.util.concurrent.ExecutionException
                ? failure.getCause() : failure;
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }
}
