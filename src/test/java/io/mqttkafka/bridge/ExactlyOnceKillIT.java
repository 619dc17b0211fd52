package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.mqttkafka.bridge.testing.BridgeProcess;
import io.mqttkafka.bridge.testing.Copies;
import io.mqttkafka.bridge.testing.KafkaBrokerProcess;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.PacedLoad;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.brokers.MatrixBroker;

/**
 * Exactly-once QoS 2 against everything issue 22 names at once: 10,000 QoS 2 messages at a steady rate (250 msg/s, 40 s)
 * through a mapping of the packaged bridge, while the bridge is killed with SIGKILL at random moments (at least
 * {@value #KILLS} times, restarted with the same client id each time), the Kafka broker is stopped and started again
 * once and the MQTT broker once (with its sessions), each fault at a random moment of the load. A {@code read_committed}
 * consumer then sees every message: with {@code exactly-once: true} exactly once (0 lost, 0 duplicates, asserted);
 * without it at least once (0 lost asserted, the duplicates counted and printed: what exactly-once saves).
 *
 * <p>The MQTT broker is HiveMQ CE embedded in the test JVM (MQTT 5, sessions kept across its restart), and for the
 * exactly-once variant also Mosquitto as a process with persistence; Kafka and the bridge are processes.
 * {@code -Dfault.soak=true} runs each variant three times.
 */
class ExactlyOnceKillIT {

    private static final boolean SOAK = Boolean.getBoolean("fault.soak");
    private static final int MESSAGES = 10_000;
    private static final int BATCH = 10;
    private static final Duration BATCH_PERIOD = Duration.ofMillis(40);
    private static final int KILLS = 5;
    private static final int MAX_KILLS = 10;
    private static final int MAX_BATCHES_BETWEEN_FAULTS = 40;
    private static final Duration TIMEOUT = Duration.ofSeconds(180);
    /** What a restarted bridge logs when it inherits written-but-not-released messages. */
    private static final Pattern RESTORED =
            Pattern.compile("Exactly-once: (\\d+) QoS 2 message\\(s\\) written before the restart");
    /** What it logs once they are all settled (unless it is killed first). */
    private static final Pattern SETTLED =
            Pattern.compile("inherited from before the restart are settled: (\\d+) redelivered");

    private static KafkaBrokerProcess kafka;

    private enum Fault { KILL, KAFKA_RESTART, MQTT_RESTART }

