package io.mqttkafka.bridge.testing.brokers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.awaitility.Awaitility;

import io.mqttkafka.bridge.testing.FreePorts;
import io.mqttkafka.bridge.testing.Processes;
import io.mqttkafka.bridge.testing.WorkDirectories;

/**
 * A private RabbitMQ node (Debian's {@code rabbitmq-server} package) with its MQTT plugin, as a process of this test:
 * its own node name, data, log and configuration directory, every listener on loopback (AMQP, MQTT, Erlang
 * distribution), and its own Erlang port mapper ({@code epmd}) on a private loopback port, started here in the
 * foreground so that it ends with the test by its PID (the node would otherwise start a shared one as a daemon). The
 * CLI tools are not used: the plugin is enabled by the {@code enabled_plugins} file, and the node is ready when its
 * MQTT port accepts. A clean stop is SIGTERM to the start script, which stops the node; its data stays for a
 * restart.
 */
public final class RabbitMqProcess implements MatrixBroker {

    public static final Path HOME = Path.of("/usr/lib/rabbitmq");
    public static final String INSTALL_HINT = "RabbitMQ is not installed; install it with: apt-get install -y rabbitmq-server"
            + " (this test runs private nodes; no system service is needed, stop the one the package may start)";

    private final Path dir;
    private final int mqttPort;
    private final int amqpPort;
    private final int distPort;
    private final int epmdPort;
    private Process epmd;
    private Process node;

    private RabbitMqProcess(Path dir, int mqttPort) {
        this.dir = dir;
        this.mqttPort = mqttPort;
        this.amqpPort = FreePorts.next();
        this.distPort = FreePorts.next();
        this.epmdPort = FreePorts.next();
    }

    /** Why RabbitMQ cannot run here (its start script or {@code epmd} missing), or empty. */
    public static Optional<String> unavailable() {
        if (!Files.isExecutable(HOME.resolve("bin/rabbitmq-server")) || !Files.isExecutable(Path.of("/usr/bin/epmd"))) {
            return Optional.of(INSTALL_HINT);
        }
        return Optional.empty();
    }

    /** "3.10.8", from the name of the installed server's directory. */
    public static String version() {
        try (Stream<Path> entries = Files.list(HOME.resolve("lib"))) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("rabbitmq_server-"))
                    .map(n -> n.substring("rabbitmq_server-".length())).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Whether the installed RabbitMQ speaks MQTT 5 (its MQTT plugin does from 3.13 on; Debian 12 has 3.10.8). */
    public static boolean speaksMqtt5() {
        java.util.regex.Matcher version = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(version());
        if (!version.find()) {
            return false;
        }
        int major = Integer.parseInt(version.group(1));
        int minor = Integer.parseInt(version.group(2));
        return major > 3 || (major == 3 && minor >= 13);
    }

    public static RabbitMqProcess start() {
        return FreePorts.startOnFreePort(port -> {
            try {
                RabbitMqProcess broker = new RabbitMqProcess(Files.createTempDirectory("rabbitmq-"), port);
                broker.writeConfiguration();
                broker.launch();
                return broker;
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot start RabbitMQ", e);
            }
        });
    }

    private void writeConfiguration() throws IOException {
        Files.writeString(dir.resolve("rabbitmq.conf"), """
                listeners.tcp.default = 127.0.0.1:%d
                mqtt.listeners.tcp.default = 127.0.0.1:%d
                mqtt.allow_anonymous = true
                log.console = false
                log.file.level = info
                """.formatted(amqpPort, mqttPort));
        Files.writeString(dir.resolve("enabled_plugins"), "[rabbitmq_mqtt].\n");
    }

    private void launch() throws IOException {
        try {
            epmd = new ProcessBuilder("/usr/bin/epmd", "-port", Integer.toString(epmdPort), "-address", "127.0.0.1")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("epmd.out").toFile()).start();
            awaitAccepting(epmdPort, epmd, Duration.ofSeconds(30));
            ProcessBuilder builder = new ProcessBuilder(HOME.resolve("bin/rabbitmq-server").toString())
                    .directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("rabbitmq.out").toFile()));
            Map<String, String> env = builder.environment();
            env.put("HOME", dir.toString()); // the Erlang cookie goes here, not into root's home
            env.put("RABBITMQ_NODENAME", "matrix-" + mqttPort + "@localhost");
            env.put("RABBITMQ_BASE", dir.toString());
            env.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq").toString());
            env.put("RABBITMQ_ADVANCED_CONFIG_FILE", dir.resolve("advanced.config").toString());
            env.put("RABBITMQ_CONF_ENV_FILE", dir.resolve("rabbitmq-env.conf").toString());
            env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
            env.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
            env.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
            env.put("RABBITMQ_PLUGINS_EXPAND_DIR", dir.resolve("plugins-expand").toString());
            env.put("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
            env.put("RABBITMQ_DIST_PORT", Integer.toString(distPort));
            env.put("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}");
            env.put("ERL_EPMD_PORT", Integer.toString(epmdPort));
            env.put("ERL_EPMD_ADDRESS", "127.0.0.1");
            node = builder.start();
            awaitAccepting(mqttPort, node, Duration.ofSeconds(90));
        } catch (RuntimeException | IOException e) {
            stopProcesses();
            throw e;
        }
    }

    private void awaitAccepting(int port, Process process, Duration timeout) {
        Awaitility.await("RabbitMQ (" + dir + ") accepting on port " + port).atMost(timeout)
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("RabbitMQ exited with " + process.exitValue() + ": " + output());
                    }
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                        return true;
                    } catch (IOException e) {
                        return false;
                    }
                });
    }

    private String output() {
        try {
            Path out = dir.resolve("rabbitmq.out");
            return Files.exists(out) ? Files.readString(out) : "";
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM to the start script (it stops the node and waits for it), then to our epmd; by PID only. */
    private void stopProcesses() {
        Processes.terminate(node, false);
        node = null;
        Processes.terminate(epmd, false);
        epmd = null;
    }

    @Override
    public int port() {
        return mqttPort;
    }

    @Override
    public synchronized void restart() {
        stopProcesses();
        try {
            launch();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot restart RabbitMQ", e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            stopProcesses();
        } finally {
            WorkDirectories.delete(dir);
        }
    }
}
