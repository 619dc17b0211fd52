package io.mqttkafka.bridge.config;

/**
 * Where the brokers are. Normally straight from the configuration; dev mode replaces it with the
 * addresses of the embedded brokers it started.
 */
public record Endpoints(String mqttHost, int mqttPort, String kafkaBootstrapServers) {

    public static Endpoints from(BridgeConfig config) {
        return new Endpoints(config.mqtt().host(), config.mqtt().port(), config.kafka().bootstrapServers());
    }
}
