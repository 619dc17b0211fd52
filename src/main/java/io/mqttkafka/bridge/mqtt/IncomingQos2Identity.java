package io.mqttkafka.bridge.mqtt;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.util.Optional;

import com.hivemq.client.internal.mqtt.message.publish.MqttPublish;
import com.hivemq.client.internal.mqtt.message.publish.MqttStatefulPublish;
import com.hivemq.client.internal.mqtt.message.publish.mqtt3.Mqtt3PublishView;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;

/**
 * The packet identifier and DUP flag of a PUBLISH the application received with manual acknowledgement, read when it
 * is received, before it is acknowledged. Exactly-once QoS 2 needs both at that moment (docs/design.md, "Exactly-once
 * QoS 2"): after a restart, a PUBLISH with DUP set and a packet identifier the bridge holds as written-but-not-released
 * is a redelivery, to be acknowledged without being written again.
 *
 * <p>hivemq-mqtt-client exposes neither publicly. With manual acknowledgement, the message handed to the application
 * carries its acknowledgement handle, and that handle holds the client's record of the PUBLISH as it came off the wire
 * (its {@code MqttStatefulPublish}, whose {@code getPacketIdentifier()} and {@code isDup()} are public methods of an
 * internal class). The path there runs through three fields of internal classes of hivemq-mqtt-client 1.3 (checked in
 * 1.3.10): {@code MqttPublish.confirmable} → {@code MqttIncomingPublishConfirmable.publishWithFlows} →
 * {@code MqttStatefulPublishWithFlows.publish}. {@code Qos2ClientInternalsTest} pins it against a real broker, for MQTT
 * 5 and 3.1.1, and fails when a client version changes it; {@link #unavailableReason()} lets startup refuse
 * exactly-once on a client where the path is gone, instead of running without it.
 */
public final class IncomingQos2Identity {

    /**
     * @param packetIdentifier the PUBLISH's packet identifier, 1..65535
     * @param dup whether the broker marked it as sent before (MQTT 5 and 3.1.1, § 3.3.1.1)
     */
    public record Identity(int packetIdentifier, boolean dup) {
    }

    private static final MethodHandle CONFIRMABLE;
    /** The class of the acknowledgement handle of a QoS 1/2 message (QoS 0 messages get another one). */
    private static final Class<?> QOS_1_OR_2_CONFIRMABLE;
    private static final MethodHandle PUBLISH_WITH_FLOWS;
    private static final MethodHandle STATEFUL_PUBLISH;
    private static final String UNAVAILABLE;

    static {
        MethodHandle confirmable = null;
        Class<?> confirmableClass = null;
        MethodHandle publishWithFlows = null;
        MethodHandle statefulPublish = null;
        String unavailable = null;
        try {
            String internal = "com.hivemq.client.internal.mqtt.handler.publish.incoming.";
            confirmable = getter(MqttPublish.class, "confirmable");
            confirmableClass = Class.forName(internal + "MqttIncomingPublishConfirmable");
            publishWithFlows = getter(confirmableClass, "publishWithFlows");
            statefulPublish = getter(Class.forName(internal + "MqttStatefulPublishWithFlows"), "publish");
        } catch (ReflectiveOperationException | RuntimeException e) {
            unavailable = "this hivemq-mqtt-client version does not hold a received PUBLISH's packet identifier where "
                    + "version 1.3 does (" + e + ")";
        }
        CONFIRMABLE = confirmable;
        QOS_1_OR_2_CONFIRMABLE = confirmableClass;
        PUBLISH_WITH_FLOWS = publishWithFlows;
        STATEFUL_PUBLISH = statefulPublish;
        UNAVAILABLE = unavailable;
    }

    private IncomingQos2Identity() {
    }

    /** Why the identity cannot be read with the MQTT client on the class path; empty when it can. */
    public static Optional<String> unavailableReason() {
        return Optional.ofNullable(UNAVAILABLE);
    }

    /**
     * The identity of a QoS 1/2 message received with manual acknowledgement (MQTT 5).
     *
     * @throws IllegalStateException when it cannot be read: a client without the path (see
     *         {@link #unavailableReason()}), a message not received with manual acknowledgement, or a QoS 0 one
     */
    public static Identity of(Mqtt5Publish publish) {
        if (!(publish instanceof MqttPublish internal)) {
            throw new IllegalStateException("not a received PUBLISH of hivemq-mqtt-client: " + publish.getClass().getName());
        }
        return read(internal);
    }

    /** As {@link #of(Mqtt5Publish)}, for a message received over MQTT 3.1.1. */
    public static Identity of(Mqtt3Publish publish) {
        if (!(publish instanceof Mqtt3PublishView view)) {
            throw new IllegalStateException("not a received PUBLISH of hivemq-mqtt-client: " + publish.getClass().getName());
        }
        return read(view.getDelegate());
    }

    private static Identity read(MqttPublish publish) {
        if (UNAVAILABLE != null) {
            throw new IllegalStateException(UNAVAILABLE);
        }
        Object stateful;
        try {
            Object confirmable = CONFIRMABLE.invokeExact((Object) publish);
            if (confirmable == null || !QOS_1_OR_2_CONFIRMABLE.isInstance(confirmable)) {
                throw new IllegalStateException("the PUBLISH carries no acknowledgement handle of a QoS 1/2 message "
                        + "received with manual acknowledgement (" + publish.getQos() + ")");
            }
            stateful = STATEFUL_PUBLISH.invokeExact(PUBLISH_WITH_FLOWS.invokeExact(confirmable));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        MqttStatefulPublish wire = (MqttStatefulPublish) stateful;
        return new Identity(wire.getPacketIdentifier(), wire.isDup());
    }

    /** A getter of a private field, typed {@code (Object) Object} whatever the classes. */
    private static MethodHandle getter(Class<?> owner, String name) throws ReflectiveOperationException {
        Field field = owner.getDeclaredField(name);
        field.setAccessible(true);
        MethodHandle getter = MethodHandles.lookup().unreflectGetter(field);
        return getter.asType(MethodType.methodType(Object.class, Object.class));
    }
}
