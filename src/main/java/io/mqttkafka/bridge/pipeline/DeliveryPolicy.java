package io.mqttkafka.bridge.pipeline;

import io.mqttkafka.bridge.kafka.ProducerProfile;

/**
 * What each MQTT QoS promises once the message is in the bridge's hands. This is the one place that
 * decides it; everything else asks the policy.
 *
 * <pre>
 * | QoS | guarantee into Kafka                          | MQTT ack                      | producer |
 * |-----|-----------------------------------------------|-------------------------------|----------|
 * | 0   | at most once; dropped (and counted) when busy | none needed                   | FAST     |
 * | 1   | at least once; nothing acked is ever lost     | PUBACK after every Kafka ack  | RELIABLE |
 * | 2   | no loss, no duplicates from producer retries  | PUBREC after every Kafka ack  | RELIABLE |
 * |     | or broker redelivery within a session         |                               |          |
 * | 2,  | exactly once for read_committed consumers,    | PUBREC after the commit of    | RELIABLE |
 * | e-o | also across a bridge crash                    | the transaction holding them  | + trans- |
 * |     |                                               |                               | actions  |
 * </pre>
 *
 * The last row is the one a mapping asks for with {@code exactly-once: true} ({@link #forMapping}); the message's QoS
 * still decides: a message that reaches such a mapping with QoS 1 (published with QoS 1) has no PUBREL to tell when
 * the broker will never send it again, so it gets QoS 1's guarantee.
 *
 * Kafka → MQTT, the QoS of the mapping decides when a record's offset may be committed:
 *
 * <pre>
 * | QoS | guarantee into MQTT                      | offset commit                                    |
 * |-----|------------------------------------------|--------------------------------------------------|
 * | 0   | at most once                             | without waiting for the broker                   |
 * | 1   | at least once                            | after PUBACK of every record up to it, in order  |
 * | 2   | at least once into the broker; the       | after PUBCOMP of every record up to it, in order |
 * |     | broker delivers each PUBLISH once        |                                                  |
 * </pre>
 *
 * QoS 2's "no duplicates" rests on the idempotent producer (retries) and on MQTT's own QoS 2 flow: the
 * broker does not redeliver a message once it has our PUBREC, and we send PUBREC only after Kafka has the
 * record. A crash between the Kafka ack and the PUBREC leads to one redelivery: that is the documented
 * limit of plain QoS 2, which {@link #EXACTLY_ONCE} removes for the mappings that ask for it (docs/design.md,
 * "Exactly-once QoS 2"; {@link ExactlyOnceWriter}).
 */
public enum DeliveryPolicy {

    AT_MOST_ONCE(ProducerProfile.FAST, false),
    AT_LEAST_ONCE(ProducerProfile.RELIABLE, true),
    NO_LOSS_NO_DUPLICATES(ProducerProfile.RELIABLE, true),
    /**
     * QoS 2 on an exactly-once mapping: its records go into the replica's Kafka transactions (the reliable profile's
     * settings, transactional), and the message's PUBREC waits for their commit.
     */
    EXACTLY_ONCE(ProducerProfile.RELIABLE, true);

    private final ProducerProfile producerProfile;
    private final boolean waitsForConfirmation;

    DeliveryPolicy(ProducerProfile producerProfile, boolean waitsForConfirmation) {
        this.producerProfile = producerProfile;
        this.waitsForConfirmation = waitsForConfirmation;
    }

    /** The policy for a message received with this QoS (the lower of publish and subscription QoS). */
    public static DeliveryPolicy forQos(int qos) {
        return switch (qos) {
            case 0 -> AT_MOST_ONCE;
            case 1 -> AT_LEAST_ONCE;
            case 2 -> NO_LOSS_NO_DUPLICATES;
            default -> throw new IllegalArgumentException("MQTT QoS must be 0, 1 or 2, was " + qos);
        };
    }

    /**
     * The policy for the records of one mapping: {@link #EXACTLY_ONCE} for a QoS 2 message on a mapping with
     * {@code exactly-once: true}, else the message's QoS decides ({@link #forQos}).
     */
    public static DeliveryPolicy forMapping(int qos, boolean exactlyOnce) {
        return exactlyOnce && qos == 2 ? EXACTLY_ONCE : forQos(qos);
    }

    /** Whether the records go into the replica's Kafka transactions instead of through the shared producers. */
    public boolean writesInTransactions() {
        return this == EXACTLY_ONCE;
    }

    public ProducerProfile producerProfile() {
        return producerProfile;
    }

    /**
     * True when the MQTT acknowledgement waits until Kafka acknowledged every record of the message, and
     * the message must therefore never be dropped. False for QoS 0: it is acknowledged (a no-op on the
     * wire) at once and may be dropped when the bridge cannot keep up.
     */
    public boolean acknowledgeAfterKafka() {
        return waitsForConfirmation;
    }

    /**
     * Kafka → MQTT: true when a record's offset is committed only after the broker acknowledged the publish
     * (and every earlier record of the partition), so that a crash or rebalance redelivers rather than
     * loses. False for QoS 0: the offset may move on as soon as the publish is handed to the client.
     */
    public boolean commitAfterMqttAck() {
        return waitsForConfirmation;
    }

    /** Whether a record that failed for a transient reason is retried (true) or dropped and counted. */
    public boolean retriesTransientFailures() {
        return waitsForConfirmation;
    }
}
