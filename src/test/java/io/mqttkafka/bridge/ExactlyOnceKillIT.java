package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.testing.BridgeProcess;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.PacedLoad;
import io.mqttkafka.bridge.testing.SharedBrokers;

/**
 * Exactly-once QoS 2 against SIGKILL (issue 22): 10,000 QoS 2 messages at a steady rate (250 msg/s, 40 s) through an
 * exactly-once mapping of the packaged bridge, which is killed with SIGKILL at random moments while the load flows (at
 * least {@value #KILLS} times) and restarted with the same client id each time. A {@code read_committed} consumer then
 * sees every message exactly once: 0 lost, 0 duplicates, asserted.
 *
 * <p>The brokers run in the test JVM (HiveMQ CE embedded, MQTT 5; Kafka); only the bridge is a process. Not covered
 * here: restarts of the brokers themselves, and the same run without {@code exactly-once} (FaultInjectionIT counts its
 * duplicates after a kill).
 */
class ExactlyOnceKillIT {

    private static final int MESSAGES = 10_000;
    private static final int BATCH = 10;
    private static final Duration BATCH_PERIOD = Duration.ofMillis(40);
    private static final int KILLS = 5;
    private static final int MAX_KILLS = 10;
    private static final int MAX_BATCHES_BETWEEN_KILLS = 40;
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    /** What a restarted bridge logs when it inherits written-but-not-released messages. */
    private static final Pattern RESTORED =
            Pattern.compile("Exactly-once: (\\d+) QoS 2 message\\(s\\) written before the restart");
    /** What it logs once they are all settled (unless it is killed first). */
    private static final Pattern SETTLED =
            Pattern.compile("inherited from before the restart are settled: (\\d+) redelivered");

    @Test
    void aReadCommittedConsumerSeesEveryMessageOnceAcrossRepeatedSigkills() throws Exception {
        String root = SharedBrokers.unique("eos-kill");
        String kafkaTopic = SharedBrokers.unique("eos-kill-out");
        String clientId = SharedBrokers.unique("eos-kill-client");
        KafkaTestProducer.createTopic(SharedBrokers.kafka().bootstrapServers(), kafkaTopic, 3);
        String yaml = BridgeProcess.connectionYaml("eos-kill-bridge", clientId, SharedBrokers.kafka().bootstrapServers())
                + """
                    transaction-interval: 100ms
                    exactly-once-state-topic: %s-state
                  mqtt-to-kafka:
                    - name: orders
                      filter: %s/+
                      qos: 2
                      kafka-topic: %s
                      exactly-once: true
                """.formatted(clientId, root, kafkaTopic);
        List<String> expected = IntStream.range(0, MESSAGES).mapToObj(i -> "m-" + i).toList();

        try (BridgeProcess bridge = BridgeProcess.prepare(yaml, Map.of()).heap("192m").start();
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            bridge.awaitSubscribed(1);
            AtomicInteger batchesPublished = new AtomicInteger();
            try (PacedLoad load = PacedLoad.start(MESSAGES / BATCH, BATCH_PERIOD, batch -> {
                List<String> payloads = expected.subList(batch * BATCH, (batch + 1) * BATCH);
                publisher.publishAll(payloads.stream().map(p -> root + "/t" + (p.hashCode() & 3)).toList(),
                        payloads.stream().map(p -> p.getBytes(StandardCharsets.UTF_8)).toList(), 2);
                batchesPublished.incrementAndGet();
            })) {
                // At least KILLS kills; more (up to MAX_KILLS, while enough load is left) until a restart inherited
                // written-but-not-released messages: a kill lands in that window most of the time, not always.
                for (int kill = 1; kill <= KILLS || (inherited(bridge.log()) == 0 && kill <= MAX_KILLS
                        && load.remainingBatches() > 2 * MAX_BATCHES_BETWEEN_KILLS); kill++) {
                    // A random moment while messages flow (after 10 to 40 more batches, 0.4 to 1.6 s): anywhere in the
                    // transaction cycle, with PUBRECs, PUBRELs and PUBCOMPs in flight, or the restored state being read.
                    int killAt = batchesPublished.get()
                            + ThreadLocalRandom.current().nextInt(10, MAX_BATCHES_BETWEEN_KILLS + 1);
                    Awaitility.await("load flowing into the running bridge").atMost(TIMEOUT)
                            .until(() -> batchesPublished.get() >= killAt || load.remainingBatches() == 0);
                    assertThat(load.remainingBatches()).as("kill %d lands while the load flows", kill).isPositive();
                    assertThat(load.failure()).isNull();
                    bridge.kill();
                    bridge.start();
                    bridge.awaitSubscribed(1);
                }
                assertThat(load.await(TIMEOUT)).as("the whole load was published").isTrue();
                assertThat(load.failure()).isNull();
            }

            List<String> read = payloads(KafkaTestConsumer.readUntil(
                    Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBrokers.kafka().bootstrapServers(),
                            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                    kafkaTopic, records -> payloads(records).containsAll(expected), TIMEOUT));
            Map<String, Long> copies = read.stream()
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            List<String> duplicated = copies.entrySet().stream().filter(copy -> copy.getValue() > 1)
                    .map(Map.Entry::getKey).sorted().toList();
            List<String> lost = expected.stream().filter(p -> !copies.containsKey(p)).toList();
            assertThat(lost).as("0 lost").isEmpty();
            assertThat(duplicated).as("0 duplicates").isEmpty();
            assertThat(read).hasSize(MESSAGES);
            assertThat(bridge.isAlive()).isTrue();
            // What the restarts inherited (messages written but not released), and how much of it came back and was recognised.
            Matcher restored = RESTORED.matcher(bridge.log());
            int restarts = 0;
            while (restored.find()) {
                restarts++;
            }
            int inherited = inherited(bridge.log());
            Matcher settled = SETTLED.matcher(bridge.log());
            int recognised = 0;
            while (settled.find()) {
                recognised += Integer.parseInt(settled.group(1));
            }
            System.out.printf("ExactlyOnceKillIT: at least %d kills; %d restarts inherited %d written-but-not-released messages, "
                    + "of which %d were redelivered and recognised (not written again); %d lost, %d duplicates%n", KILLS,
                    restarts, inherited, recognised, lost.size(), duplicated.size());
            // Whether a kill landed while messages were written but not released is chance (it did in most runs: 89 to
            // 150 inherited); the recognition of their redeliveries is proven deterministically by ExactlyOnceTest.
            // What this test must show in every run is the line above: nothing lost, nothing twice.
            if (inherited == 0) {
                System.out.println("ExactlyOnceKillIT: no kill landed while messages awaited their PUBREL in this run");
            }
            assertThat(bridge.log()).as("no redelivery-like message with other contents")
                    .doesNotContain("differs from the message recorded");
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

    private static List<String> payloads(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }
}
