package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.kafka.ExactlyOnceState;
import io.mqttkafka.bridge.testing.BridgeProcess;
import io.mqttkafka.bridge.testing.Copies;
import io.mqttkafka.bridge.testing.KafkaBrokerProcess;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.PacedLoad;
import io.mqttkafka.bridge.testing.SharedBrokers;

/**
 * Exactly-once QoS 2 against a bridge process that freezes (SIGSTOP: a long GC pause, a suspended VM, a partitioned
 * node) while messages flow, issue 22's "transaction timeouts (a zombie producer is fenced)":
 * <ul>
 * <li>frozen longer than its {@code transaction.timeout.ms}: Kafka aborts the open transaction; resumed, the bridge
 * writes those messages again in a new transaction, by itself;</li>
 * <li>frozen while another process with the same identity takes over (what an orchestrator does with a replica it
 * believes dead): the successor fences the frozen one's producer and takes its MQTT session; resumed, the frozen one is
 * fenced at its next commit, stops bridging, reports liveness down and closes its MQTT connections without
 * reconnecting, so that it does not take the session back.</li>
 * </ul>
 * Either way a {@code read_committed} consumer sees every message exactly once. Kafka is a process whose coordinator
 * looks for timed-out transactions every 500 ms (Kafka's default is 10 s); HiveMQ CE runs in the test JVM.
 */
class ExactlyOnceFencingIT {

    private static final int MESSAGES = 5_000;
    private static final int BATCH = 10;
    private static final Duration BATCH_PERIOD = Duration.ofMillis(40);
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final Duration TRANSACTION_TIMEOUT = Duration.ofSeconds(3);
    private static final Set<TransactionState> ABORTING = Set.of(TransactionState.PREPARE_ABORT,
            TransactionState.COMPLETE_ABORT);

    private static KafkaBrokerProcess kafka;

