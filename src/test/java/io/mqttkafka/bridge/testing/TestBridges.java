package io.mqttkafka.bridge.testing;

import java.time.Duration;

import org.awaitility.Awaitility;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;

/** Starts bridges in the test JVM, the way {@code BridgeService} does inside Quarkus. */
public final class TestBridges {

    private TestBridges() {
    }

    /** Starts a bridge and waits until it is connected and subscribed, so nothing published after is missed. */
    public static BridgeRuntime start(BridgeConfig config) {
        return start(config, new SimpleMeterRegistry());
    }

    /** As {@link #start(BridgeConfig)}, with the bridge's meters in {@code registry}. */
    public static BridgeRuntime start(BridgeConfig config, MeterRegistry registry) {
        BridgeRuntime bridge = new BridgeRuntime(config, registry);
        bridge.start();
        Awaitility.await("bridge connected and subscribed").atMost(Duration.ofSeconds(60)).until(bridge::isReady);
        return bridge;
    }
}
