package io.mqttkafka.bridge.testing.brokers;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import com.hivemq.embedded.EmbeddedHiveMQ;

import io.mqttkafka.bridge.dev.EmbeddedMqttBroker;
import io.mqttkafka.bridge.testing.FreePorts;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.brokers.BrokerKind.Quirk;
import io.mqttkafka.bridge.testing.brokers.BrokerKind.Scenario;

/**
 * The brokers of the matrix ({@code BrokerMatrixTest}, docs/brokers.md), one {@link BrokerKind} each, and their
 * running instances: each is started on first use, shared by the scenarios, and stopped by {@link #closeAll()}.
 *
 * <p>A broker that is not installed is reported as skipped, with its reason and how to install it, except under
 * {@code CI=true}, whose script installs every one of them: there it fails instead, so CI never skips it silently.
 */
public final class BrokerMatrix {

    /** The {@link BrokerKind#id()} of Debian 12's own Mosquitto ({@link MosquittoProcess#DEBIAN_12_EXECUTABLE}). */
    public static final String DEBIAN_12_MOSQUITTO = "mosquitto-2.0.11";
    /**
     * Debian 12's Mosquitto runs as a user of that package would: its default in-flight settings (20 towards each
     * client), persistence on (as the package's configuration has it), and a queue per client larger than any backlog
     * here, as note 3 of docs/brokers.md advises (its default, 1000, drops beyond it; the benchmark's bursts need more).
     */
    private static final String DEBIAN_12_MOSQUITTO_CONFIG = "max_queued_messages 10000000\n";

    /** docs/brokers.md, note 8. */
    private static final String MOSQUITTO_2011_QOS2_BACKLOG = "Mosquitto 2.0.11 sends an MQTT 3.1.1 client only about"
            + " max_inflight_messages (20) of a QoS 2 backlog and keeps the rest queued for good: of 50 QoS 2 messages"
            + " queued in the bridge's resumed session 20 reached Kafka (two runs), of 50 Kafka records the bridge"
            + " published in a burst the test's 3.1.1 subscriber got 21 (one run); QoS 1 and MQTT 5 pass";
    private static final String RABBITMQ_SHARED = "RabbitMQ 3.10 has no shared subscriptions: it accepts a $share/"
            + " filter as a plain topic filter (SUBACK success), so nothing published to the topic arrives";

    /** Every broker of the matrix; adding one is adding an entry here. */
    public static final List<BrokerKind> KINDS = List.of(
            new BrokerKind("hivemq", "HiveMQ CE " + EmbeddedHiveMQ.class.getPackage().getImplementationVersion(),
                    List.of(5, 3), 2, Map.of(), Set.of(), Map.of(),
                    Optional::empty, BrokerMatrix::hivemq),
            new BrokerKind("mosquitto", mosquittoName(),
                    List.of(5, 3), 2, Map.of(), Set.of(Quirk.COPY_PER_SUBSCRIPTION_5), Map.of(),
                    BrokerMatrix::mosquittoUnavailable, () -> MosquittoProcess.startPersistent("")),
            new BrokerKind(DEBIAN_12_MOSQUITTO, debian12MosquittoName(),
                    List.of(5, 3), 2, Map.of(Scenario.PERSISTENT_SESSION.name() + "/3", MOSQUITTO_2011_QOS2_BACKLOG),
                    Set.of(Quirk.COPY_PER_SUBSCRIPTION_5, Quirk.QOS2_STALLS_TOWARDS_MQTT3), Map.of(),
                    BrokerMatrix::debian12MosquittoUnavailable, BrokerMatrix::debian12Mosquitto),
            new BrokerKind("artemis", "ActiveMQ Artemis " + ArtemisProcess.version(),
                    List.of(5, 3), 2, Map.of(), Set.of(Quirk.COPY_PER_SUBSCRIPTION_5,
                            Quirk.EVERY_IDENTIFIER_ON_EVERY_COPY_5, Quirk.COPY_PER_SUBSCRIPTION_3),
                    Map.of(), ArtemisProcess::unavailable, ArtemisProcess::start),
            new BrokerKind("rabbitmq", "RabbitMQ " + RabbitMqProcess.version(),
                    RabbitMqProcess.speaksMqtt5() ? List.of(5, 3) : List.of(3), 1,
                    Map.of(Scenario.SHARED_SUBSCRIPTION.name(), RABBITMQ_SHARED), Set.of(), Map.of(),
                    RabbitMqProcess::unavailable, RabbitMqProcess::start));

    private static final Map<BrokerKind, MatrixBroker> RUNNING = new LinkedHashMap<>();

    private BrokerMatrix() {
    }

    /**
     * The running instance of {@code kind}, started now if need be; skips the calling test (outside CI) or fails it
     * (under CI) when the broker is not installed.
     */
    public static synchronized MatrixBroker running(BrokerKind kind) {
        Optional<String> unavailable = kind.unavailable().get();
        if (unavailable.isPresent()) {
            if (System.getenv("CI") != null) {
                Assertions.fail(kind.name() + " must run under CI (.ci/run installs it): " + unavailable.get());
            }
            Assumptions.abort("Skipped: " + kind.name() + ": " + unavailable.get());
        }
        return RUNNING.computeIfAbsent(kind, k -> k.start().get());
    }

    /** Stops every broker started here. */
    public static synchronized void closeAll() {
        RuntimeException failure = null;
        for (MatrixBroker broker : RUNNING.values()) {
            try {
                broker.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        RUNNING.clear();
        if (failure != null) {
            throw failure;
        }
    }

    private static Optional<String> mosquittoUnavailable() {
        return MosquittoProcess.isInstalled() ? Optional.empty() : Optional.of(MosquittoProcess.INSTALL_HINT);
    }

    private static String mosquittoName() {
        if (!MosquittoProcess.isInstalled()) {
            return "Mosquitto (not installed)";
        }
        return "Mosquitto " + versionNumber(MosquittoProcess.version());
    }

    private static Optional<String> debian12MosquittoUnavailable() {
        return Files.isExecutable(MosquittoProcess.DEBIAN_12_EXECUTABLE) ? Optional.empty()
                : Optional.of(MosquittoProcess.DEBIAN_12_INSTALL_HINT);
    }

    private static String debian12MosquittoName() {
        if (debian12MosquittoUnavailable().isPresent()) {
            return "Mosquitto 2.0.11 (Debian 12's, not unpacked)";
        }
        return "Mosquitto " + versionNumber(MosquittoProcess.version(MosquittoProcess.DEBIAN_12_EXECUTABLE));
    }

    private static MatrixBroker debian12Mosquitto() {
        return MosquittoProcess.startStockPersistent(MosquittoProcess.DEBIAN_12_EXECUTABLE, DEBIAN_12_MOSQUITTO_CONFIG);
    }

    private static String versionNumber(String versionLine) {
        return versionLine.replaceFirst("^mosquitto version ", "");
    }

    private static MatrixBroker hivemq() {
        EmbeddedMqttBroker broker = FreePorts.startOnFreePort(EmbeddedMqttBroker::start);
        return new MatrixBroker() {
            @Override
            public int port() {
                return broker.port();
            }

            @Override
            public void restart() {
                broker.stop();
                broker.startAgain();
            }

            @Override
            public void close() {
                broker.close();
            }
        };
    }
}
