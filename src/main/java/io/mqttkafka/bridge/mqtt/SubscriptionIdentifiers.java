package io.mqttkafka.bridge.mqtt;

import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.hivemq.client.internal.mqtt.message.publish.MqttStatefulPublish;
import com.hivemq.client.internal.mqtt.message.subscribe.MqttStatefulSubscribe;
import com.hivemq.client.internal.util.collections.ImmutableIntList;
import com.hivemq.client.mqtt.MqttClientConnectionConfig;
import com.hivemq.client.mqtt.datatypes.MqttTopicFilter;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscription;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;

/**
 * Which of the subscriber's subscriptions an MQTT 5 PUBLISH was delivered for, read from the subscription identifiers
 * it carries, so that a message is written once per mapping even by brokers that send one copy per matching
 * subscription (Mosquitto with MQTT 5, Artemis; MQTT 5 § 3.3.4 allows it): without them the bridge routes every copy
 * to every mapping whose filter matches the topic, and overlapping mappings each get the message twice.
 *
 * <p>Why through the channel: hivemq-mqtt-client 1.3 sends a subscription identifier with every SUBSCRIBE (one per
 * SUBSCRIBE packet, when the broker supports them) but matches received messages to subscriptions by topic only, and
 * its public {@code Mqtt5Publish} has no subscription identifiers. They are in its internal decoded messages, which a
 * handler placed right after the client's decoder sees: outgoing, the SUBSCRIBE with its identifier and filters;
 * incoming, the PUBLISH with its identifiers, which the client then hands to the bridge's callback synchronously, on the
 * same thread, inside that handler's {@code channelRead}. So the identifiers of the PUBLISH being handed on are known
 * while the callback runs. The subscriber therefore sends one SUBSCRIBE per filter. The client keeps each
 * subscription's identifier for the life of the client and reuses it when it subscribes again after a session was
 * lost, so what was seen once stays valid.
 *
 * <p>Whenever anything is unknown (MQTT 3.1.1, a broker without subscription identifiers, a message handed on outside
 * that window, an identifier never seen), {@link #filtersOfCurrent()} is empty and the bridge routes by topic as before:
 * never fewer deliveries, at worst the duplicate copies. {@code BrokerMatrixTest} (overlapping mappings against
 * Mosquitto with MQTT 5) fails if a client version no longer lets this work.
 */
final class SubscriptionIdentifiers {

    static final String HANDLER_NAME = "bridge-subscription-identifiers";
    private static final String CLIENT_DECODER = "decoder";

    /** The filters (as subscribed, with any {@code $share/...} prefix) of each identifier the client sent. */
    private final Map<Integer, Set<String>> filtersById = new ConcurrentHashMap<>();
    /** The identifiers of the PUBLISH being handed on; set and read on the connection's event loop only. */
    private ImmutableIntList current;

    /**
     * Adds the handler after the client's decoder of a new connection unless it is there. Called from the connected
     * listener, on the event loop, before the session's first message is handed on and before the bridge subscribes.
     *
     * @return false when this client version does not let the handler in (routing then stays by topic)
     */
    boolean attach(MqttClientConnectionConfig connectionConfig) {
        Optional<Channel> channel = FlushCoalescing.channelOf(connectionConfig);
        if (channel.isEmpty()) {
            return false;
        }
        ChannelPipeline pipeline = channel.get().pipeline();
        if (pipeline.get(HANDLER_NAME) != null) {
            return true;
        }
        if (pipeline.get(CLIENT_DECODER) == null) {
            return false;
        }
        pipeline.addAfter(CLIENT_DECODER, HANDLER_NAME, new Handler());
        return true;
    }

    /**
     * The subscription filters the PUBLISH now being handed to the callback was delivered for; empty when not known, in
     * which case it is routed by its topic. Call on the connection's event loop, from the callback.
     */
    Set<String> filtersOfCurrent() {
        ImmutableIntList ids = current;
        if (ids == null || ids.isEmpty()) {
            return Set.of();
        }
        if (ids.size() == 1) {
            // The usual case: one subscription matched; its set is shared, nothing is allocated per message.
            return filtersById.getOrDefault(ids.get(0), Set.of());
        }
        Set<String> filters = new HashSet<>();
        for (int i = 0; i < ids.size(); i++) {
            Set<String> ofId = filtersById.get(ids.get(i));
            if (ofId == null) {
                return Set.of();
            }
            filters.addAll(ofId);
        }
        return filters;
    }

    private final class Handler extends ChannelDuplexHandler {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof MqttStatefulPublish publish)) {
                ctx.fireChannelRead(msg);
                return;
            }
            current = publish.getSubscriptionIdentifiers();
            try {
                ctx.fireChannelRead(msg);
            } finally {
                current = null;
            }
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof MqttStatefulSubscribe subscribe
                    && subscribe.getSubscriptionIdentifier() != MqttStatefulSubscribe.DEFAULT_NO_SUBSCRIPTION_IDENTIFIER) {
                Set<String> filters = new HashSet<>();
                for (Mqtt5Subscription subscription : subscribe.stateless().getSubscriptions()) {
                    MqttTopicFilter filter = subscription.getTopicFilter();
                    filters.add(filter.toString());
                }
                filtersById.put(subscribe.getSubscriptionIdentifier(), Set.copyOf(filters));
            }
            ctx.write(msg, promise);
        }
    }
}
