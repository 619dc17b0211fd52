package io.mqttkafka.bridge.mqtt;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.IntConsumer;

import com.hivemq.client.internal.mqtt.handler.publish.incoming.MqttIncomingQosHandler;
import com.hivemq.client.internal.mqtt.message.publish.pubcomp.MqttPubComp;
import com.hivemq.client.internal.mqtt.message.publish.pubrel.MqttPubRel;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Exactly-once QoS 2 (docs/design.md): reports every PUBREL of the subscriber's connection and holds every PUBCOMP the
 * client writes until the owner of the written-but-not-released table {@linkplain #release releases} its packet
 * identifier, i.e. until the removal of that identifier is committed (or the table never held it). A PUBCOMP that
 * left early would let the broker reuse the identifier while a crash could still leave it in the table.
 *
 * <p>Sits just before the client's {@code qos.incoming} handler, installed on every connection from the connected
 * listener (which the client calls before it decodes the session's next packet); one gate per connection. PUBCOMPs
 * held when the connection ends are dropped: the broker sends their PUBRELs again on the next connection.
 * {@code Qos2ClientInternalsTest} pins the client internals this relies on.
 */
public final class PubCompGate extends ChannelDuplexHandler {

    static final String NAME = "bridge-pubcomp-gate";

    private final IntConsumer pubRelSeen;
    /** Event loop only: PUBCOMPs written by the client and not yet released, in the order written. */
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private volatile ChannelHandlerContext context;

    private record Held(int packetIdentifier, Object message, ChannelPromise promise) {
    }

    /** @param pubRelSeen told of each PUBREL's packet identifier, on the connection's event loop; must not block */
    public PubCompGate(IntConsumer pubRelSeen) {
        this.pubRelSeen = pubRelSeen;
    }

    /** Puts the gate in front of the client's incoming QoS handler of {@code channel}. */
    public void install(Channel channel) {
        channel.pipeline().addBefore(MqttIncomingQosHandler.NAME, NAME, this);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        if (message instanceof MqttPubRel pubRel) {
            pubRelSeen.accept(pubRel.getPacketIdentifier());
        }
        ctx.fireChannelRead(message);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) {
        if (message instanceof MqttPubComp pubComp) {
            held.add(new Held(pubComp.getPacketIdentifier(), message, promise));
            return;
        }
        ctx.write(message, promise);
    }

    /**
     * Lets the held PUBCOMP for {@code packetIdentifier} go (the oldest one, should the broker have resent the
     * PUBREL); does nothing if none is held, e.g. its connection ended. Any thread.
     */
    public void release(int packetIdentifier) {
        ChannelHandlerContext ctx = context;
        if (ctx == null) {
            return;
        }
        ctx.executor().execute(() -> {
            for (Iterator<Held> it = held.iterator(); it.hasNext();) {
                Held pubComp = it.next();
                if (pubComp.packetIdentifier() == packetIdentifier) {
                    it.remove();
                    ctx.writeAndFlush(pubComp.message(), pubComp.promise());
                    return;
                }
            }
        });
    }
}
