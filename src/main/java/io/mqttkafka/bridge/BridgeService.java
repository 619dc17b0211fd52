package io.mqttkafka.bridge;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import io.micrometer.core.instrument.MeterRegistry;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.Endpoints;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * Runs the bridge for the lifetime of the Quarkus application. A configuration error thrown here fails
 * startup, with the validator's message naming every bad key.
 */
@ApplicationScoped
public class BridgeService {

    /** Observers with a lower priority (e.g. embedded dev brokers) run first. */
    public static final int STARTUP_PRIORITY = 1000;

    @Inject
    BridgeConfig config;

    @Inject
    MeterRegistry registry;

    /** Resolvable only in dev mode, where embedded brokers stand in for the configured ones. */
    @Inject
    Instance<Endpoints> embeddedEndpoints;

    private volatile BridgeRuntime runtime;

    void onStart(@Observes @Priority(STARTUP_PRIORITY) StartupEvent event) {
        Endpoints endpoints = embeddedEndpoints.isResolvable() ? embeddedEndpoints.get() : Endpoints.from(config);
        runtime = BridgeRuntime.started(config, endpoints, registry);
    }

    void onStop(@Observes ShutdownEvent event) {
        BridgeRuntime running = runtime;
        if (running != null) {
            runtime = null;
            running.close();
        }
    }

    /** The running bridge, or null before startup and after shutdown. */
    public BridgeRuntime runtime() {
        return runtime;
    }
}
