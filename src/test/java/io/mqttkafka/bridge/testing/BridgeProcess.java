package io.mqttkafka.bridge.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;

/**
 * The packaged bridge ({@code target/quarkus-app/quarkus-run.jar}) as its own process, the way it is
 * deployed: configuration from {@code config/application.yaml} in its working directory, overrides as
 * system properties. Lets tests kill it for real (SIGKILL, no shutdown hook) and restart it.
 */
public final class BridgeProcess implements AutoCloseable {

    private static final String SUBSCRIBED = "Subscribed to '";
    private static final String MANAGEMENT_LISTENING = "Management interface listening on http://";

    private final Path workDir;
    private final Map<String, String> overrides;
    private final Path log;
    private Process process;
    private int subscribedBeforeStart;
    /** Where the current run's output starts in the (appended) log, so a restart waits for its own lines. */
    private int logLengthAtStart;
    private String heap = "256m";
    private List<String> jvmOptions = List.of();
    private Map<String, String> environment = Map.of();

    private BridgeProcess(Path workDir, Map<String, String> overrides) {
        this.workDir = workDir;
        this.overrides = overrides;
        this.log = workDir.resolve("bridge.log");
    }

    /** Writes {@code config/application.yaml} into a fresh working directory; starts nothing yet. */
    public static BridgeProcess prepare(String applicationYaml, Map<String, String> overrides) {
        try {
            Path workDir = Files.createTempDirectory("bridge-process-");
            Files.createDirectories(workDir.resolve("config"));
            Files.writeString(workDir.resolve("config/application.yaml"), applicationYaml);
            return new BridgeProcess(workDir, overrides);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The start of an {@code application.yaml} for a test bridge: its id, the shared MQTT broker with fast
     * reconnects, and Kafka. It ends inside {@code bridge.kafka}, so callers may add Kafka properties
     * (indented by four spaces) before the mappings (indented by two).
     */
    public static String connectionYaml(String bridgeId, String clientId, String kafkaBootstrapServers) {
        return connectionYaml(bridgeId, clientId, kafkaBootstrapServers, SharedBrokers.mqtt().port());
    }

    /** As above, with the MQTT broker on {@code mqttPort} of 127.0.0.1 (e.g. a Mosquitto of the test's own). */
    public static String connectionYaml(String bridgeId, String clientId, String kafkaBootstrapServers, int mqttPort) {
        return """
                bridge:
                  id: %s
                  mqtt:
                    host: 127.0.0.1
                    port: %d
                    client-id: %s
                    reconnect-initial-delay: 100ms
                    reconnect-max-delay: 1s
                  kafka:
                    bootstrap-servers: %s
                """.formatted(bridgeId, mqttPort, clientId, kafkaBootstrapServers);
    }

    public static Path applicationJar() {
        Path jar = Path.of(System.getProperty("bridge.app.jar", "target/quarkus-app/quarkus-run.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("Packaged bridge not found at " + jar.toAbsolutePath()
                    + "; integration tests run after 'package' (mvn verify)");
        }
        return jar.toAbsolutePath();
    }

    /** Extra JVM options for the next start, e.g. a flight recording. */
    public BridgeProcess jvmOptions(List<String> options) {
        this.jvmOptions = List.copyOf(options);
        return this;
    }

    /** Environment variables for the next start, on top of this JVM's (e.g. configuration overrides). */
    public BridgeProcess environment(Map<String, String> variables) {
        this.environment = Map.copyOf(variables);
        return this;
    }

    /** Sets the heap limit ({@code -Xmx}) for the next start; an OutOfMemoryError ends the process. */
    public BridgeProcess heap(String maxHeap) {
        this.heap = maxHeap;
        return this;
    }

    /** The operating-system process id of the current run, e.g. to read its CPU time and memory from /proc. */
    public long pid() {
        return process.pid();
    }

    /** Whether the process is running (false after an exit, e.g. on OutOfMemoryError). */
    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /**
     * The management port of the current run (health and metrics; Quarkus logs it once listening). Tests start the
     * bridge on a free port ({@code quarkus.management.port=0}) bound to loopback unless they override it.
     */
    public int managementPort() {
        return managementAddress().getPort();
    }

    /** The address the management interface of the current run listens on, as Quarkus logs it. */
    public java.net.URI managementAddress() {
        awaitLog(MANAGEMENT_LISTENING);
        String log = log();
        int at = log.indexOf(MANAGEMENT_LISTENING, logLengthAtStart) + MANAGEMENT_LISTENING.length();
        int end = at;
        // Host and port only: the line ends the address with a full stop ("... listening on http://0.0.0.0:9000."),
        // and in JSON logs the message's closing quote follows.
        while (end < log.length()
                && (Character.isLetterOrDigit(log.charAt(end)) || ".:[]-".indexOf(log.charAt(end)) >= 0)) {
            end++;
        }
        return java.net.URI.create("http://" + log.substring(at, end).replaceAll("\\.$", ""));
    }

    /**
     * Sum of the Prometheus samples of {@code metric} (e.g. {@code bridge_messages_dropped_total}) whose
     * labels contain {@code labelFilter} (empty for all), read from {@code /q/metrics}.
     */
    public double metric(String metric, String labelFilter) {
        return PrometheusMetrics.sum(java.net.URI.create("http://127.0.0.1:" + managementPort() + "/q/metrics"), metric,
                labelFilter);
    }

    /** HTTP status of {@code /q/health/ready}: 200 when both brokers are reachable, 503 otherwise. */
    public int readinessStatus() {
        try {
            return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + managementPort() + "/q/health/ready")).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts the process; output goes to {@code bridge.log} in the working directory (appended). */
    public synchronized BridgeProcess start() {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + heap);
        command.add("-XX:+ExitOnOutOfMemoryError");
        command.addAll(jvmOptions);
        command.add("-Dquarkus.management.port=0");
        if (!overrides.containsKey("quarkus.management.host")) {
            command.add("-Dquarkus.management.host=127.0.0.1");
        }
        overrides.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-jar");
        command.add(applicationJar().toString());
        subscribedBeforeStart = count(SUBSCRIBED);
        logLengthAtStart = log().length();
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(environment);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the packaged bridge", e);
        }
        return this;
    }