    @BeforeAll
    static void startKafka() {
        kafka = KafkaBrokerProcess.start(Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "500"));
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    @Test
    void aBridgeFrozenPastItsTransactionTimeoutWritesTheAbortedMessagesAgainByItself() throws Exception {
        Scenario scenario = new Scenario("eos-timeout");
        try (BridgeProcess bridge = BridgeProcess.prepare(scenario.yaml, Map.of()).heap("192m").start();
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5);
                Admin admin = admin()) {
            bridge.awaitSubscribed(1);
            try (PacedLoad load = scenario.load(publisher)) {
                TransactionDescription afterFreeze = null;
                // A freeze between two transactions (during a commit) leaves nothing to abort; a transaction is open
                // almost all the time at this rate, so another freeze a little later finds one.
                for (int freeze = 1; freeze <= 3 && (afterFreeze == null || !ABORTING.contains(afterFreeze.state()));
                        freeze++) {
                    scenario.awaitBatches(scenario.batches.get() + 25);
                    bridge.pause();
                    System.out.println("ExactlyOnceFencingIT, transaction timeout: frozen at batch " + scenario.batches.get());
                    long frozenAt = System.nanoTime();
                    try {
                        // The coordinator aborts what was open at the freeze once the timeout passed (it looks every
                        // 500 ms); frozen until then, or until it is clear that nothing was open.
                        afterFreeze = Awaitility.await("Kafka aborting the frozen bridge's transaction")
                                .atMost(TRANSACTION_TIMEOUT.multipliedBy(4)).pollInterval(Duration.ofMillis(100))
                                .until(() -> describe(admin, scenario.transactionalId), d -> ABORTING.contains(d.state())
                                        || System.nanoTime() - frozenAt > TRANSACTION_TIMEOUT.multipliedBy(2).toNanos());
                    } finally {
                        bridge.resume();
                    }
                }
                TransactionDescription aborted = afterFreeze;
                assertThat(aborted.state()).isIn(ABORTING);
                assertThat(load.await(TIMEOUT)).as("the whole load was published").isTrue();
                assertThat(load.failure()).isNull();
            }
            try {
                scenario.assertExactlyOnce();
            } finally {
                printExactlyOnceLines("transaction timeout", bridge);
            }
            Awaitility.await("the bridge ready").atMost(TIMEOUT).until(() -> bridge.readinessStatus() == 200);
            assertThat(bridge.isAlive()).isTrue();
            assertThat(bridge.metric("bridge_live", "")).isEqualTo(1);
            assertThat(bridge.metric("bridge_kafka_transactions_total", "outcome=\"aborted\"")).isPositive();
            assertThat(bridge.log()).doesNotContain("took over");
        }
    }

    @Test
    void aFrozenBridgeReplacedByAnotherProcessIsFencedAndStepsAside() throws Exception {
        Scenario scenario = new Scenario("eos-zombie");
        try (BridgeProcess zombie = BridgeProcess.prepare(scenario.yaml, Map.of()).heap("192m").start();
                BridgeProcess successor = BridgeProcess.prepare(scenario.yaml, Map.of()).heap("192m");
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            zombie.awaitSubscribed(1);
            try (PacedLoad load = scenario.load(publisher)) {
                scenario.awaitBatches(50);
                zombie.pause();
                try {
                    // Started as a replacement: fences the frozen producer (aborting its transaction), restores the
                    // committed state and takes the MQTT session over.
                    successor.start();
                    successor.awaitSubscribed(1);
                    scenario.awaitBatches(scenario.batches.get() + 25);
                } finally {
                    zombie.resume();
                }
                zombie.awaitLog("took over; this one stops bridging");
                Awaitility.await("the fenced process reports liveness down").atMost(TIMEOUT)
                        .until(() -> zombie.metric("bridge_live", "") == 0);
                assertThat(load.await(TIMEOUT)).as("the whole load was published").isTrue();
                assertThat(load.failure()).isNull();
            }
            scenario.assertExactlyOnce();
            printExactlyOnceLines("zombie", zombie);
            printExactlyOnceLines("successor", successor);
            assertThat(successor.isAlive()).isTrue();
            Awaitility.await("the successor ready").atMost(TIMEOUT).until(() -> successor.readinessStatus() == 200);
            assertThat(successor.log()).doesNotContain("took over");
            assertThat(zombie.log()).contains("another process took over the Kafka transactional id");
        }
    }

    /** One mapping, its topics and the paced load; what a run must deliver. */
    private static final class Scenario {
        final String root = SharedBrokers.unique("eos-fence");
        final String kafkaTopic;
        final String clientId;
        final String transactionalId;
        final String yaml;
        final List<String> expected = IntStream.range(0, MESSAGES).mapToObj(i -> "m-" + i).toList();
        final AtomicInteger batches = new AtomicInteger();

        Scenario(String name) {
            kafkaTopic = SharedBrokers.unique(name + "-out");
            clientId = SharedBrokers.unique(name + "-client");
            transactionalId = ExactlyOnceState.transactionalId(clientId);
            KafkaTestProducer.createTopic(kafka.bootstrapServers(), kafkaTopic, 3);
            yaml = BridgeProcess.connectionYaml(name + "-bridge", clientId, kafka.bootstrapServers()) + """
                        transaction-interval: 100ms
                        exactly-once-state-topic: %s-state
                        properties:
                          "transaction.timeout.ms": "%d"
                      mqtt-to-kafka:
                        - name: orders
                          filter: %s/+
                          qos: 2
                          kafka-topic: %s
                          exactly-once: true
                    """.formatted(clientId, TRANSACTION_TIMEOUT.toMillis(), root, kafkaTopic);
        }

        PacedLoad load(MqttTestClient publisher) {
            return PacedLoad.start(MESSAGES / BATCH, BATCH_PERIOD, batch -> {
                List<String> payloads = expected.subList(batch * BATCH, (batch + 1) * BATCH);
                // Not waiting for the acknowledgements: the broker takes the messages while the bridge is frozen.
                payloads.forEach(p -> publisher.publish(root + "/t" + (p.hashCode() & 3),
                        p.getBytes(StandardCharsets.UTF_8), 2));
                batches.incrementAndGet();
            });
        }

        void awaitBatches(int count) {
            Awaitility.await(count + " batches published").atMost(TIMEOUT).until(() -> batches.get() >= count);
        }

        void assertExactlyOnce() {
            List<String> read = KafkaTestConsumer.texts(KafkaTestConsumer.readUntil(
                    Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                    kafkaTopic, records -> KafkaTestConsumer.texts(records).containsAll(expected), TIMEOUT));
            Copies copies = Copies.of(expected, read);
            assertThat(copies.lost()).as("0 lost").isEmpty();
            assertThat(copies.duplicated()).as("0 duplicates").isEmpty();
            assertThat(read).hasSize(MESSAGES);
        }
    }

    /** What the run looked like from the bridge's side, for the record (docs/design.md quotes it). */
    private static void printExactlyOnceLines(String which, BridgeProcess bridge) {
        bridge.log().lines().filter(line -> line.contains("Exactly-once") || line.contains("took over")
                        || line.contains("MqttConnection") || line.contains("WARN") || line.contains("ERROR"))
                .forEach(line -> System.out.println("ExactlyOnceFencingIT, " + which + ": " + line));
    }

    private static Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
    }

    private static TransactionDescription describe(Admin admin, String transactionalId) throws Exception {
        return admin.describeTransactions(List.of(transactionalId)).description(transactionalId).get(5, TimeUnit.SECONDS);
    }
}
