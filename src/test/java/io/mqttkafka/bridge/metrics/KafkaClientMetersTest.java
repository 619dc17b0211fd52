package io.mqttkafka.bridge.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.testing.FreePorts;

/**
 * Closing the bindings removes the clients' meters for good and ends their refresh threads. Before, a refresh thread
 * handed to Micrometer outlived {@code close()} and bound the removed meters again on its next round: a stopped bridge's
 * Kafka clients stayed on {@code /q/metrics} (seen after a {@code @QuarkusTest} restart) and one thread per client leaked.
 * A producer has its metrics as soon as it is built, so no broker is needed (nothing listens on the port).
 */
class KafkaClientMetersTest {

    private static final Duration REFRESH = Duration.ofMillis(50);

    @Test
    void closedBindingsLeaveNoMeterAndNoThreadBehind() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        KafkaClientMeters meters = new KafkaClientMeters(registry, REFRESH);
        long threadsBefore = refreshThreads();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + FreePorts.next(),
                ProducerConfig.CLIENT_ID_CONFIG, "meters-test"), new ByteArraySerializer(), new ByteArraySerializer())) {
            meters.bind(producer);
            Awaitility.await("the producer's meters bound").atMost(Duration.ofSeconds(10))
                    .until(() -> kafkaMeters(registry) > 0);
            assertThat(refreshThreads()).isEqualTo(threadsBefore + 1);

            meters.close();
            assertThat(kafkaMeters(registry)).as("removed at close").isZero();
            // Ten refresh periods: a refresher still running would have bound them again by then.
            Awaitility.await("nothing bound again").pollDelay(REFRESH).during(REFRESH.multipliedBy(10))
                    .atMost(Duration.ofSeconds(5)).until(() -> kafkaMeters(registry) == 0);
            assertThat(refreshThreads()).as("the refresh thread ended").isEqualTo(threadsBefore);
            assertThat(meters.boundClients()).isZero();
        }
    }

    private static long kafkaMeters(SimpleMeterRegistry registry) {
        return registry.getMeters().stream().filter(meter -> meter.getId().getName().startsWith("kafka.")).count();
    }

    private static long refreshThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.isAlive() && thread.getName().equals("kafka-client-meters")).count();
    }
}