    /** Waits until the log shows that the broker accepted this run's subscriptions (logged at INFO). */
    public void awaitSubscribed(int expectedSubscriptions) {
        Awaitility.await("bridge process subscribed").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("Bridge process exited with " + process.exitValue() + ":\n" + log());
                    }
                    return count(SUBSCRIBED) >= subscribedBeforeStart + expectedSubscriptions;
                });
    }

    /** Waits until this run of the process logged {@code text} (e.g. a Kafka partition assignment). */
    public void awaitLog(String text) {
        Awaitility.await("bridge process logged '" + text + "'").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("Bridge process exited with " + process.exitValue() + ":\n" + log());
                    }
                    return log().indexOf(text, logLengthAtStart) >= 0;
                });
    }

    private int count(String text) {
        String content = log();
        int count = 0;
        for (int i = content.indexOf(text); i >= 0; i = content.indexOf(text, i + 1)) {
            count++;
        }
        return count;
    }

    /**
     * SIGSTOP: the process freezes with its connections open, so the brokers see it neither leave nor send anything
     * (an MQTT broker notices only after 1.5 × keep-alive). Only this process, by its PID; {@link #kill()} ends it.
     */
    public synchronized void pause() {
        Processes.signal(process, "-STOP");
    }

    /** SIGCONT after {@link #pause()}: the process goes on where it froze. */
    public synchronized void resume() {
        Processes.signal(process, "-CONT");
    }

    /** SIGKILL: no shutdown hook runs, nothing in flight is acknowledged. */
    public synchronized void kill() {
        terminate(true);
    }

    /** SIGTERM: the graceful shutdown path. */
    public synchronized void stop() {
        terminate(false);
    }

    /**
     * SIGTERM, then waits for the process to exit by itself: no escalation to SIGKILL, which would hide a shutdown that
     * hangs. Returns the exit code; fails when the process is still running after {@code timeout}.
     */
    public synchronized int stopGracefully(Duration timeout) {
        process.destroy();
        return awaitExit(timeout);
    }

    private void terminate(boolean forcibly) {
        Processes.terminate(process, forcibly);
    }

    /** Waits for the process to exit by itself and returns its exit code. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("Bridge process still running after " + timeout + ":\n" + log());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** The bridge's working directory (configuration and log); gone after {@link #close()}. */
    Path workDir() {
        return workDir;
    }

    /** Kills the bridge and deletes its working directory. */
    @Override
    public void close() {
        try {
            kill();
        } finally {
            WorkDirectories.delete(workDir);
        }
    }
}
