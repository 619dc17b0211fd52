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
