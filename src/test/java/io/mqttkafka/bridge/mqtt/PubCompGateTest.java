package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.hivemq.client.internal.mqtt.message.publish.pubcomp.MqttPubComp;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.lifecycle.MqttClientConnectedContext;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;

import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * {@link PubCompGate} against the embedded HiveMQ broker, MQTT 5 and 3.1.1: a held PUBCOMP never reaches the broker
 * (it sends the PUBREL again to the next session); a released one does (it sends nothing again after that).
 */
class PubCompGateTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(ints = {5, 3})
    void aHeldPubCompNeverLeavesAndAReleasedOneDoes(int protocolVersion) throws Exception {
        int port = SharedBrokers.mqtt().port();
        String topic = SharedBrokers.unique("pubcomp-gate") + "/orders";
        String clientId = SharedBrokers.unique("pubcomp-gate-bridge");

        Session setup = Session.connect(protocolVersion, port, clientId, id -> { });
        setup.subscribe(topic);
        setup.disconnect();
        try (MqttTestClient publisher = MqttTestClient.connect(port, protocolVersion)) {
            publisher.publishAll(List.of(topic), List.of("order".getBytes(StandardCharsets.UTF_8)), 2);
        }

        // The table holds the message: its PUBCOMP is held, and the process dies before the removal is committed.
        Session crashed = Session.connect(protocolVersion, port, clientId, id -> { });
        Awaitility.await().atMost(TIMEOUT).until(() -> crashed.received.size() == 1);
        crashed.received.get(0).run();
        Awaitility.await().atMost(TIMEOUT).until(() -> crashed.pubRels.size() == 1);
        int id = crashed.pubRels.get(0);
        crashed.channel.get().close().sync();
        assertThat(crashed.pubCompsWritten).isEmpty();

        // The broker never got it: it sends the PUBREL again. This time the removal is committed at once: released.
        AtomicReference<PubCompGate> gate = new AtomicReference<>();
        Session restarted = Session.connect(protocolVersion, port, clientId, pubRel -> gate.get().release(pubRel), gate);
        Awaitility.await().atMost(TIMEOUT).until(() -> restarted.pubCompsWritten.size() == 1);
        assertThat(restarted.pubRels).containsExactly(id);
        assertThat(restarted.pubCompsWritten).containsExactly(id);
        assertThat(restarted.received).isEmpty();
        restarted.disconnect();

        // The broker got that one: the next session gets no PUBREL, only what is new.
        Session next = Session.connect(protocolVersion, port, clientId, pubRel -> { });
        try (MqttTestClient publisher = MqttTestClient.connect(port, protocolVersion)) {
            publisher.publishAll(List.of(topic), List.of("marker".getBytes(StandardCharsets.UTF_8)), 2);
        }
        Awaitility.await().atMost(TIMEOUT).until(() -> next.received.size() == 1);
        assertThat(next.pubRels).isEmpty();
        next.dropSession();
    }

    /** A bare client as the bridge's subscriber makes it, with the gate and a probe behind it on every connection. */
    private static final class Session {
        final List<Runnable> received = new CopyOnWriteArrayList<>();
        final List<Integer> pubRels = new CopyOnWriteArrayList<>();
        final List<Integer> pubCompsWritten = new CopyOnWriteArrayList<>();
        final AtomicReference<Channel> channel = new AtomicReference<>();
        Mqtt5AsyncClient client5;
        Mqtt3AsyncClient client3;

        static Session connect(int protocolVersion, int port, String clientId, IntConsumer onPubRel) throws Exception {
            return connect(protocolVersion, port, clientId, onPubRel, new AtomicReference<>());
        }

        static Session connect(int protocolVersion, int port, String clientId, IntConsumer onPubRel,
                AtomicReference<PubCompGate> gateOut) throws Exception {
            Session session = new Session();
            var builder = MqttClient.builder().identifier(clientId).serverHost("127.0.0.1").serverPort(port)
                    .addConnectedListener(context -> session.install(context, onPubRel, gateOut));
            if (protocolVersion == 5) {
                session.client5 = builder.useMqttVersion5().buildAsync();
                session.client5.publishes(MqttGlobalPublishFilter.REMAINING,
                        (Mqtt5Publish publish) -> session.received.add(publish::acknowledge), true);
                session.client5.connectWith().cleanStart(false).sessionExpiryInterval(300).send()
                        .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } else {
                session.client3 = builder.useMqttVersion3().buildAsync();
                session.client3.publishes(MqttGlobalPublishFilter.REMAINING,
                        (Mqtt3Publish publish) -> session.received.add(publish::acknowledge), true);
                session.client3.connectWith().cleanSession(false).send().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            return session;
        }

        private void install(MqttClientConnectedContext context, IntConsumer onPubRel,
                AtomicReference<PubCompGate> gateOut) {
            Channel connection = FlushCoalescing.channelOf(context.getClientConfig().getConnectionConfig().orElseThrow())
                    .orElseThrow();
            channel.set(connection);
            PubCompGate gate = new PubCompGate(id -> {
                pubRels.add(id);
                onPubRel.accept(id);
            });
            gateOut.set(gate);
            gate.install(connection);
            connection.pipeline().addBefore(PubCompGate.NAME, "pubcomp-probe", new ChannelOutboundHandlerAdapter() {
                @Override
                public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) throws Exception {
                    if (message instanceof MqttPubComp pubComp) {
                        pubCompsWritten.add(pubComp.getPacketIdentifier());
                    }
                    super.write(ctx, message, promise);
                }
            });
        }

        void subscribe(String topic) throws Exception {
            (client5 != null ? client5.subscribeWith().topicFilter(topic).qos(MqttQos.EXACTLY_ONCE).send()
                    : client3.subscribeWith().topicFilter(topic).qos(MqttQos.EXACTLY_ONCE).send())
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }

        /** A normal DISCONNECT; the broker keeps the session. */
        void disconnect() throws Exception {
            (client5 != null ? client5.disconnect() : client3.disconnect()).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }

        /** Disconnects and lets the broker drop the session (MQTT 5; a 3.1.1 session of a unique id is left). */
        void dropSession() throws Exception {
            (client5 != null ? client5.disconnectWith().sessionExpiryInterval(0).send() : client3.disconnect())
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }
}
