package io.mqttkafka.bridge.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;

import io.mqttkafka.bridge.testing.brokers.MatrixBroker;

/**
 * A private Mosquitto broker ({@code /usr/sbin/mosquitto} or the one on the PATH) on a free loopback port, with
 * its own configuration, log and no persistence (unless {@link #startPersistent started with it}). Configured so the
 * broker itself never throttles or silently drops a benchmark load (see docs/benchmark-plan.md §4), and with a
 * {@code $SYS} tree published every second so callers can read how many messages it dropped anyway.
 */
public final class MosquittoProcess implements MatrixBroker {

    public static final String INSTALL_HINT = "Mosquitto is not installed; install it with: apt-get install -y mosquitto"
            + " (2.0.13 or later keeps the in-flight window; on Debian 12 that is the bookworm-backports package)";
    /** $SYS topics this class follows; values are kept as the broker last published them. */
    public static final String DROPPED = "$SYS/broker/publish/messages/dropped";
    public static final String STORED = "$SYS/broker/store/messages/count";

    /**
     * Mosquitto's {@code max_inflight_messages} (1000 unless the system property
     * {@code mosquitto.max-inflight-messages} says otherwise): the window towards each publisher and subscriber.
     */
    public static final int MAX_INFLIGHT_MESSAGES = Integer.getInteger("mosquitto.max-inflight-messages", 1000);

    /** Per-client queue limit: far above any test's or benchmark case's backlog, so nothing is dropped. */
    private static final int MAX_QUEUED_MESSAGES = 10_000_000;

    /**
     * Debian 12's own Mosquitto, 2.0.11, unpacked beside the installed one (it keeps no in-flight window towards a
     * slow subscriber, see docs/benchmarks.md): {@code apt-get download mosquitto=2.0.11-…} and
     * {@code dpkg -x mosquitto_*.deb /opt/mosquitto-2.0.11}, as {@code .ci/run} does. The system property
     * {@code mosquitto.2.0.11} names another path.
     */
    public static final Path DEBIAN_12_EXECUTABLE = Path.of(System.getProperty("mosquitto.2.0.11",
            "/opt/mosquitto-2.0.11/usr/sbin/mosquitto"));
    public static final String DEBIAN_12_INSTALL_HINT = "Mosquitto 2.0.11 (Debian 12's) is not at "
            + DEBIAN_12_EXECUTABLE + "; unpack it there without replacing the installed one: cd /tmp && apt-get "
            + "download mosquitto=2.0.11-1.2+deb12u2 && dpkg -x mosquitto_2.0.11*.deb /opt/mosquitto-2.0.11 "
            + "(or name it with -Dmosquitto.2.0.11=PATH)";

    private final Path executable;
    private final Path home;
    private final int port;
    /** The second listener's port (see {@link #startWithSecondListener}), or 0. */
    private final int securePort;
    private Process process;
    private final Map<String, Long> sysValues = new ConcurrentHashMap<>();
    private Mqtt5AsyncClient sysClient;

    private MosquittoProcess(Path executable, Path home, int port, int securePort, Process process) {
        this.executable = executable;
        this.home = home;
        this.port = port;
        this.securePort = securePort;
        this.process = process;
    }

    /**
     * For tests that need a real Mosquitto: outside CI they are skipped, saying {@code why} they need it and how to
     * install it, when it is absent; under {@code CI} (whose script installs it) they run and fail instead, so CI
     * never skips them silently.
     */
    public static void assumeInstalledUnlessCi(String why) {
        if (System.getenv("CI") == null) {
            Assumptions.assumeTrue(isInstalled(), "Skipped: " + why + " " + INSTALL_HINT);
        }
    }

