package io.mqttkafka.bridge;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import java.util.List;
import java.util.Optional;

import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.ConfigValue;

import io.micrometer.core.instrument.MeterRegistry;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.ConfigValidationException;
import io.mqttkafka.bridge.config.Endpoints;
import io.mqttkafka.bridge.mqtt.MqttTls;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.tls.TlsConfiguration;
import io.quarkus.tls.TlsConfigurationRegistry;
import io.vertx.core.Vertx;

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

    @Inject
    TlsConfigurationRegistry tlsRegistry;

    @Inject
    Vertx vertx;

    private volatile BridgeRuntime runtime;

    void onStart(@Observes @Priority(STARTUP_PRIORITY) StartupEvent event) {
        Endpoints endpoints = embeddedEndpoints.isResolvable() ? embeddedEndpoints.get() : Endpoints.from(config);
        runtime = BridgeRuntime.started(config, endpoints, registry, this::namedTls);
    }

    /** The TLS configuration {@code quarkus.tls.<name>.*} as the MQTT connections use it. */
    private MqttTls namedTls(String name) {
        TlsConfiguration tls = tlsRegistry.get(name).orElseThrow(() -> new ConfigValidationException(List.of(
                "bridge.mqtt.tls-configuration-name: no TLS configuration named '" + name + "'; define it with "
                        + "quarkus.tls." + name + ".trust-store.* (and key-store.* for mutual TLS)")));
        // Quarkus fills in TLS 1.3 alone when protocols are not set; the bridge offers 1.2 too then (MqttTls), so it
        // must know whether the user chose them. The mapping's default comes from the lowest-ordinal source.
        String key = "quarkus.tls." + quoted(name) + ".protocols";
        ConfigValue value = ConfigProvider.getConfig().getConfigValue(key);
        Optional<List<String>> protocols = value.getValue() != null && value.getSourceOrdinal() > Integer.MIN_VALUE
                ? ConfigProvider.getConfig().getOptionalValues(key, String.class)
                : Optional.empty();
        return MqttTls.of(tls, vertx, protocols);
    }

    /** A TLS configuration name as one level of a configuration key (quoted when it contains a dot). */
    private static String quoted(String name) {
        return name.contains(".") ? "\"" + name + "\"" : name;
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
