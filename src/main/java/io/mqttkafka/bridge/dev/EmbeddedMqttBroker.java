package io.mqttkafka.bridge.dev;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.utils.Utils;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.embedded.EmbeddedHiveMQBuilder;
import com.hivemq.mqtt.message.publish.PUBLISH;

/**
 * A real MQTT broker (HiveMQ Community Edition) in this JVM, for dev mode and tests. Listens on loopback
 * only. MQTT 3.1.1 and 5, QoS 2, retained messages, persistent sessions and shared subscriptions.
 * Needs the {@code hivemq-community-edition-embedded} artifact, which is never packaged.
 *
 * <p>Its data folder (sessions, queued messages: tens of megabytes after a test run) is made by {@link #start} and
 * deleted by {@link #close()}; {@link #stop()} keeps it, so that a restarted broker finds its sessions.
 */
public final class EmbeddedMqttBroker implements AutoCloseable {

    private final int port;
    private final Path home;
    /** Null for none. */
    private final EmbeddedExtension extension;
    /** Listener elements besides the plain one (e.g. a {@code <tls-tcp-listener>}), or empty. */
    private final String extraListeners;
    private EmbeddedHiveMQ hivemq;

    private EmbeddedMqttBroker(int port, Path home, EmbeddedExtension extension, String extraListeners) {
        this.port = port;
        this.home = home;
        this.extension = extension;
        this.extraListeners = extraListeners;
    }

    /** Starts a broker on {@code port} with a fresh data folder; blocks until it accepts connections. */
    public static EmbeddedMqttBroker start(int port) {
        return start(port, null);
    }

    /**
     * As {@link #start(int)}, with a HiveMQ extension running inside the broker (tests use one to make the broker
     * behave as some brokers do, e.g. refuse publishes with a reason code); null for none.
     */
    public static EmbeddedMqttBroker start(int port, EmbeddedExtension extension) {
        return start(port, extension, "");
    }

    /**
     * As {@link #start(int, EmbeddedExtension)}, with more listeners beside the plain one on {@code port}:
     * {@code extraListeners} is XML placed inside HiveMQ's {@code <listeners>}, e.g. a {@code <tls-tcp-listener>} (tests
     * of the bridge's TLS use one; HiveMQ reads PKCS#12 and JKS stores).
     */
    public static EmbeddedMqttBroker start(int port, EmbeddedExtension extension, String extraListeners) {
        try {
            EmbeddedMqttBroker broker = new EmbeddedMqttBroker(port, Files.createTempDirectory("embedded-hivemq-"),
                    extension, extraListeners);
            broker.startAgain();
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a data folder for the embedded MQTT broker", e);
        }
    }

    /**
     * (Re)starts the broker on the same port. Sessions and queued messages survive a stop/start pair,
     * as they do on a real broker with file persistence.
     */
    public synchronized void startAgain() {
        if (hivemq != null) {
            throw new IllegalStateException("Embedded MQTT broker is already running on port " + port);
        }
        try {
            Path conf = Files.createDirectories(home.resolve("conf"));
            Files.writeString(conf.resolve("config.xml"), """
                    <?xml version="1.0"?>
                    <hivemq>
                        <listeners>
                            <tcp-listener>
                                <port>%d</port>
                                <bind-address>127.0.0.1</bind-address>
                            </tcp-listener>
                            %s
                        </listeners>
                        <mqtt>
                            <queued-messages>
                                <max-queue-size>1000000</max-queue-size>
                            </queued-messages>
                            <receive-maximum>
                                <server-receive-maximum>1000</server-receive-maximum>
                            </receive-maximum>
                        </mqtt>
                        <anonymous-usage-statistics>
                            <enabled>false</enabled>
                        </anonymous-usage-statistics>
                    </hivemq>
                    """.formatted(port, extraListeners));
            EmbeddedHiveMQBuilder builder = EmbeddedHiveMQ.builder()
                    .withConfigurationFolder(conf)
                    .withDataFolder(Files.createDirectories(home.resolve("data")))
                    .withExtensionsFolder(Files.createDirectories(home.resolve("extensions")))
                    // Log through whatever SLF4J binding the host application has (JBoss LogManager in
                    // Quarkus) instead of reconfiguring Logback, which clashes with it.
                    .withoutLoggingBootstrap();
            if (extension != null) {
                builder.withEmbeddedExtension(extension);
            }
            EmbeddedHiveMQ created = builder.build();
            // HiveMQ numbers stored payloads with a JVM-wide counter (PUBLISH.PUBLISH_COUNTER) that every start sets
            // to its own highest payload id + 1. With several brokers in one JVM (tests), a start would reset it under
            // a running broker, which then gives new messages the ids of payloads it still holds, and delivers one
            // message with another's payload. Never let a start move the counter back (EmbeddedMqttBrokerTest).
            long payloadIdsInUse = PUBLISH.PUBLISH_COUNTER.get();
            created.start().get(60, TimeUnit.SECONDS);
            PUBLISH.PUBLISH_COUNTER.accumulateAndGet(payloadIdsInUse, Math::max);
            hivemq = created;
        } catch (Exception e) {
            throw new IllegalStateException("Embedded MQTT broker did not start on port " + port + ": " + e.getMessage(), e);
        }
    }

    /** Stops the broker, keeping its data folder for {@link #startAgain()}. */
    public synchronized void stop() {
        if (hivemq == null) {
            return;
        }
        try {
            hivemq.stop().get(60, TimeUnit.SECONDS);
            hivemq.close();
        } catch (Exception e) {
            throw new IllegalStateException("Embedded MQTT broker on port " + port + " did not stop: " + e.getMessage(), e);
        } finally {
            hivemq = null;
        }
    }

    /**
     * Messages the broker dropped since it (last) started (HiveMQ's {@code com.hivemq.messages.dropped.count}:
     * QoS 0 messages to slow clients, full queues), so tests can account for losses outside the bridge.
     */
    public synchronized long droppedMessages() {
        if (hivemq == null) {
            return 0;
        }
        com.codahale.metrics.Counter dropped = hivemq.getMetricRegistry().getCounters().get("com.hivemq.messages.dropped.count");
        return dropped == null ? 0 : dropped.getCount();
    }

    public int port() {
        return port;
    }

    /** The folder that holds the broker's configuration and data; gone after {@link #close()}. */
    public Path dataDirectory() {
        return home;
    }

    /** Stops the broker and deletes its data folder. */
    @Override
    public void close() {
        try {
            stop();
        } finally {
            try {
                Utils.delete(home.toFile());
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot delete the embedded MQTT broker's data folder " + home, e);
            }
        }
    }
}
