package io.mqttkafka.bridge.mapping;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Kafka → MQTT routes that share one consumer group, and so one consumer: it subscribes to the
 * union of their topics, and each record goes to every route whose topic selector matches it.
 *
 * <p>Thread-safe; the per-topic lookup is cached (a consumer sees a bounded set of topics).
 */
public final class KafkaToMqttRouteGroup {

    private final String groupId;
    private final List<KafkaToMqttRoute> routes;
    private final KafkaTopicSelector.Subscription subscription;
    private final Map<String, List<KafkaToMqttRoute>> routesByTopic = new ConcurrentHashMap<>();

    public KafkaToMqttRouteGroup(String groupId, List<KafkaToMqttRoute> routes) {
        if (routes.isEmpty()) {
            throw new IllegalArgumentException("group '" + groupId + "' has no routes");
        }
        for (KafkaToMqttRoute route : routes) {
            if (!route.groupId().equals(groupId)) {
                throw new IllegalArgumentException("route '" + route.name() + "' belongs to group '" + route.groupId()
                        + "', not '" + groupId + "'");
            }
        }
        this.groupId = groupId;
        this.routes = List.copyOf(routes);
        this.subscription = KafkaTopicSelector.union(routes.stream().map(KafkaToMqttRoute::source).toList());
    }

    /** Splits routes by group id, keeping the order in which groups first appear. */
    public static List<KafkaToMqttRouteGroup> byGroup(List<KafkaToMqttRoute> routes) {
        Map<String, List<KafkaToMqttRoute>> grouped = new LinkedHashMap<>();
        for (KafkaToMqttRoute route : routes) {
            grouped.computeIfAbsent(route.groupId(), id -> new ArrayList<>()).add(route);
        }
        List<KafkaToMqttRouteGroup> groups = new ArrayList<>();
        grouped.forEach((id, members) -> groups.add(new KafkaToMqttRouteGroup(id, members)));
        return groups;
    }

    public String groupId() {
        return groupId;
    }

    public List<KafkaToMqttRoute> routes() {
        return routes;
    }

    public KafkaTopicSelector.Subscription subscription() {
        return subscription;
    }

    /** The routes a record of {@code kafkaTopic} goes to, in declaration order; empty when none. */
    public List<KafkaToMqttRoute> routesFor(String kafkaTopic) {
        return routesByTopic.computeIfAbsent(kafkaTopic,
                topic -> routes.stream().filter(route -> route.source().matches(topic)).toList());
    }
}