    @BeforeAll
    static void startKafka() {
        kafka = KafkaBrokerProcess.start(Map.of());
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    /**
     * HiveMQ CE with and without exactly-once; Mosquitto (persistent, restarted with SIGTERM, which saves its sessions)
     * with exactly-once, the broker most users run. CI installs Mosquitto; elsewhere its variant skips, saying why.
     */
    static Stream<Arguments> brokersAndModes() {
        return Stream.of(Arguments.of("HiveMQ CE", true), Arguments.of("HiveMQ CE", false),
                Arguments.of("Mosquitto", true));
    }

    @ParameterizedTest(name = "{0}, exactly-once: {1}")
    @MethodSource("brokersAndModes")
    void everyMessageArrivesAcrossBridgeKillsAndBrokerRestarts(String brokerName, boolean exactlyOnce)
            throws Exception {
        if (brokerName.equals("Mosquitto")) {
            MosquittoProcess.assumeInstalledUnlessCi("this variant runs the kill run against Mosquitto.");
        }
        for (int run = 1; run <= (SOAK ? 3 : 1); run++) {
            try (MatrixBroker broker = brokerName.equals("Mosquitto") ? MosquittoProcess.startPersistent("")
                    : sharedHiveMq()) {
                runOnce(broker, brokerName, exactlyOnce, run);
            }
        }
    }

    /** The test JVM's HiveMQ CE (its sessions kept across a restart); closing leaves it running for the other tests. */
    private static MatrixBroker sharedHiveMq() {
        return new MatrixBroker() {
            @Override
            public int port() {
                return SharedBrokers.mqtt().port();
            }

            @Override
            public void restart() {
                SharedBrokers.mqtt().stop();
                SharedBrokers.mqtt().startAgain();
            }

            @Override
            public void close() {
            }
        };
    }

    private void runOnce(MatrixBroker broker, String brokerName, boolean exactlyOnce, int run) throws Exception {
        String root = SharedBrokers.unique("eos-kill");
        String kafkaTopic = SharedBrokers.unique("eos-kill-out");
        String clientId = SharedBrokers.unique("eos-kill-client");
        KafkaTestProducer.createTopic(kafka.bootstrapServers(), kafkaTopic, 3);
        String yaml = BridgeProcess.connectionYaml("eos-kill-bridge", clientId, kafka.bootstrapServers(), broker.port())
                + """
                    transaction-interval: 100ms
                    exactly-once-state-topic: %s-state
                  mqtt-to-kafka:
                    - name: orders
                      filter: %s/+
                      qos: 2
                      kafka-topic: %s
                      exactly-once: %s
                """.formatted(clientId, root, kafkaTopic, exactlyOnce);
        List<String> expected = IntStream.range(0, MESSAGES).mapToObj(i -> "m-" + i).toList();
        // The two broker restarts at random places among the kills.
        List<Fault> faults = new ArrayList<>(java.util.Collections.nCopies(KILLS, Fault.KILL));
        faults.add(ThreadLocalRandom.current().nextInt(faults.size() + 1), Fault.KAFKA_RESTART);
        faults.add(ThreadLocalRandom.current().nextInt(faults.size() + 1), Fault.MQTT_RESTART);
        List<String> injected = new ArrayList<>();
        // Held by a batch while it publishes: the MQTT broker stops only between batches, with none of the publisher's
        // flows in flight (HiveMQ CE, restarted, takes a QoS 2 PUBLISH sent again on reconnect as a new message: a
        // duplicate of the broker's, not the bridge's; FaultInjectionIT saw 10). The bridge's flows stay in flight.
        ReentrantLock publishing = new ReentrantLock();

        try (BridgeProcess bridge = BridgeProcess.prepare(yaml, Map.of()).heap("192m").start();
                MqttTestClient publisher = MqttTestClient.connectPersistent(broker.port())) {
            bridge.awaitSubscribed(1);
            AtomicInteger batchesPublished = new AtomicInteger();
            try (PacedLoad load = PacedLoad.start(MESSAGES / BATCH, BATCH_PERIOD, batch -> {
                List<String> payloads = expected.subList(batch * BATCH, (batch + 1) * BATCH);
                publishing.lock();
                try {
                    publisher.publishAll(payloads.stream().map(p -> root + "/t" + (p.hashCode() & 3)).toList(),
                            payloads.stream().map(p -> p.getBytes(StandardCharsets.UTF_8)).toList(), 2);
                } finally {
                    publishing.unlock();
                }
                batchesPublished.incrementAndGet();
            })) {
                // With exactly-once, more kills (up to MAX_KILLS, while enough load is left) until a restart inherited
                // written-but-not-released messages: a kill lands in that window most of the time, not always.
                for (int i = 0; i < faults.size() || exactlyOnce && inherited(bridge.log()) == 0
                        && i < MAX_KILLS + 2 && load.remainingBatches() > 2 * MAX_BATCHES_BETWEEN_FAULTS; i++) {
                    Fault fault = i < faults.size() ? faults.get(i) : Fault.KILL;
                    // A random moment while messages flow (after 10 to 40 more batches, 0.4 to 1.6 s): anywhere in the
                    // transaction cycle, with PUBRECs, PUBRELs and PUBCOMPs in flight, or the restored state being read.
                    int faultAt = batchesPublished.get()
                            + ThreadLocalRandom.current().nextInt(10, MAX_BATCHES_BETWEEN_FAULTS + 1);
                    Awaitility.await("load flowing into the running bridge").atMost(TIMEOUT)
                            .until(() -> batchesPublished.get() >= faultAt || load.remainingBatches() == 0);
                    assertThat(load.remainingBatches()).as("fault %d (%s) lands while the load flows", i + 1, fault)
                            .isPositive();
                    assertThat(load.failure()).isNull();
                    injected.add(fault + "@" + batchesPublished.get());
                    switch (fault) {
                        case KILL -> {
                            bridge.kill();
                            bridge.start();
                            bridge.awaitSubscribed(1);
                        }
                        case KAFKA_RESTART -> {
                            // The bridge keeps receiving meanwhile; nothing is acknowledged until Kafka is back.
                            kafka.stop();
                            kafka.startAgain();
                        }
                        case MQTT_RESTART -> {
                            publishing.lock();
                            try {
                                broker.restart();
                            } finally {
                                publishing.unlock();
                            }
                        }
                    }
                }
                assertThat(load.await(TIMEOUT)).as("the whole load was published").isTrue();
                assertThat(load.failure()).isNull();
            }

            List<String> read = KafkaTestConsumer.texts(KafkaTestConsumer.readUntil(
                    Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                    kafkaTopic, records -> KafkaTestConsumer.texts(records).containsAll(expected), TIMEOUT));
            Copies copies = Copies.of(expected, read);
            List<String> duplicated = copies.duplicated();
            List<String> lost = copies.lost();
            int inherited = inherited(bridge.log());
            Matcher settled = SETTLED.matcher(bridge.log());
            int recognised = 0;
            while (settled.find()) {
                recognised += Integer.parseInt(settled.group(1));
            }
            System.out.printf("ExactlyOnceKillIT (%s, exactly-once: %s, run %d): faults %s; restarts inherited %d "
                    + "written-but-not-released messages, %d redelivered and recognised; %d lost, %d duplicates%n",
                    brokerName, exactlyOnce, run, injected, inherited, recognised, lost.size(), copies.extraCopies());
            assertThat(lost).as("0 lost").isEmpty();
            assertThat(bridge.isAlive()).isTrue();
            if (exactlyOnce) {
                assertThat(duplicated).as("0 duplicates").isEmpty();
                assertThat(read).hasSize(MESSAGES);
                // Whether a kill landed while messages awaited their PUBREL is chance (it did in most runs: 89 to 150
                // inherited); the recognition of their redeliveries is proven deterministically by ExactlyOnceTest.
                if (inherited == 0) {
                    System.out.println("ExactlyOnceKillIT: no kill landed while messages awaited their PUBREL in this run");
                }
                assertThat(bridge.log()).as("no redelivery-like message with other contents")
                        .doesNotContain("differs from the message recorded");
            }
        }
    }

    /** Written-but-not-released messages the restarts so far inherited, from their log lines. */
    private static int inherited(String log) {
        Matcher restored = RESTORED.matcher(log);
        int inherited = 0;
        while (restored.find()) {
            inherited += Integer.parseInt(restored.group(1));
        }
        return inherited;
    }
}
