package io.mqttkafka.bridge.benchmark;

import io.mqttkafka.bridge.testing.MosquittoProcess;

/**
 * The MQTT broker a {@link CaseRunner} runs its MQTT-published cases against: the rig's own Mosquitto (every default
 * run), or one of {@code bench.brokers}, started by the broker matrix's starter ({@code BrokerMatrix.KINDS}).
 *
 * @param id       {@code ""} for the rig's Mosquitto, else the {@code bench.brokers} id (what case names end with)
 * @param port     its plain MQTT listener on loopback
 * @param protocol the MQTT version the publisher and the subscribers speak to it: 5, or 3 where it has no MQTT 5
 * @param maxQos   the highest QoS it grants and accepts; a case above it runs at this QoS
 * @param pid      its own process, whose CPU and RSS the drain cases measure; null where it has none of its own (HiveMQ
 *                 embedded in the harness) or it is not one process (Artemis's and RabbitMQ's start scripts)
 * @param sys      the rig's Mosquitto, whose {@code $SYS} counters give its message store and drops; null elsewhere
 */
record BrokerUnderTest(String id, int port, int protocol, int maxQos, Long pid, MosquittoProcess sys) {

    /** The rig's own Mosquitto, as every default run uses it. */
    static BrokerUnderTest rigMosquitto(MosquittoProcess mosquitto) {
        return new BrokerUnderTest("", mosquitto.port(), 5, 2, mosquitto.pid(), mosquitto);
    }
}
