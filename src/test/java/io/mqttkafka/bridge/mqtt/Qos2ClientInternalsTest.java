package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.hivemq.client.internal.mqtt.handler.publish.incoming.MqttIncomingQosHandler;
import com.hivemq.client.internal.mqtt.message.publish.pubcomp.MqttPubComp;
import com.hivemq.client.internal.mqtt.message.publish.pubrec.MqttPubRec;
import com.hivemq.client.internal.mqtt.message.publish.pubrel.MqttPubRel;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientConnectionConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.lifecycle.MqttClientConnectedContext;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.pubcomp.Mqtt5PubCompReasonCode;

import io.mqttkafka.bridge.mqtt.IncomingQos2Identity.Identity;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Pins the hivemq-mqtt-client internals that exactly-once QoS 2 is designed on (docs/design.md, "Exactly-once QoS 2"),
 * against the embedded HiveMQ broker, with MQTT 5 and 3.1.1. When a client upgrade changes any of them, this test fails
 * and the design must be revisited before the upgrade goes in:
 *
 * <ol>
 * <li>{@link IncomingQos2Identity} reads the packet identifier and DUP flag of a QoS 2 PUBLISH from the message the
 * application receives, before it acknowledges it: DUP clear on first delivery; after a crash (the connection cut with
 * no DISCONNECT, a new client instance with the same client id resuming the session) the unacknowledged messages come
 * again with DUP set and the same packet identifiers, also when their contents are identical.</li>
 * <li>A Netty handler put just before the client's {@code qos.incoming} handler sees every PUBREL with its packet
 * identifier, and every PUBREC and PUBCOMP the client writes, and can hold a PUBCOMP back: one it drops never reaches
 * the broker, which sends the PUBREL again to the next session. That is how the bridge will keep a PUBCOMP until the
 * release of its message is committed.</li>
 * <li>PUBRECs leave in the order the PUBLISHes arrived, whatever the order of the acknowledgements, and the broker
 * sends the PUBRELs in that order.</li>
 * <li>The restarted client answers a PUBREL for a message it never saw with a PUBCOMP (reason "packet identifier not
 * found"), which ends the flow at the broker: the bridge must have persisted the release before that PUBCOMP leaves.</li>
 * </ol>
 */
class Qos2ClientInternalsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String HANDLER = "qos2-internals-probe";

    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(ints = {5, 3})
    void packetIdentifiersDupFlagsAndReleasesAreVisibleAcrossACrash(int protocolVersion) throws Exception {
        assertThat(IncomingQos2Identity.unavailableReason()).isEmpty();
        int port = SharedBrokers.mqtt().port();
        String topic = SharedBrokers.unique("qos2-internals") + "/orders";
        String clientId = SharedBrokers.unique("qos2-internals-bridge");

        // The session is made first, and the three QoS 2 messages (the last two identical) are queued in it while no
        // client is connected: HiveMQ CE sends the messages it holds for a client in batches and polls for the next
        // batch only once the last one is complete, so messages that arrive one by one while the first is in flight may
        // wait for that message's PUBCOMP (which this test holds back). Queued beforehand, the three come as one batch.
        Receiver setup = Receiver.connect(protocolVersion, port, clientId, new Probe(false));
        assertThat(setup.sessionPresent).isFalse();
        setup.subscribe(topic);
        setup.disconnectKeepingSession();
        try (MqttTestClient publisher = MqttTestClient.connect(port, protocolVersion)) {
            publisher.publishAll(List.of(topic, topic, topic), List.of(bytes("first"), bytes("same"), bytes("same")), 2);
        }

        // The process that will crash receives them; DUP is clear, each has its own packet identifier.
        Probe first = new Probe(true);
        Receiver crashed = Receiver.connect(protocolVersion, port, clientId, first);
        assertThat(crashed.sessionPresent).isTrue();
        crashed.awaitReceived(3);
        List<Identity> before = crashed.received.stream().map(Received::identity).toList();
        assertThat(crashed.received).extracting(Received::payload).containsExactly("first", "same", "same");
        assertThat(before).extracting(Identity::dup).containsExactly(false, false, false);
        assertThat(before).extracting(Identity::packetIdentifier).doesNotHaveDuplicates()
                .allSatisfy(id -> assertThat(id).isBetween(1, 65_535));
        int id1 = before.get(0).packetIdentifier();
        int id2 = before.get(1).packetIdentifier();
        int id3 = before.get(2).packetIdentifier();

        // The first is written (say) and acknowledged: PUBREC, the broker's PUBREL, and a PUBCOMP that the probe keeps
        // from the wire, as the bridge will until the release is committed. The other two stay unacknowledged: the
        // process dies before their records are committed.
        crashed.received.get(0).acknowledge();
        Awaitility.await().atMost(TIMEOUT).until(() -> first.pubCompsHeld.contains(id1));
        assertThat(first.pubRecs).containsExactly(id1);
        assertThat(first.pubRels).containsExactly(id1);
        assertThat(first.pubCompsSent).isEmpty();
        crashed.channel().close().sync(); // no DISCONNECT: the broker keeps the session, as after a SIGKILL

        // The restarted process: same client id, the session resumes.
        Probe second = new Probe(false);
        Receiver restarted = Receiver.connect(protocolVersion, port, clientId, second);
        try {
            assertThat(restarted.sessionPresent).isTrue();
            restarted.awaitReceived(2);
            Awaitility.await().atMost(TIMEOUT).until(() -> second.pubCompsSent.size() == 1);
            assertThat(restarted.received).extracting(Received::payload).containsExactly("same", "same");
            assertThat(restarted.received).extracting(Received::identity)
                    .containsExactly(new Identity(id2, true), new Identity(id3, true));
            // The PUBREL whose PUBCOMP never left comes again; the new client never saw its PUBLISH.
            assertThat(second.pubRels).containsExactly(id1);
            assertThat(second.pubCompsSent).containsExactly(id1);
            if (protocolVersion == 5) {
                assertThat(second.pubCompReasons).containsExactly(Mqtt5PubCompReasonCode.PACKET_IDENTIFIER_NOT_FOUND);
            }

            // Acknowledged in reverse order: the PUBRECs still leave in arrival order, and so do the broker's PUBRELs.
            restarted.received.get(1).acknowledge();
            restarted.received.get(0).acknowledge();
            Awaitility.await().atMost(TIMEOUT).until(() -> second.pubCompsSent.size() == 3);
            assertThat(second.pubRecs).containsExactly(id2, id3);
            assertThat(second.pubRels).containsExactly(id1, id2, id3);
            assertThat(second.pubCompsSent).containsExactly(id1, id2, id3);
            if (protocolVersion == 5) {
                assertThat(second.pubCompReasons).containsExactly(Mqtt5PubCompReasonCode.PACKET_IDENTIFIER_NOT_FOUND,
                        Mqtt5PubCompReasonCode.SUCCESS, Mqtt5PubCompReasonCode.SUCCESS);
            }
        } finally {
            restarted.disconnect();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** A message as the application got it, with its identity read at receipt (before any acknowledgement). */
    private record Received(String payload, Identity identity, Runnable acknowledgement) {
        void acknowledge() {
            acknowledgement.run();
        }
    }

    /**
     * Sits just before the client's {@code qos.incoming} handler: records the packet identifiers of the PUBRELs read and
     * of the PUBRECs and PUBCOMPs written, and drops the PUBCOMPs when told to.
     */
    private static final class Probe extends ChannelDuplexHandler {
        final boolean holdPubComps;
        final List<Integer> pubRels = new CopyOnWriteArrayList<>();
        final List<Integer> pubRecs = new CopyOnWriteArrayList<>();
        final List<Integer> pubCompsSent = new CopyOnWriteArrayList<>();
        final List<Integer> pubCompsHeld = new CopyOnWriteArrayList<>();
        final List<Mqtt5PubCompReasonCode> pubCompReasons = new CopyOnWriteArrayList<>();

        Probe(boolean holdPubComps) {
            this.holdPubComps = holdPubComps;
        }

        @Override
        public boolean isSharable() {
            return true; // one probe per client, installed again on every connection
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            if (message instanceof MqttPubRel pubRel) {
                pubRels.add(pubRel.getPacketIdentifier());
            }
            ctx.fireChannelRead(message);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) {
            if (message instanceof MqttPubRec pubRec) {
                pubRecs.add(pubRec.getPacketIdentifier());
            } else if (message instanceof MqttPubComp pubComp) {
                if (holdPubComps) {
                    pubCompsHeld.add(pubComp.getPacketIdentifier());
                    return; // never written: the broker still waits for it
                }
                pubCompReasons.add(pubComp.getReasonCode());
                pubCompsSent.add(pubComp.getPacketIdentifier());
            }
            ctx.write(message, promise);
        }

        /** Called by the client's connected listener, on the channel's event loop, before the session's packets. */
        void install(MqttClientConnectedContext context) {
            Channel channel = FlushCoalescing.channelOf(context.getClientConfig().getConnectionConfig().orElseThrow())
                    .orElseThrow();
            if (channel.pipeline().get(HANDLER) == null) {
                channel.pipeline().addBefore(MqttIncomingQosHandler.NAME, HANDLER, this);
            }
        }
    }

    /** A bare client as the bridge's subscriber makes it: manual-ack flow before connect, no automatic reconnect. */
    private static final class Receiver {
        final List<Received> received = new CopyOnWriteArrayList<>();
        final List<RuntimeException> failures = new CopyOnWriteArrayList<>();
        Mqtt5AsyncClient client5;
        Mqtt3AsyncClient client3;
        boolean sessionPresent;

        static Receiver connect(int protocolVersion, int port, String clientId, Probe probe) throws Exception {
            Receiver receiver = new Receiver();
            var builder = MqttClient.builder().identifier(clientId).serverHost("127.0.0.1").serverPort(port)
                    .addConnectedListener(probe::install);
            if (protocolVersion == 5) {
                receiver.client5 = builder.useMqttVersion5().buildAsync();
                receiver.client5.publishes(MqttGlobalPublishFilter.REMAINING, receiver::onMqtt5, true);
                receiver.sessionPresent = receiver.client5.connectWith().cleanStart(false).sessionExpiryInterval(300)
                        .send().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).isSessionPresent();
            } else {
                receiver.client3 = builder.useMqttVersion3().buildAsync();
                receiver.client3.publishes(MqttGlobalPublishFilter.REMAINING, receiver::onMqtt3, true);
                receiver.sessionPresent = receiver.client3.connectWith().cleanSession(false)
                        .send().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).isSessionPresent();
            }
            return receiver;
        }

        private void onMqtt5(Mqtt5Publish publish) {
            try {
                received.add(new Received(new String(publish.getPayloadAsBytes(), StandardCharsets.UTF_8),
                        IncomingQos2Identity.of(publish), publish::acknowledge));
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }

        private void onMqtt3(Mqtt3Publish publish) {
            try {
                received.add(new Received(new String(publish.getPayloadAsBytes(), StandardCharsets.UTF_8),
                        IncomingQos2Identity.of(publish), publish::acknowledge));
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }

        /** Waits until {@code count} messages were received, failing at once if reading one failed. */
        void awaitReceived(int count) {
            Awaitility.await().atMost(TIMEOUT).untilAsserted(() -> {
                assertThat(failures).isEmpty();
                assertThat(received).hasSize(count);
            });
        }

        void subscribe(String topic) throws Exception {
            if (client5 != null) {
                client5.subscribeWith().topicFilter(topic).qos(MqttQos.EXACTLY_ONCE).send()
                        .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } else {
                client3.subscribeWith().topicFilter(topic).qos(MqttQos.EXACTLY_ONCE).send()
                        .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        }

        Channel channel() {
            MqttClientConnectionConfig config = (client5 != null ? client5.getConfig() : client3.getConfig())
                    .getConnectionConfig().orElseThrow();
            return FlushCoalescing.channelOf(config).orElseThrow();
        }

        /** A normal DISCONNECT; the broker keeps the session (expiry 300 s with MQTT 5, no expiry with 3.1.1). */
        void disconnectKeepingSession() throws Exception {
            (client5 != null ? client5.disconnect() : client3.disconnect()).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }

        /** Disconnects and lets the broker drop the session (MQTT 5; a 3.1.1 session of a unique id is left). */
        void disconnect() throws Exception {
            (client5 != null ? client5.disconnectWith().sessionExpiryInterval(0).send() : client3.disconnect())
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }
}
