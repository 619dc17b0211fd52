package io.mqttkafka.bench.naive;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Outgoing;

/**
 * The whole naive bridge: every MQTT payload becomes the value of one Kafka record, unchanged. Everything
 * else (connections, buffering, acknowledgement) is what the two connectors do by default.
 */
@ApplicationScoped
public class PassThrough {

    @Incoming("mqtt-in")
    @Outgoing("kafka-out")
    public byte[] forward(byte[] payload) {
        return payload;
    }
}
