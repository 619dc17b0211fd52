package io.mqttkafka.bridge.dev;

import java.util.Map;

import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real single-node Kafka cluster (KRaft, combined broker and controller) in this JVM, for dev mode and
 * tests. Listens on a random loopback port. Needs the {@code kafka-test-common-runtime} artifact, which is
 * never packaged.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private final KafkaClusterTestKit cluster;

    private EmbeddedKafkaBroker(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
    }

    /**
     * Starts a cluster; blocks until the broker is ready.
     *
     * @param brokerSettings extra broker settings, e.g. {@code auto.create.topics.enable=false}
     */
    public static EmbeddedKafkaBroker start(Map<String, String> brokerSettings) {
        KafkaClusterTestKit cluster = null;
        try {
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build());
            builder.setConfigProp("num.partitions", "3");
            // One broker: internal topics (consumer offsets, transactions) must fit on it.
            builder.setConfigProp("offsets.topic.replication.factor", "1");
            builder.setConfigProp("offsets.topic.num.partitions", "5");
            builder.setConfigProp("transaction.state.log.replication.factor", "1");
            builder.setConfigProp("transaction.state.log.min.isr", "1");
            builder.setConfigProp("group.initial.rebalance.delay.ms", "0");
            brokerSettings.forEach(builder::setConfigProp);
            cluster = builder.build();
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            return new EmbeddedKafkaBroker(cluster);
        } catch (Exception e) {
            if (cluster != null) {
                try {
                    cluster.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new IllegalStateException("Embedded Kafka broker did not start: " + e.getMessage(), e);
        }
    }

    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    @Override
    public void close() {
        try {
            cluster.close();
        } catch (Exception e) {
            throw new IllegalStateException("Embedded Kafka broker did not stop cleanly: " + e.getMessage(), e);
        }
    }
}
