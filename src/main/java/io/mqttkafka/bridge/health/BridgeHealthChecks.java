package io.mqttkafka.bridge.health;

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
 * Readiness is down while either broker is unreachable (the bridge keeps retrying and heals by itself, so
 * an orchestrator should stop routing to it, not restart it); liveness is down only when a pipeline thread
 * died, which a restart fixes.
 */
@ApplicationScoped
public class BridgeHealthChecks {

    @Inject
    BridgeService service;

    @Readiness
    HealthCheck mqtt() {
        return () -> check("mqtt", BridgeRuntime::isReady, "connected and subscribed", "not connected or not subscribed");
    }

    @Readiness
    HealthCheck kafka() {
        return () -> check("kafka", BridgeRuntime::isKafkaReachable, "cluster reachable", "cluster unreachable");
    }

    /** Down when a direction stopped for good; its data names each stopped direction with the reason. */
    @Liveness
    HealthCheck pipelines() {
        return () -> {
            BridgeRuntime runtime = service.runtime();
            if (runtime == null) {
                return HealthCheckResponse.named("pipelines").down().withData("state", "not started").build();
            }
            boolean alive = runtime.isAlive();
            HealthCheckResponseBuilder response = HealthCheckResponse.named("pipelines").status(alive)
                    .withData("state", alive ? "running" : "stopped");
            runtime.stoppedDirections().forEach(response::withData);
            return response.build();
        };
    }

    private HealthCheckResponse check(String name, java.util.function.Predicate<BridgeRuntime> test, String up,
            String down) {
        BridgeRuntime runtime = service.runtime();
        if (runtime == null) {
            return HealthCheckResponse.named(name).down().withData("state", "not started").build();
        }
        boolean ok = test.test(runtime);
        return HealthCheckResponse.named(name).status(ok).withData("state", ok ? up : down).build();
    }
}
