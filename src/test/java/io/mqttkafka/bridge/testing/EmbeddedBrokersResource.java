package io.mqttkafka.bridge.testing;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Points a {@code @QuarkusTest} application at the shared embedded brokers. Everything else comes from
 * the shipped {@code config/application.yaml}, so these tests also run the example configuration.
 */
public class EmbeddedBrokersResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return Map.of(
                "bridge.mqtt.host", "127.0.0.1",
                "bridge.mqtt.port", Integer.toString(SharedBrokers.mqtt().port()),
                "bridge.mqtt.client-id", SharedBrokers.unique("quarkus-bridge"),
                "bridge.kafka.bootstrap-servers", SharedBrokers.kafka().bootstrapServers());
    }

    @Override
    public void stop() {
        // The brokers are shared with the other tests of this JVM and stop when it exits.
    }
}
