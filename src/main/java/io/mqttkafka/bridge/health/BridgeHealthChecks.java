package io.mqttkafka.bridge.health;

import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.BridgeService;

/**
 * Health of the running bridge, served by Quarkus at {@code /q/health/ready} and {@code /q/health/live}.
 * Readiness is down while either broker is unreachable, or while a direction waits longer than
 * {@code bridge.stall-timeout} for a message (the bridge keeps retrying and heals by itself, so an orchestrator should
 * stop routing to it, not restart it); liveness is down when a direction stopped for good (a pipeline thread died, a
 * {@code fail} strategy, a dead letter that cannot be written), which a restart, or the operator it alerts, fixes.
 */
@ApplicationScoped
public class BridgeHealthChecks {

    @Inject
    BridgeService service;

    @Readiness
    HealthCheck mqtt() {
        return () -> check("mqtt", BridgeRuntime::isReady, "connected and subscribed", "not connected or not subscribed",
                runtime -> Map.of());
    }

    @Readiness
    HealthCheck kafka() {
        return () -> check("kafka", BridgeRuntime::isKafkaReachable, "cluster reachable", "cluster unreachable",
                runtime -> Map.of());
    }

    /** Down while a direction is stalled; its data names each with what waits. */
    @Readiness
    HealthCheck progress() {
        return () -> check("progress", runtime -> runtime.stalledDirections().isEmpty(), "making progress", "stalled",
                BridgeRuntime::stalledDirections);
    }

    /** Down when a direction stopped for good; its data names each stopped direction with the reason. */
    @Liveness
    HealthCheck pipelines() {
        return () -> check("pipelines", BridgeRuntime::isAlive, "running", "stopped", BridgeRuntime::stoppedDirections);
    }

    private HealthCheckResponse check(String name, Predicate<BridgeRuntime> test, String up, String down,
            Function<BridgeRuntime, Map<String, String>> details) {
        BridgeRuntime runtime = service.runtime();
        if (runtime == null) {
            return HealthCheckResponse.named(name).down().withData("state", "not started").build();
        }
        boolean ok = test.test(runtime);
        HealthCheckResponseBuilder response = HealthCheckResponse.named(name).status(ok).withData("state", ok ? up : down);
        details.apply(runtime).forEach(response::withData);
        return response.build();
    }
}
