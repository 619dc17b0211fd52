package io.mqttkafka.bridge.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * An in-process Kafka broker with the listeners production clusters offer: {@code SASLSSL} (SASL_SSL with
 * SCRAM-SHA-512 and PLAIN) and {@code MTLS} (SSL, client certificate required), both presenting a certificate for
 * {@code localhost} and {@code 127.0.0.1} from the given CA. An unauthenticated plain listener stays for the test's own
 * admin work and for checking what the bridge wrote; the bridge is given only a secured one. Auto-creation is off.
 */
public final class SecuredKafka implements AutoCloseable {

    public static final String SASL_SSL = "SASLSSL";
    public static final String MUTUAL_TLS = "MTLS";

    private final KafkaClusterTestKit kit;

    private SecuredKafka(KafkaClusterTestKit kit) {
        this.kit = kit;
    }

    /**
     * Starts the broker, its data under {@code directory}; {@code plainUsers} (name → password) may log in with PLAIN.
     */
    public static SecuredKafka start(Path directory, TestCertificates certificates, Map<String, String> plainUsers)
            throws Exception {
        String storePassword = "broker-store-" + Long.toHexString(System.nanoTime());
        Path keyStore = certificates.pkcs12(certificates.server("kafka-broker"), "kafka-broker.p12", storePassword);
        Path trustStore = certificates.trustStore("kafka-trust.p12", storePassword);
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1)
                .setBaseDirectory(Files.createDirectories(directory))
                .build());
        builder.setDeleteOnClose(true);
        builder.setConfigProp("listeners", "EXTERNAL://localhost:0,CONTROLLER://localhost:0," + SASL_SSL
                + "://localhost:0," + MUTUAL_TLS + "://localhost:0");
        builder.setConfigProp("listener.security.protocol.map",
                "EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT," + SASL_SSL + ":SASL_SSL," + MUTUAL_TLS + ":SSL");
        String sasl = "listener.name." + SASL_SSL.toLowerCase() + ".";
        builder.setConfigProp(sasl + "sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN");
        builder.setConfigProp(sasl + "scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        StringBuilder plain = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
        plainUsers.forEach((user, password) -> plain.append(" user_").append(user).append("=\"").append(password)
                .append('"'));
        builder.setConfigProp(sasl + "plain.sasl.jaas.config", plain.append(';').toString());
        for (String listener : List.of(SASL_SSL, MUTUAL_TLS)) {
            String prefix = "listener.name." + listener.toLowerCase() + ".";
            builder.setConfigProp(prefix + "ssl.keystore.type", "PKCS12");
            builder.setConfigProp(prefix + "ssl.keystore.location", keyStore.toString());
            builder.setConfigProp(prefix + "ssl.keystore.password", storePassword);
        }
        String mtls = "listener.name." + MUTUAL_TLS.toLowerCase() + ".";
        builder.setConfigProp(mtls + "ssl.truststore.type", "PKCS12");
        builder.setConfigProp(mtls + "ssl.truststore.location", trustStore.toString());
        builder.setConfigProp(mtls + "ssl.truststore.password", storePassword);
        builder.setConfigProp(mtls + "ssl.client.auth", "required");
        // As in production: the bridge must create the dead-letter topic itself, with its own (secured) admin client.
        builder.setConfigProp("auto.create.topics.enable", "false");
        builder.setConfigProp("offsets.topic.replication.factor", "1");
        builder.setConfigProp("group.initial.rebalance.delay.ms", "0");
        KafkaClusterTestKit kit = builder.build();
        try {
            kit.format();
            kit.startup();
            kit.waitForReadyBrokers();
        } catch (Exception e) {
            kit.close();
            throw e;
        }
        return new SecuredKafka(kit);
    }

    /** The port of {@link #SASL_SSL} or {@link #MUTUAL_TLS}. */
    public int port(String listener) {
        return kit.brokers().values().iterator().next().boundPort(new ListenerName(listener));
    }

    /** Client properties for the unauthenticated listener (the test's own work). */
    public Map<String, Object> plainProperties() {
        Map<String, Object> properties = new HashMap<>();
        kit.clientProperties().forEach((key, value) -> properties.put(String.valueOf(key), value));
        return properties;
    }

    public String plainBootstrapServers() {
        return String.valueOf(plainProperties().get("bootstrap.servers"));
    }

    public void addScramUser(String user, String password) throws Exception {
        try (Admin admin = Admin.create(plainProperties())) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password))).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** Creates each topic with one partition. */
    public void createTopics(String... topics) throws Exception {
        try (Admin admin = Admin.create(plainProperties())) {
            admin.createTopics(Arrays.stream(topics).map(topic -> new NewTopic(topic, 1, (short) 1)).toList())
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws Exception {
        kit.close();
    }
}
