package io.mqttkafka.bridge.dev;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.Endpoints;
import io.quarkus.arc.profile.IfBuildProfile;

/**
 * Dev mode only ({@code quarkus:dev}, see {@code dev/run}): starts an embedded MQTT broker and an embedded
 * Kafka cluster and points the bridge at them, then prints every record that reaches Kafka so that the
 * whole path can be watched from one terminal. Set {@code dev.embedded-brokers=false} to use the
 * configured brokers instead. Absent from the packaged application.
 */
@IfBuildProfile("dev")
@ApplicationScoped
public class DevEmbeddedBrokers {

    private static final Logger LOG = Logger.getLogger(DevEmbeddedBrokers.class);
    /** How long stop() waits for the record printer's consumer to close before it stops the brokers anyway. */
    private static final Duration PRINTER_STOP_TIMEOUT = Duration.ofSeconds(10);

    @ConfigProperty(name = "dev.embedded-brokers", defaultValue = "true")
    boolean enabled;

    private EmbeddedMqttBroker mqtt;
    private EmbeddedKafkaBroker kafka;
    private Thread recordPrinter;
    private KafkaConsumer<byte[], byte[]> recordPrinterConsumer;

    @Produces
    @Singleton
    Endpoints embeddedEndpoints(BridgeConfig config) {
        if (!enabled) {
            return Endpoints.from(config);
        }
        int mqttPort = isFree(config.mqtt().port()) ? config.mqtt().port() : freePort();
        mqtt = EmbeddedMqttBroker.start(mqttPort);
        kafka = EmbeddedKafkaBroker.start(Map.of());
        LOG.infof("%n%n  Dev mode: embedded MQTT broker on localhost:%d, embedded Kafka on %s%n"
                + "  Publish e.g.:  mosquitto_pub -p %d -q 1 -t sensors/plant-1/dev-42/temperature -m 21.5%n"
                + "  Every record written to Kafka is printed below.%n", mqttPort, kafka.bootstrapServers(), mqttPort);
        startRecordPrinter(kafka.bootstrapServers());
        return new Endpoints("localhost", mqttPort, kafka.bootstrapServers());
    }

    private void startRecordPrinter(String bootstrapServers) {
        // Created here and used only by the printer thread; stop() ends it with wakeup(), the consumer's one
        // thread-safe method. (An interrupt instead left the consumer to close with the interrupt flag set and
        // the broker already going, which logged errors at every stop.)
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "dev-record-printer",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                // The embedded cluster is new at every start: there is no position worth keeping.
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.METADATA_MAX_AGE_CONFIG, "2000"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        recordPrinterConsumer = consumer;
        recordPrinter = new Thread(() -> {
            try (consumer) {
                consumer.subscribe(Pattern.compile("[^_].*"));
                while (true) {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                        LOG.infof("Kafka record: topic=%s partition=%d offset=%d key=%s value=%s headers=%s",
                                record.topic(), record.partition(), record.offset(), text(record.key()),
                                text(record.value()), headers(record));
                    }
                }
            } catch (WakeupException stopping) {
                // stop() asked the printer to end
            }
        }, "dev-record-printer");
        recordPrinter.setDaemon(true);
        recordPrinter.start();
    }

    private static String headers(ConsumerRecord<byte[], byte[]> record) {
        StringBuilder text = new StringBuilder("{");
        for (Header header : record.headers()) {
            text.append(text.length() > 1 ? ", " : "").append(header.key()).append('=').append(text(header.value()));
        }
        return text.append('}').toString();
    }

    private static String text(byte[] bytes) {
        return bytes == null ? "null" : new String(bytes, StandardCharsets.UTF_8);
    }

    /** Ends the printer before the brokers go, then stops each broker even if the other one failed to. */
    @PreDestroy
    void stop() {
        if (recordPrinter != null) {
            recordPrinterConsumer.wakeup();
            try {
                recordPrinter.join(PRINTER_STOP_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            if (kafka != null) {
                kafka.close();
            }
        } finally {
            if (mqtt != null) {
                mqtt.close();
            }
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("No free loopback port for the embedded MQTT broker", e);
        }
    }
}
