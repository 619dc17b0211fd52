package io.mqttkafka.bridge.testing;

import java.util.Map;

import io.mqttkafka.bridge.dev.EmbeddedKafkaBroker;
import io.mqttkafka.bridge.dev.EmbeddedMqttBroker;

/**
 * One real MQTT broker and one real Kafka cluster per test JVM, started on first use and stopped when the
 * JVM exits. Tests share them and stay independent by using unique topic names and client ids
 * ({@link #unique(String)}).
 */
public final class SharedBrokers {

    private static EmbeddedMqttBroker mqtt;
    private static EmbeddedKafkaBroker kafka;
    private static EmbeddedKafkaBroker kafkaWithoutAutoCreation;
    private static int counter;

    private SharedBrokers() {
    }

    public static synchronized EmbeddedMqttBroker mqtt() {
        if (mqtt == null) {
            mqtt = FreePorts.startOnFreePort(EmbeddedMqttBroker::start);
            EmbeddedMqttBroker started = mqtt;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close));
        }
        return mqtt;
    }

    public static synchronized EmbeddedKafkaBroker kafka() {
        if (kafka == null) {
            kafka = EmbeddedKafkaBroker.start(Map.of());
            EmbeddedKafkaBroker started = kafka;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close));
        }
        return kafka;
    }

    /**
     * A second Kafka cluster, with {@code auto.create.topics.enable=false} (the usual production setting), for tests of
     * missing topics.
     */
    public static synchronized EmbeddedKafkaBroker kafkaWithoutAutoCreation() {
        if (kafkaWithoutAutoCreation == null) {
            kafkaWithoutAutoCreation = EmbeddedKafkaBroker.start(Map.of("auto.create.topics.enable", "false"));
            EmbeddedKafkaBroker started = kafkaWithoutAutoCreation;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close));
        }
        return kafkaWithoutAutoCreation;
    }

    /** A name no other test in this JVM uses: {@code prefix-<n>-<random>}, legal in MQTT and Kafka. */
    public static synchronized String unique(String prefix) {
        return prefix + "-" + (++counter) + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
    }
}