    /**
     * For tests that need Debian 12's Mosquitto 2.0.11 ({@link #DEBIAN_12_EXECUTABLE}): skipped with how to get it
     * when it is absent outside CI; under {@code CI} (whose script unpacks it) they run and fail instead.
     */
    public static void assumeDebian12MosquittoUnlessCi(String why) {
        if (System.getenv("CI") == null) {
            Assumptions.assumeTrue(Files.isExecutable(DEBIAN_12_EXECUTABLE), "Skipped: " + why + " "
                    + DEBIAN_12_INSTALL_HINT);
        }
    }

    /** Writes a Mosquitto password file holding {@code user} with {@code password} ({@code mosquitto_passwd}). */
    public static void writePasswordFile(Path file, String user, String password) {
        try {
            Process process = new ProcessBuilder("mosquitto_passwd", "-c", "-b", file.toString(), user, password)
                    .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("mosquitto_passwd failed: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run mosquitto_passwd", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static boolean isInstalled() {
        try {
            executable();
            return true;
        } catch (IllegalStateException absent) {
            return false;
        }
    }

    /** The Mosquitto executable, or an exception telling how to install it. */
    public static Path executable() {
        for (String candidate : List.of("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return Path.of(candidate);
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir, "mosquitto");
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException(INSTALL_HINT);
    }

    /** Writes the configuration into a fresh directory, starts the broker and waits until its port accepts. */
    public static MosquittoProcess start() {
        return start("");
    }

    /** As {@link #start()}, with {@code extraConfig} (whole lines, e.g. {@code message_size_limit 1000\n}) appended. */
    public static MosquittoProcess start(String extraConfig) {
        return FreePorts.startOnFreePort(port -> start(executable(), extraConfig, port, 0, "", true, false));
    }

    /**
     * As {@link #start(String)}, with persistence on: sessions, queued QoS 1/2 messages and retained messages are kept
     * in the broker's directory across {@link #restart()} (written on the clean stop).
     */
    public static MosquittoProcess startPersistent(String extraConfig) {
        return FreePorts.startOnFreePort(port -> start(executable(), extraConfig, port, 0, "", true, true));
    }

    /**
     * As {@link #start()}, plus a second loopback listener on its own port ({@link #securePort()}) with
     * {@code listenerSettings} (whole lines, e.g. {@code cafile}, {@code certfile}, {@code password_file}), and
     * {@code per_listener_settings true}, so that authentication settings apply to that listener only. The first
     * listener stays anonymous plain TCP, for test clients that feed and watch the broker.
     */
    public static MosquittoProcess startWithSecondListener(String listenerSettings) {
        return startWithSecondListener("", listenerSettings);
    }

    /** As above, with {@code extraConfig} (whole lines of global settings) as in {@link #start(String)}. */
    public static MosquittoProcess startWithSecondListener(String extraConfig, String listenerSettings) {
        int securePort = FreePorts.next();
        return FreePorts.startOnFreePort(port -> start(executable(), extraConfig, port, securePort, listenerSettings,
                true, false));
    }

    /**
     * Starts {@code executable} (e.g. {@link #DEBIAN_12_EXECUTABLE}) with its stock settings: only the listener, the log,
     * no persistence and {@code extraConfig} (e.g. a {@code max_queued_messages} large enough for a test's backlog);
     * none of the benchmark settings of {@link #start()}, so its in-flight window is its default.
     */
    public static MosquittoProcess startStock(Path executable, String extraConfig) {
        return startStock(executable, extraConfig, false);
    }

    /**
     * As {@link #startStock}, with persistence on, as Debian's packaged configuration has it: sessions, queued and
     * retained messages are kept across {@link #restart()} (the broker matrix's Mosquitto 2.0.11).
     */
    public static MosquittoProcess startStockPersistent(Path executable, String extraConfig) {
        return startStock(executable, extraConfig, true);
    }

    private static MosquittoProcess startStock(Path executable, String extraConfig, boolean persistent) {
        if (!Files.isExecutable(executable)) {
            throw new IllegalStateException(DEBIAN_12_INSTALL_HINT);
        }
        return FreePorts.startOnFreePort(port -> start(executable, extraConfig, port, 0, "", false, persistent));
    }

    private static MosquittoProcess start(Path executable, String extraConfig, int port, int securePort,
            String listenerSettings, boolean benchmarkSettings, boolean persistent) {
        try {
            Path home = Files.createTempDirectory("mosquitto-process-");
            Path log = home.resolve("mosquitto.log");
            StringBuilder config = new StringBuilder()
                    .append(securePort > 0 ? "per_listener_settings true\n" : "")
                    .append("listener ").append(port).append(" 127.0.0.1\n")
                    .append("allow_anonymous true\n")
                    .append(persistent ? "persistence true\npersistence_location " + home + "/\n" : "persistence false\n")
                    .append("log_dest file ").append(log).append('\n')
                    .append("log_type error\nlog_type warning\nlog_type notice\nlog_type information\n");
            if (benchmarkSettings) {
                config
                        // Sent to MQTT 5 publishers as Receive Maximum; the default 20 would cap every QoS 1/2 publisher
                        // at 20 unacknowledged messages, and the window towards MQTT 3.1.1 subscribers. (Before 2.0.13,
                        // Mosquitto does not keep any window towards a subscriber that acknowledges in order under a
                        // backlog: see docs/benchmarks.md, "Mosquitto 2.0.11 and the in-flight window".)
                        .append("max_inflight_messages ").append(MAX_INFLIGHT_MESSAGES).append('\n')
                        // The default 1000 silently drops QoS 0 (and queue overflow at QoS 1/2) under load. Not 0
                        // ("no maximum"): 2.0.21 answers every QoS 1/2 publish with "quota exceeded" when it is 0.
                        .append("max_queued_messages ").append(MAX_QUEUED_MESSAGES).append("\n")
                        .append("max_queued_bytes 0\n")
                        .append("set_tcp_nodelay true\n")
                        .append("sys_interval 1\n");
            }
            config.append(extraConfig);
            if (securePort > 0) {
                config.append("listener ").append(securePort).append(" 127.0.0.1\n").append(listenerSettings);
            }
            if (isRoot()) {
                // Started as root, Mosquitto switches to user 'mosquitto', which cannot write the log here.
                config.append("user root\n");
            }
            Path configFile = home.resolve("mosquitto.conf");
            Files.writeString(configFile, config);
            MosquittoProcess broker = new MosquittoProcess(executable, home, port, securePort, launch(executable, home));
            try {
                broker.awaitAccepting();
            } catch (RuntimeException e) {
                broker.close();
                throw e;
            }
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start Mosquitto", e);
        }
    }

    private static Process launch(Path executable, Path home) throws IOException {
        return new ProcessBuilder(executable.toString(), "-c", home.resolve("mosquitto.conf").toString())
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("mosquitto.out").toFile()))
                .start();
    }

    /**
     * Stops the broker (SIGTERM, this process only) and starts it again on the same ports with the same configuration
     * file, which re-reads every file it names (certificates, password file): every client is disconnected.
     */
    @Override
    public synchronized void restart() {
        restart(() -> { });
    }

    /** As {@link #restart()}, running {@code whileStopped} between the stop and the start. */
    public synchronized void restart(Runnable whileStopped) {
        Processes.terminate(process, false);
        whileStopped.run();
        try {
            process = launch(executable, home);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot restart Mosquitto", e);
        }
        awaitAccepting();
    }

    private static boolean isRoot() {
        try {
            Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            id.waitFor(10, TimeUnit.SECONDS);
            return "0".equals(uid);
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void awaitAccepting() {
        awaitAccepting(port);
        if (securePort > 0) {
            awaitAccepting(securePort);
        }
    }

    private void awaitAccepting(int port) {
        Awaitility.await("Mosquitto accepting on port " + port).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("Mosquitto exited with " + process.exitValue() + ": " + log());
                    }
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                        return true;
                    } catch (IOException e) {
                        return false;
                    }
                });
    }

