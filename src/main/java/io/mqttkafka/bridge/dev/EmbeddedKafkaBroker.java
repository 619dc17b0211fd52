package io.mqttkafka.bridge.dev;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Utils;

/**
 * A real single-node Kafka cluster (KRaft, combined broker and controller) in this JVM, for dev mode and
 * tests. Listens on a random loopback port. Needs the {@code kafka-test-common-runtime} artifact, which is
 * never packaged.
 *
 * <p>Its data directory is made here and deleted by {@link #close()}. Left to the test kit, the directory would
 * be deleted by a JVM shutdown hook of its own, which runs concurrently with whatever stops the broker at exit
 * (the dev mode's shutdown, the tests' hook): the broker then lost its metadata log directory while running and
 * Kafka halted the JVM with status 1.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private final KafkaClusterTestKit cluster;
    private final Path dataDirectory;

    private EmbeddedKafkaBroker(KafkaClusterTestKit cluster, Path dataDirectory) {
        this.cluster = cluster;
        this.dataDirectory = dataDirectory;
    }

    /**
     * Starts a cluster; blocks until the broker is ready.
     *
     * @param brokerSettings extra broker settings, e.g. {@code auto.create.topics.enable=false}
     */
    public static EmbeddedKafkaBroker start(Map<String, String> brokerSettings) {
        KafkaClusterTestKit cluster = null;
        Path dataDirectory = null;
        try {
            dataDirectory = Files.createTempDirectory("embedded-kafka-");
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .setBaseDirectory(dataDirectory)
                    .build());
            builder.setDeleteOnClose(true);
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
            return new EmbeddedKafkaBroker(cluster, dataDirectory);
        } catch (Exception e) {
            if (cluster != null) {
                try {
                    cluster.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            } else if (dataDirectory != null) {
                try {
                    Utils.delete(dataDirectory.toFile());
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new IllegalStateException("Embedded Kafka broker did not start: " + e.getMessage(), e);
        }
    }

    /** Where the cluster keeps its logs and metadata; gone after {@link #close()}. */
    public Path dataDirectory() {
        return dataDirectory;
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
