package io.mqttkafka.bridge.mapping;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves an incoming MQTT topic to every MQTT → Kafka route it belongs to.
 *
 * <p>Every matching route yields its own {@link RouteTarget}, in declaration order, even when two routes
 * render the same Kafka topic: overlapping routes are an explicit configuration choice and silently
 * collapsing them would lose data for the second route.
 *
 * <p>Routing is a linear scan (fine for the handful of routes a bridge has) followed by rendering. The
 * rendered result depends only on the topic, so it is cached per topic in a bounded, thread-safe map
 * that simply stops accepting new topics once full: no eviction bookkeeping on the hot path, and a
 * high-cardinality topic space degrades to plain rendering instead of growing memory. Topics that match
 * no route are not cached (their scan allocates nothing anyway).
 *
 * <p>Immutable apart from the cache; thread-safe.
 */
public final class RouteTable {

    /** Default number of distinct topics whose targets are cached. */
    public static final int DEFAULT_CACHE_SIZE = 10_000;

    private final List<MqttToKafkaRoute> routes;
    private final MqttToKafkaRoute[] routeArray;
    private final int maxCachedTopics;
    private final ConcurrentHashMap<String, List<RouteTarget>> cache;

    /**
     * Builds a table with a cache of {@link #DEFAULT_CACHE_SIZE} topics.
     *
     * @param routes the routes in declaration order; names must be unique
     * @throws IllegalArgumentException when two routes share a name
     */
    public RouteTable(List<MqttToKafkaRoute> routes) {
        this(routes, DEFAULT_CACHE_SIZE);
    }

    /**
     * Builds a table.
     *
     * @param routes the routes in declaration order; names must be unique
     * @param maxCachedTopics how many distinct topics to cache; 0 disables the cache. The bound is
     *     approximate under concurrency: it may be exceeded by at most the number of routing threads.
     * @throws IllegalArgumentException when two routes share a name or {@code maxCachedTopics} is negative
     */
    public RouteTable(List<MqttToKafkaRoute> routes, int maxCachedTopics) {
        Objects.requireNonNull(routes, "routes must not be null");
        if (maxCachedTopics < 0) {
            throw new IllegalArgumentException("maxCachedTopics must not be negative, but was " + maxCachedTopics);
        }
        this.routes = List.copyOf(routes);
        Set<String> names = new HashSet<>();
        for (MqttToKafkaRoute route : this.routes) {
            if (!names.add(route.name())) {
                throw new IllegalArgumentException("duplicate route name '" + route.name() + "'");
            }
        }
        this.routeArray = this.routes.toArray(MqttToKafkaRoute[]::new);
        this.maxCachedTopics = maxCachedTopics;
        this.cache = maxCachedTopics == 0 ? null : new ConcurrentHashMap<>();
    }

    /**
     * The routes in declaration order, e.g. to subscribe to each filter.
     *
     * @return an immutable list
     */
    public List<MqttToKafkaRoute> routes() {
        return routes;
    }

    /**
     * The pairs of distinct subscription filters that overlap ({@link TopicFilter#overlaps}), each as
     * {@code 'a/o/+' and 'a/#'}, in declaration order. A broker that sends a message once per matching subscription
     * (MQTT 5 §3.3.4 allows it) makes the bridge write such a message once per copy to every matching route; routes
     * with the same filter share one subscription and are not listed.
     *
     * @return an immutable list, empty when no two subscriptions overlap
     */
    public List<String> overlappingSubscriptions() {
        Map<String, TopicFilter> distinct = new LinkedHashMap<>();
        for (MqttToKafkaRoute route : routes) {
            distinct.putIfAbsent(route.filter().subscriptionFilter(), route.filter());
        }
        List<TopicFilter> filters = List.copyOf(distinct.values());
        List<String> overlaps = new ArrayList<>();
        for (int i = 0; i < filters.size(); i++) {
            for (int j = i + 1; j < filters.size(); j++) {
                if (filters.get(i).overlaps(filters.get(j))) {
                    overlaps.add("'" + filters.get(i).subscriptionFilter() + "' and '"
                            + filters.get(j).subscriptionFilter() + "'");
                }
            }
        }
        return List.copyOf(overlaps);
    }

    /**
     * One target per route whose filter matches {@code mqttTopic}, in declaration order.
     *
     * @param mqttTopic the topic of a received MQTT message, not null
     * @return an immutable list; {@code List.of()} (no allocation) when no route matches
     */
    public List<RouteTarget> route(String mqttTopic) {
        Objects.requireNonNull(mqttTopic, "mqttTopic must not be null");
        if (cache != null) {
            List<RouteTarget> cached = cache.get(mqttTopic);
            if (cached != null) {
                return cached;
            }
        }
        List<RouteTarget> targets = compute(mqttTopic);
        if (cache != null && !targets.isEmpty() && cache.size() < maxCachedTopics) {
            List<RouteTarget> raced = cache.putIfAbsent(mqttTopic, targets);
            if (raced != null) {
                return raced;
            }
        }
        return targets;
    }

    /**
     * As {@link #route(String)}, narrowed to the routes whose subscription filter is one of {@code deliveredFor}: the
     * subscriptions a copy of the message was delivered for (MQTT 5 subscription identifiers). A broker that sends one
     * copy per matching subscription then has each copy written by the mapping it was sent for, so overlapping
     * mappings write a message once each. Empty {@code deliveredFor}, or one naming no matching route, routes by topic
     * alone: never fewer targets than that.
     */
    public List<RouteTarget> route(String mqttTopic, Set<String> deliveredFor) {
        List<RouteTarget> byTopic = route(mqttTopic);
        if (deliveredFor.isEmpty() || byTopic.size() < 2) {
            return byTopic;
        }
        List<RouteTarget> narrowed = byTopic.stream()
                .filter(target -> deliveredFor.contains(target.route().filter().subscriptionFilter()))
                .toList();
        return narrowed.isEmpty() ? byTopic : narrowed;
    }

    private List<RouteTarget> compute(String mqttTopic) {
        RouteTarget first = null;
        List<RouteTarget> more = null;
        for (MqttToKafkaRoute route : routeArray) {
            Optional<TopicMatch> match = route.filter().match(mqttTopic);
            if (match.isEmpty()) {
                continue;
            }
            RouteTarget target = route.target(match.get());
            if (first == null) {
                first = target;
            } else {
                if (more == null) {
                    more = new ArrayList<>(routeArray.length);
                    more.add(first);
                }
                more.add(target);
            }
        }
        if (first == null) {
            return List.of();
        }
        return more == null ? List.of(first) : List.copyOf(more);
    }

    /**
     * Number of topics currently cached, for metrics and tests.
     *
     * @return the cache size, 0 when caching is disabled
     */
    public int cachedTopicCount() {
        return cache == null ? 0 : cache.size();
    }

    @Override
    public String toString() {
        return "RouteTable" + routes;
    }
}
