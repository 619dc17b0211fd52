package io.mqttkafka.bridge.metrics;

import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.BridgeService;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * What the dashboard and the alerts need beside the traffic meters, as gauges read on each scrape:
 * <ul>
 * <li>{@code bridge_ready}: 1 while {@code /q/health/ready} is up (both brokers reachable, MQTT subscribed, no
 * direction stalled), else 0. A probe result is seen by the orchestrator only; this lets Prometheus keep the history
 * per replica and alert on a replica that stays not ready.</li>
 * <li>{@code bridge_live}: 1 while {@code /q/health/live} is up (no direction stopped for good), else 0.</li>
 * <li>{@code bridge_mqtt_receive_maximum}: {@code bridge.mqtt.receive-maximum}, MQTT 5 only, the bound of the MQTT →
 * Kafka messages in flight, so that an alert can tell when they sit at it.</li>
 * </ul>
 * Ready and live follow the same predicates as {@code BridgeHealthChecks}; before the bridge started both are 0.
 */
@ApplicationScoped
public class StateGauges {

    @Inject
    BridgeService service;

    @Inject
    BridgeConfig config;

    @Inject
    MeterRegistry registry;

    /** Removed at shutdown: the registry outlives the application in dev mode and tests (see BridgeMetrics#close). */
    private final List<Meter> registered = new ArrayList<>();

    void register(@Observes StartupEvent event) {
        registered.add(Gauge.builder("bridge.ready", this, gauges -> gauges.ready() ? 1 : 0)
                .description("1 while /q/health/ready is up: both brokers reachable, MQTT subscribed, no direction stalled")
                .register(registry));
        registered.add(Gauge.builder("bridge.live", this, gauges -> gauges.live() ? 1 : 0)
                .description("1 while /q/health/live is up: no direction stopped for good")
                .register(registry));
        if (config.mqtt().protocolVersion() == 5) {
            int receiveMaximum = config.mqtt().receiveMaximum();
            registered.add(Gauge.builder("bridge.mqtt.receive.maximum", () -> receiveMaximum)
                    .description("bridge.mqtt.receive-maximum: most unacknowledged QoS 1/2 messages the broker may send")
                    .register(registry));
        }
    }

    void unregister(@Observes ShutdownEvent event) {
        registered.forEach(registry::remove);
        registered.clear();
    }

    private boolean ready() {
        BridgeRuntime runtime = service.runtime();
        return runtime != null && runtime.isReady() && runtime.isKafkaReachable() && runtime.stalledDirections().isEmpty();
    }

    private boolean live() {
        BridgeRuntime runtime = service.runtime();
        return runtime != null && runtime.isAlive();
    }
}
