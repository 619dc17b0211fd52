package io.mqttkafka.bridge.metrics;

import static io.mqttkafka.bridge.testing.PrometheusMetrics.samples;
import static io.mqttkafka.bridge.testing.PrometheusMetrics.sumIn;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;

/**
 * A registry can outlive a runtime (Quarkus dev-mode reloads and {@code @QuarkusTest} restarts share the global
 * registry): Micrometer hands back an existing meter for the same name and tags, so a gauge left behind by a stopped
 * runtime would go on reading that runtime's state (a connection that reads "disconnected" for ever).
 */
class BridgeMetricsLifecycleTest {

    @Test
    void aClosedRuntimesMetersLeaveTheRegistryAndTheNextRuntimeReportsItsOwnState() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        BridgeMetrics stopped = new BridgeMetrics(registry);
        stopped.mqttConnection("subscriber", () -> false, () -> 7, () -> false);
        stopped.gauge("bridge.test.gauge", "test", () -> 1);
        stopped.received(1);
        stopped.mqttToKafkaLatency("m", 1, 1_000_000);
        stopped.close();
        assertThat(samples(registry.scrape(), "bridge_")).as("nothing of the stopped runtime left").isEmpty();
        assertThat(stopped.receivedCount(1)).as("its meters still count for whoever holds them").isEqualTo(1);

        BridgeMetrics running = new BridgeMetrics(registry);
        running.mqttConnection("subscriber", () -> true, () -> 0, () -> true);
        running.gauge("bridge.test.gauge", "test", () -> 2);
        running.received(1);
        String scraped = registry.scrape();
        assertThat(sumIn(scraped, "bridge_mqtt_connected", "connection=\"subscriber\"")).isEqualTo(1);
        assertThat(sumIn(scraped, "bridge_mqtt_reconnects_total", "connection=\"subscriber\"")).isZero();
        assertThat(sumIn(scraped, "bridge_mqtt_session_present", "connection=\"subscriber\"")).isEqualTo(1);
        assertThat(sumIn(scraped, "bridge_test_gauge")).isEqualTo(2);
        assertThat(sumIn(scraped, "bridge_mqtt_messages_received_total", "qos=\"1\"")).isEqualTo(1);
    }
}