    @Override
    public int port() {
        return port;
    }

    /** The second listener's port; only with {@link #startWithSecondListener}. */
    public int securePort() {
        if (securePort == 0) {
            throw new IllegalStateException("This Mosquitto has no second listener");
        }
        return securePort;
    }

    public long pid() {
        return process.pid();
    }

    /** {@code mosquitto -h} prints the version on its first line. */
    public static String version() {
        return version(executable());
    }

    /** The first line of {@code executable -h}, e.g. "mosquitto version 2.0.11". */
    public static String version(Path executable) {
        try {
            Process help = new ProcessBuilder(executable.toString(), "-h").redirectErrorStream(true).start();
            String output = new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            help.waitFor(10, TimeUnit.SECONDS);
            return output.lines().findFirst().orElse("unknown").trim();
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether this Mosquitto keeps the in-flight window towards a subscriber (Receive Maximum with MQTT 5,
     * {@code max_inflight_messages} with MQTT 3.1.1) while that subscriber's acknowledgements lag: 2.0.13 and
     * later. Before that, every in-order PUBACK lets up to a whole window of queued messages into flight, so a
     * backlog goes out all at once (see docs/benchmarks.md, "Mosquitto 2.0.11 and the in-flight window").
     */
    public static boolean keepsInflightWindow() {
        return keepsInflightWindow(version());
    }

    /** {@link #keepsInflightWindow()} for a {@code mosquitto -h} first line such as "mosquitto version 2.0.21". */
    static boolean keepsInflightWindow(String versionLine) {
        Matcher matcher = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)").matcher(versionLine);
        if (!matcher.find()) {
            throw new IllegalStateException("Cannot read Mosquitto's version from '" + versionLine + "'");
        }
        int major = Integer.parseInt(matcher.group(1));
        int minor = Integer.parseInt(matcher.group(2));
        int patch = Integer.parseInt(matcher.group(3));
        return major > 2 || (major == 2 && (minor > 0 || patch >= 13));
    }

    /**
     * Subscribes to the {@code $SYS} counters this class exposes ({@link #DROPPED}, {@link #STORED}). The broker
     * publishes them every second and only when they changed, retained, so the first values arrive at once.
     */
    public synchronized void followSysTopics() {
        if (sysClient != null) {
            return;
        }
        sysClient = MqttClient.builder().identifier("sys-reader-" + port).serverHost("127.0.0.1").serverPort(port)
                .useMqttVersion5().buildAsync();
        try {
            sysClient.connectWith().cleanStart(true).send().get(30, TimeUnit.SECONDS);
            for (String topic : List.of(DROPPED, STORED)) {
                sysClient.subscribeWith().topicFilter(topic).qos(MqttQos.AT_MOST_ONCE)
                        .callback(publish -> sysValues.put(publish.getTopic().toString(),
                                Long.parseLong(new String(publish.getPayloadAsBytes(), StandardCharsets.US_ASCII).trim())))
                        .send().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("Cannot subscribe to Mosquitto's $SYS topics on port " + port, e);
        }
        Awaitility.await("first $SYS values").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> sysValues.containsKey(DROPPED) && sysValues.containsKey(STORED));
    }

    /** The latest value of a followed {@code $SYS} counter (at most about a second old). */
    public long sysValue(String topic) {
        Long value = sysValues.get(topic);
        if (value == null) {
            throw new IllegalStateException("No value for " + topic + " (call followSysTopics first)");
        }
        return value;
    }

    public String log() {
        try {
            Path log = home.resolve("mosquitto.log");
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** Where the broker keeps its configuration and log; gone after {@link #close()}. */
    Path home() {
        return home;
    }

    /** SIGTERM, then waits for the exit (only this process, by its PID), and deletes the broker's directory. */
    @Override
    public synchronized void close() {
        if (sysClient != null) {
            try {
                sysClient.disconnect().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // the broker is being stopped anyway
            }
            sysClient = null;
        }
        try {
            Processes.terminate(process, false);
        } finally {
            WorkDirectories.delete(home);
        }
    }
}
