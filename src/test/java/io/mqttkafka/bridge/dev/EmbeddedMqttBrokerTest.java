package io.mqttkafka.bridge.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.testing.FreePorts;

/**
 * The embedded MQTT broker keeps its sessions in a folder of its own across {@code stop()} and {@code startAgain()},
 * and deletes it on {@code close()}: dev mode and every test run used to leave one behind in the temporary directory.
 */
class EmbeddedMqttBrokerTest {

    @Test
    void stopKeepsTheDataFolderAndCloseDeletesIt() {
        Path dataDirectory;
        try (EmbeddedMqttBroker broker = FreePorts.startOnFreePort(EmbeddedMqttBroker::start)) {
            dataDirectory = broker.dataDirectory();
            assertThat(dataDirectory.getFileName().toString()).startsWith("embedded-hivemq-");
            assertThat(dataDirectory.resolve("data")).as("the broker's data folder").isDirectory();

            broker.stop();
            assertThat(dataDirectory.resolve("data")).as("kept by stop() for a restart").isDirectory();
            broker.startAgain();
        }
        assertThat(Files.exists(dataDirectory)).as("deleted by close()").isFalse();
    }
}
