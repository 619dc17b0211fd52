package io.mqttkafka.bridge.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The embedded cluster keeps its data in a directory it made and deletes it on {@code close()}, so that nothing is
 * left to a JVM shutdown hook that could delete it under a broker still running (see {@link EmbeddedKafkaBroker}).
 */
class EmbeddedKafkaBrokerTest {

    @Test
    void closeDeletesTheDataDirectoryThatStartMade() {
        Path dataDirectory;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(Map.of())) {
            dataDirectory = broker.dataDirectory();
            assertThat(dataDirectory.getFileName().toString()).startsWith("embedded-kafka-");
            assertThat(dataDirectory).isDirectory();
            assertThat(dataDirectory.resolve("combined_0_0")).as("the broker's log directory").isDirectory();
        }
        assertThat(Files.exists(dataDirectory)).as("deleted by close()").isFalse();
    }
}
