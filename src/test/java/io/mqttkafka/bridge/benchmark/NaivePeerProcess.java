package io.mqttkafka.bridge.benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.mqttkafka.bridge.testing.Processes;

/**
 * The naive Quarkus peer (bench/naive-bridge, built with -Ppin-netty-mqtt) as a process for one QoS. Its
 * settings are environment variables read by its application.properties.
 */
final class NaivePeerProcess implements AutoCloseable {

    static final Path JAR = Path.of("bench/naive-bridge/target/quarkus-app/quarkus-run.jar");

    private final List<String> command;
    private final Map<String, String> environment;
    private final Path log;
    private Process process;

    private NaivePeerProcess(List<String> command, Map<String, String> environment, Path log) {
        this.command = command;
        this.environment = environment;
        this.log = log;
    }

    /**
     * Starts a peer subscribing to {@code mqttFilter} at {@code qos} and writing to {@code kafkaTopic}; its overflow
     * buffer holds {@code bufferSize} messages (the "tuned" setting: at least the messages of one case).
     */
    static NaivePeerProcess start(int mqttPort, String mqttFilter, int qos, String bootstrapServers, String kafkaTopic,
            int bufferSize, Path logDirectory) {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException("Naive peer not built: " + JAR.toAbsolutePath()
                    + " is missing; run mvn -B -f bench/naive-bridge/pom.xml -Ppin-netty-mqtt package -DskipTests");
        }
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + BenchmarkRig.NAIVE_HEAP, "-XX:+ExitOnOutOfMemoryError", "-jar", JAR.toAbsolutePath().toString());
        Map<String, String> environment = Map.of(
                "MQTT_HOST", "127.0.0.1",
                "MQTT_PORT", Integer.toString(mqttPort),
                "MQTT_TOPIC", mqttFilter,
                "MQTT_QOS", Integer.toString(qos),
                "MQTT_CLIENT_ID", "naive-bridge-q" + qos,
                "MQTT_BUFFER_SIZE", Integer.toString(bufferSize),
                "KAFKA_BOOTSTRAP", bootstrapServers,
                "KAFKA_TOPIC", kafkaTopic);
        NaivePeerProcess peer = new NaivePeerProcess(command, environment, logDirectory.resolve("naive-q" + qos + ".log"));
        peer.start();
        return peer;
    }

    /** (Re)starts the process, e.g. after its channel failed and it was stopped. */
    void start() {
        // Its own working directory: in the project directory Quarkus would find the bridge's config/application.yaml.
        ProcessBuilder builder = new ProcessBuilder(command).directory(log.getParent().toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(environment);
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the naive peer", e);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    @Override
    public void close() {
        Processes.terminate(process, false);
    }
}
