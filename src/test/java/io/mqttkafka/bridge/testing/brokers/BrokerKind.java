package io.mqttkafka.bridge.testing.brokers;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One broker of the matrix: how to start it, which MQTT versions it speaks, and what it does differently, as data
 * the scenarios read (and docs/brokers.md states). Adding a broker to the matrix is adding one of these to
 * {@link BrokerMatrix#KINDS}.
 *
 * @param id           short name, e.g. "mosquitto-2.0.11": what the benchmark's {@code bench.brokers} option names
 * @param name         product and version as the test names show it, e.g. "Mosquitto 2.0.21"
 * @param protocols    the MQTT versions the bridge is tested with against it (5, 3)
 * @param maxQos       the highest QoS it grants a subscription and accepts from a publisher
 * @param limits       scenarios it cannot pass, with the reason (reported as skipped, never silently): keyed by the
 *                     scenario's name for every MQTT version, or {@code NAME/5}, {@code NAME/3} for one
 * @param quirks       behaviours where it differs from the others and the scenarios expect what it does
 * @param bridgeSettings bridge keys the matrix sets against it (what docs/brokers.md calls "works with a setting")
 * @param unavailable  why it cannot run on this machine (not installed, with how to install it), or empty
 * @param start        starts a fresh instance on a free loopback port
 */
public record BrokerKind(String id, String name, List<Integer> protocols, int maxQos, Map<String, String> limits,
        Set<Quirk> quirks, Map<String, String> bridgeSettings, Supplier<Optional<String>> unavailable,
        Supplier<MatrixBroker> start) {

    /** The behaviours every broker is put through. */
    public enum Scenario {
        QOS_DELIVERY, PERSISTENT_SESSION, RETAINED, SHARED_SUBSCRIPTION, OVERLAPPING_MAPPINGS, LOOP_GUARD,
        BROKER_RESTART
    }

    /** Why {@code scenario} cannot pass against this broker with MQTT {@code protocol}, or empty. */
    public Optional<String> limit(Scenario scenario, int protocol) {
        String specific = limits.get(scenario.name() + "/" + protocol);
        return Optional.ofNullable(specific != null ? specific : limits.get(scenario.name()));
    }

    /** Where a broker differs, and the matrix expects what it does (docs/brokers.md says what it means for users). */
    public enum Quirk {
        /**
         * MQTT 5: a message matching several subscriptions of the bridge is sent once per subscription (allowed by
         * MQTT 5 §3.3.4); each copy carries the identifier of its subscription, so the bridge writes it once per
         * mapping (README, "Overlapping mappings").
         */
        COPY_PER_SUBSCRIPTION_5,
        /**
         * MQTT 5, with {@link #COPY_PER_SUBSCRIPTION_5}: every copy carries the identifiers of <em>all</em> matching
         * subscriptions, against MQTT 5 §3.3.4 (each of several copies must carry the identifier of its own
         * subscription), so the copies cannot be told apart and each mapping writes every copy.
         */
        EVERY_IDENTIFIER_ON_EVERY_COPY_5,
        /** The copies with MQTT 3.1.1 (which leaves it to the broker, 3.1.1 §3.3.5): nothing tells them apart. */
        COPY_PER_SUBSCRIPTION_3,
        /**
         * MQTT 3.1.1: of QoS 2 messages queued for a client the broker sends only about its in-flight limit and keeps the
         * rest queued (Mosquitto 2.0.11, docs/brokers.md note 8), so a burst of QoS 2 towards an MQTT 3.1.1 client
         * arrives only in part, by timing.
         */
        QOS2_STALLS_TOWARDS_MQTT3;

        /** The copy-per-subscription quirk for {@code protocol}. */
        public static Quirk copyPerSubscription(int protocol) {
            return protocol == 5 ? COPY_PER_SUBSCRIPTION_5 : COPY_PER_SUBSCRIPTION_3;
        }
    }

    public boolean speaks(int protocol) {
        return protocols.contains(protocol);
    }

    @Override
    public String toString() {
        return name;
    }
}
