package io.mqttkafka.bridge.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.awaitility.Awaitility;

/**
 * A real Kafka broker (KRaft, combined broker and controller) in its own JVM process, on a fixed loopback
 * port, with a data directory that survives {@link #stop()} / {@link #kill()} and {@link #startAgain()}.
 * For tests that take Kafka away and bring it back, which an in-process cluster cannot do on the same port.
 * {@link #close()} kills the broker and deletes the data directory.
 */
public final class KafkaBrokerProcess implements AutoCloseable {

    private final Path home;
    private final int port;
    private Process process;

    private KafkaBrokerProcess(Path home, int port) {
        this.home = home;
        this.port = port;
    }

    /** Formats a fresh data directory and starts the broker; blocks until it serves requests. */
    public static KafkaBrokerProcess start(Map<String, String> brokerSettings) {
        return FreePorts.startOnFreePort(port -> start(brokerSettings, port, FreePorts.next()));
    }

    private static KafkaBrokerProcess start(Map<String, String> brokerSettings, int port, int controllerPort) {
        try {
            Path home = Files.createTempDirectory("kafka-process-");
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("process.roles", "broker,controller");
            settings.put("node.id", "1");
            settings.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
            settings.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
            settings.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
            settings.put("controller.listener.names", "CONTROLLER");
            settings.put("inter.broker.listener.name", "PLAINTEXT");
            settings.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            settings.put("log.dirs", home.resolve("data").toString());
            settings.put("num.partitions", "3");
            settings.put("offsets.topic.replication.factor", "1");
            settings.put("transaction.state.log.replication.factor", "1");
            settings.put("transaction.state.log.min.isr", "1");
            settings.put("share.coordinator.state.topic.replication.factor", "1");
            settings.put("share.coordinator.state.topic.min.isr", "1");
            settings.put("group.initial.rebalance.delay.ms", "0");
            settings.putAll(brokerSettings);
            StringBuilder properties = new StringBuilder();
            settings.forEach((key, value) -> properties.append(key).append('=').append(value).append('\n'));
            Files.writeString(home.resolve("server.properties"), properties);

            KafkaBrokerProcess broker = new KafkaBrokerProcess(home, port);
            Process format = broker.java("kafka.tools.StorageTool", "format", "--cluster-id", Uuid.randomUuid().toString(),
                    "--config", home.resolve("server.properties").toString(), "--ignore-formatted")
                    .redirectOutput(home.resolve("format.log").toFile()).redirectErrorStream(true).start();
            if (!format.waitFor(120, TimeUnit.SECONDS) || format.exitValue() != 0) {
                throw new IllegalStateException("Formatting Kafka storage failed: " + Files.readString(home.resolve("format.log")));
            }
            broker.startAgain();
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts the broker process on the same port and data directory; blocks until it serves requests. */
    public synchronized void startAgain() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("Kafka broker process already running on port " + port);
        }
        try {
            process = java("kafka.Kafka", home.resolve("server.properties").toString())
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("kafka.log").toFile()))
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the Kafka broker process", e);
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000"))) {
            // The exit check is outside the condition: ignoreExceptions would swallow it and wait the full two minutes
            // for a process that is gone (e.g. one whose port was taken).
            Awaitility.await("Kafka broker process on port " + port).atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> !process.isAlive() || !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty());
        }
        if (!process.isAlive()) {
            throw new IllegalStateException("Kafka broker process exited: " + log());
        }
    }

    /** Whether the broker process runs (started and not stopped or killed since). */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Clean shutdown (SIGTERM), as an operator would do it. */
    public synchronized void stop() {
        terminate(false);
    }

    /**
     * SIGSTOP: the broker freezes with its connections open, so clients see it slow (requests time out)
     * rather than gone. Only this test's own process, by PID.
     */
    public synchronized void pause() {
        signal("-STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    public synchronized void resume() {
        signal("-CONT");
    }

    private void signal(String signal) {
        Processes.signal(process, signal);
    }

    /** SIGKILL: no shutdown hooks, no flush. */
    public synchronized void kill() {
        terminate(true);
    }

    private void terminate(boolean forcibly) {
        Processes.terminate(process, forcibly);
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** The broker's process id (for measuring its CPU); it changes with every start. */
    public long pid() {
        return process.pid();
    }

    public String log() {
        try {
            return Files.readString(home.resolve("kafka.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Where the broker keeps its configuration, data and log; gone after {@link #close()}. */
    Path home() {
        return home;
    }

    /** Kills the broker (SIGKILL: nothing of it is kept) and deletes its data directory. */
    @Override
    public void close() {
        try {
            kill();
        } finally {
            WorkDirectories.delete(home);
        }
    }

    private ProcessBuilder java(String mainClass, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx512m");
        command.add("-XX:+UseSerialGC");
        command.add("-cp");
        command.add(testClassPath());
        command.add(mainClass);
        command.addAll(List.of(arguments));
        return new ProcessBuilder(command).directory(home.toFile());
    }

    /** Surefire and Failsafe run tests from a manifest-only jar; the real class path is in this property. */
    static String testClassPath() {
        String classPath = System.getProperty("surefire.test.class.path");
        return classPath != null ? classPath : System.getProperty("java.class.path");
    }

}
