package io.mqttkafka.bridge.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The brokers and bridges that tests and the benchmark start as processes delete their temporary directories when
 * closed. Before, every test run left a Kafka data directory, Mosquitto and bridge directories behind, and every
 * benchmark run a Kafka data directory of hundreds of megabytes.
 */
class ProcessWorkDirectoriesTest {

    @Test
    void aKafkaBrokerProcessDeletesItsDataWhenClosed() {
        Path home;
        try (KafkaBrokerProcess kafka = KafkaBrokerProcess.start(Map.of())) {
            home = kafka.home();
            assertThat(home.resolve("data")).as("the broker's log directory").isDirectory();
            assertThat(home.resolve("kafka.log")).as("the broker's output").isRegularFile();
        }
        assertThat(Files.exists(home)).as("deleted by close()").isFalse();
    }

    @Test
    void aMosquittoProcessDeletesItsDirectoryWhenClosed() {
        MosquittoProcess.assumeInstalledUnlessCi("this test starts a real Mosquitto.");
        Path home;
        try (MosquittoProcess mosquitto = MosquittoProcess.start()) {
            home = mosquitto.home();
            assertThat(home.resolve("mosquitto.conf")).isRegularFile();
        }
        assertThat(Files.exists(home)).as("deleted by close()").isFalse();
    }

    @Test
    void aBridgeProcessDeletesItsWorkingDirectoryWhenClosed() {
        Path workDir;
        try (BridgeProcess bridge = BridgeProcess.prepare("bridge:\n  id: cleanup-test\n", Map.of())) {
            workDir = bridge.workDir();
            assertThat(workDir.resolve("config/application.yaml")).isRegularFile();
        }
        assertThat(Files.exists(workDir)).as("deleted by close()").isFalse();
    }
}
