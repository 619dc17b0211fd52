package io.mqttkafka.bridge.testing.brokers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;

import io.mqttkafka.bridge.testing.FreePorts;
import io.mqttkafka.bridge.testing.Processes;
import io.mqttkafka.bridge.testing.WorkDirectories;

/**
 * A private Apache ActiveMQ Artemis broker as a separate process: the released distribution (Maven unpacks
 * {@code apache-artemis:<version>:bin} into {@code target/brokers}, system property {@code artemis.home}), an instance
 * made with {@code artemis create} in a fresh directory, its MQTT acceptor (3.1.1 and 5) and its core acceptor on free
 * loopback ports, persistence on (the default file journal), anonymous access, no web console.
 *
 * <p>Not embedded in the test JVM: there Artemis runs on the Quarkus BOM's Netty instead of its own, and closed
 * connections with "malformed packet" as soon as two clients published at once (QoS 1 and 2); the distribution, on its
 * own Netty, does not.
 */
public final class ArtemisProcess implements MatrixBroker {

    private final Path instance;
    private final int port;
    private Process process;

    private ArtemisProcess(Path instance, int port) {
        this.instance = instance;
        this.port = port;
    }

    private static Path home() {
        String home = System.getProperty("artemis.home");
        return home == null ? null : Path.of(home);
    }

    /** Why Artemis cannot run here, or empty. */
    public static Optional<String> unavailable() {
        Path home = home();
        if (home == null || !Files.isExecutable(home.resolve("bin/artemis"))) {
            return Optional.of("the Artemis distribution is not unpacked (system property artemis.home=" + home
                    + "); Maven's process-test-resources phase unpacks it into target/brokers");
        }
        return Optional.empty();
    }

    /** The distribution's version, from its directory name ({@code apache-artemis-2.40.0}). */
    public static String version() {
        Path home = home();
        return home == null ? "unknown" : home.getFileName().toString().replaceFirst("^apache-artemis-", "");
    }

    public static ArtemisProcess start() {
        Path instance;
        try {
            instance = Files.createTempDirectory("artemis-").resolve("instance");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        run(instance.getParent(), home().resolve("bin/artemis").toString(), "create", instance.toString(),
                "--user", "matrix", "--password", "matrix", "--allow-anonymous", "--silent", "--host", "127.0.0.1",
                "--no-web", "--no-amqp-acceptor", "--no-hornetq-acceptor", "--no-stomp-acceptor", "--no-autotune");
        return FreePorts.startOnFreePort(port -> {
            ArtemisProcess broker = new ArtemisProcess(instance, port);
            try {
                Path brokerXml = instance.resolve("etc/broker.xml");
                String xml = Files.readString(brokerXml)
                        .replace("tcp://127.0.0.1:61616?", "tcp://127.0.0.1:" + FreePorts.next() + "?")
                        .replace("tcp://127.0.0.1:1883?", "tcp://127.0.0.1:" + port + "?")
                        // The JVM's own NIO, as everywhere else in these tests.
                        .replace("useEpoll=true", "useEpoll=false");
                Files.writeString(brokerXml, xml);
                broker.launch();
                return broker;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static void run(Path dir, String... command) {
        try {
            Process create = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("create.out").toFile()).start();
            if (!create.waitFor(120, TimeUnit.SECONDS) || create.exitValue() != 0) {
                Processes.terminate(create, true);
                throw new IllegalStateException("artemis create failed: " + Files.readString(dir.resolve("create.out")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void launch() throws IOException {
        ProcessBuilder builder = new ProcessBuilder(instance.resolve("bin/artemis").toString(), "run")
                .directory(instance.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(instance.resolve("artemis.out").toFile()));
        // Its profile's default heap is -Xms512M -Xmx2G; a test broker needs far less.
        builder.environment().put("JAVA_ARGS", "-Xms64M -Xmx512M -XX:+UseG1GC -Dlog4j2.disableJmx=true"
                + " --add-opens java.base/jdk.internal.misc=ALL-UNNAMED");
        process = builder.start();
        Awaitility.await("Artemis accepting MQTT on port " + port).atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("Artemis exited with " + process.exitValue() + ": " + output());
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
            Path out = instance.resolve("artemis.out");
            return Files.exists(out) ? Files.readString(out) : "";
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public int port() {
        return port;
    }

    /** SIGTERM (a clean stop: Artemis flushes its journal), then the same instance again. */
    @Override
    public synchronized void restart() {
        Processes.terminate(process, false);
        try {
            launch();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot restart Artemis", e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            Processes.terminate(process, false);
        } finally {
            WorkDirectories.delete(instance.getParent());
        }
    }
}
