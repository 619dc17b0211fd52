package io.mqttkafka.bridge.kafka;

import java.util.Map;
import java.util.Set;

/**
 * The user's Kafka properties ({@code bridge.kafka.properties}) are one map for every client the bridge makes. Each
 * client gets only the keys it knows, since Kafka logs a warning for every key a client does not use, plus the
 * config-provider keys ({@code config.providers}, {@code config.providers.<name>.class},
 * {@code config.providers.<name>.param.<param>}): every client resolves {@code ${provider:path:key}} references with
 * them, yet none of them is among a client's config names, so filtering by names alone left a secret reference
 * unresolved in the consumer and admin client (and their logins failing) while the producers, which get the whole
 * map, worked.
 */
final class ClientProperties {

    private static final String CONFIG_PROVIDERS = "config.providers";

    private ClientProperties() {
    }

    /** Whether a client whose config names are {@code clientConfigNames} should get {@code key}. */
    static boolean belongsTo(String key, Set<String> clientConfigNames) {
        return clientConfigNames.contains(key) || key.equals(CONFIG_PROVIDERS) || key.startsWith(CONFIG_PROVIDERS + ".");
    }

    /** Removes from {@code settings} every key that does not {@link #belongsTo} such a client; returns it. */
    static <V> Map<String, V> retainFor(Map<String, V> settings, Set<String> clientConfigNames) {
        settings.keySet().removeIf(key -> !belongsTo(key, clientConfigNames));
        return settings;
    }
}
