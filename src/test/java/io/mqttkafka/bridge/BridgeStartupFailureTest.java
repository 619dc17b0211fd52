package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.apache.kafka.common.KafkaException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.Endpoints;
import io.mqttkafka.bridge.testing.FreePorts;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Kafka checks its properties only when a client is created, and not every client knows or accepts every key, so a
 * bad property can fail startup after some clients already run. What was created by then is closed before the
 * failure is rethrown: no client or bridge thread outlives a failed startup (a Quarkus app that fails to start, or
 * a test that builds bridges, would otherwise keep them).
 */
class BridgeStartupFailureTest {

    /** Thread names the bridge gives its own threads; Kafka's client threads carry the client id. */
    private static final List<String> BRIDGE_THREADS = List.of("kafka-cluster-probe", "dead-letter-", "mqtt-to-kafka-",
            "kafka-to-mqtt-", "kafka-topic-metadata");

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
            // The idempotent (QoS 1/2) producer refuses it; the QoS 0 producer, made first, takes it.
            "max.in.flight.requests.per.connection, 6,                  idempotent producer",
            // Producers ignore this Admin key; the Admin client refuses it beside bootstrap.servers.
            "bootstrap.controllers,                 127.0.0.1:9093,     bootstrap.controllers",
            // Only consumers know it, and they are made on their poll threads: checked before anything starts.
            "fetch.min.bytes,                       abc,                'Invalid value abc for configuration fetch.min.bytes'",
    })
    void aKafkaPropertyThatOneClientRefusesLeavesNoThreadBehind(String key, String value, String messagePart) {
        String clientId = SharedBrokers.unique("failed-start");
        BridgeConfig config = config(clientId).set("bridge.kafka.properties." + key, value).build();
        Set<Thread> before = Thread.getAllStackTraces().keySet();

        assertThatThrownBy(() -> new BridgeRuntime(config, new SimpleMeterRegistry()))
                .isInstanceOf(KafkaException.class)
                .satisfies(failure -> assertThat(messages(failure)).contains(messagePart));

        awaitNoThreadLeft(before, clientId);
    }

    /**
     * start() fails after it started the Kafka probe: the MQTT client refuses a client id with a character MQTT
     * forbids (U+0000) only when start() builds it.
     */
    @Test
    void aFailureInStartStopsWhatStartedAndClosesTheClients() {
        String clientId = SharedBrokers.unique("failed-start");
        // A status topic without {client-id}: with it, the validator already refuses the U+0000 (in the topic).
        BridgeConfig config = config(clientId + "\u0000").set("bridge.status.topic", "status/{id}").build();
        Set<Thread> before = Thread.getAllStackTraces().keySet();

        assertThatThrownBy(() -> BridgeRuntime.started(config, Endpoints.from(config), new SimpleMeterRegistry()))
                .isInstanceOf(IllegalArgumentException.class);

        awaitNoThreadLeft(before, clientId);
    }

    private static TestConfigs config(String clientId) {
        return TestConfigs.empty()
                .set("bridge.id", "failed-start")
                .set("bridge.mqtt.host", "127.0.0.1")
                .set("bridge.mqtt.port", Integer.toString(FreePorts.next()))
                .set("bridge.mqtt.client-id", clientId)
                .set("bridge.kafka.bootstrap-servers", "127.0.0.1:" + FreePorts.next())
                .mapping("in", "sensors/+", 1, "readings", null)
                .reverseMapping("out", "commands", "devices/{key}", 1, false, null);
    }

    private static void awaitNoThreadLeft(Set<Thread> before, String clientId) {
        Awaitility.await("no client or bridge thread left running").atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                        .filteredOn(thread -> !before.contains(thread) && thread.isAlive())
                        .extracting(Thread::getName)
                        .noneMatch(name -> name.contains(clientId) || BRIDGE_THREADS.stream().anyMatch(name::startsWith)));
    }

    private static String messages(Throwable failure) {
        StringBuilder messages = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            messages.append(cause.getMessage()).append('\n');
        }
        return messages.toString();
    }
}
