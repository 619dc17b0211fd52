package io.mqttkafka.bridge.config;

import java.net.InetAddress;

/** The MQTT client id of a replica: {@code bridge.mqtt.client-id}, or {@code <bridge.id>-<host name>}. */
public final class ClientIds {

    private ClientIds() {
    }

    /**
     * The subscriber's client id, configured or derived; the other connections append a suffix to it. The host name
     * comes from {@code HOSTNAME} (a Kubernetes pod name), else from the local host's name.
     */
    public static String of(BridgeConfig config) {
        return config.mqtt().clientId().orElseGet(() -> config.id() + "-" + hostName());
    }

    /**
     * The start of the transactional id of this replica's exactly-once producer: {@code bridge.kafka.transactional-id-prefix},
     * or the MQTT client id, which is unique per replica and stable across its restarts, as a transactional id must be.
     */
    public static String transactionalIdPrefix(BridgeConfig config) {
        return config.kafka().transactionalIdPrefix().orElseGet(() -> of(config));
    }

    private static String hostName() {
        String fromEnvironment = System.getenv("HOSTNAME");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return fromEnvironment;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }
}
