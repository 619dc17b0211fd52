package io.mqttkafka.bridge.testing;

import java.util.Map;

import io.mqttkafka.bridge.dev.EmbeddedKafkaBroker;
import io.mqttkafka.bridge.dev.EmbeddedMqttBroker;

/**
 * One real MQTT broker and one real Kafka cluster per test JVM, started on first use and stopped when the test
 * run ends ({@link SharedBrokersShutdown}) or, failing that, when the JVM exits. Tests share them and stay
 * independent by using unique topic names and client ids ({@link #unique(String)}).
 */
public final class SharedBrokers {

    private static EmbeddedMqttBroker mqtt;
    private static EmbeddedKafkaBroker kafka;
    private static boolean stopHookAdded;
    private static int counter;

    private SharedBrokers() {
    }

    public static synchronized EmbeddedMqttBroker mqtt() {
        if (mqtt == null) {
            mqtt = EmbeddedMqttBroker.start(FreePorts.next());
            addStopHook();
        }
        return mqtt;
    }

    public static synchronized EmbeddedKafkaBroker kafka() {
        if (kafka == null) {
            kafka = EmbeddedKafkaBroker.start(Map.of());
            addStopHook();
        }
        return kafka;
    }

    /** Stops whichever of the two brokers runs; the next {@link #mqtt()} or {@link #kafka()} starts a new one. */
    public static synchronized void stopAll() {
        EmbeddedKafkaBroker runningKafka = kafka;
        EmbeddedMqttBroker runningMqtt = mqtt;
        kafka = null;
        mqtt = null;
        try {
            if (runningKafka != null) {
                runningKafka.close();
            }
        } finally {
            if (runningMqtt != null) {
                runningMqtt.close();
            }
        }
    }

    /** For a JVM that ends without the test run's end being signalled (e.g. a test class run by hand). */
    private static void addStopHook() {
        if (!stopHookAdded) {
            stopHookAdded = true;
            Runtime.getRuntime().addShutdownHook(new Thread(SharedBrokers::stopAll, "shared-brokers-stop"));
        }
    }

    /** A name no other test in this JVM uses: {@code prefix-<n>-<random>}, legal in MQTT and Kafka. */
    public static synchronized String unique(String prefix) {
        return prefix + "-" + (++counter) + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
    }
}
