package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.testing.BridgeProcess;
import io.mqttkafka.bridge.testing.SharedBrokers;

/**
 * Health and metrics are served by the Quarkus management interface of the packaged bridge, on a port of their own and
 * bound to the address {@code quarkus.management.host} names (issue 19): the only TCP port the process listens on, so
 * nothing else of the bridge is reachable over HTTP, and keeping the management address off a public interface keeps
 * everything off it. Loopback only: 127.0.0.1 and 127.0.0.2 stand for two interfaces of the host.
 */
class ManagementInterfaceIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void healthAndMetricsAreServedOnlyOnTheManagementPortOfTheChosenAddress() throws Exception {
        try (BridgeProcess bridge = BridgeProcess.prepare(bridgeYaml(), Map.of("quarkus.management.host", "127.0.0.2"))
                .start()) {
            URI address = bridge.managementAddress();
            assertThat(address.getHost()).isEqualTo("127.0.0.2");
            int port = address.getPort();

            Awaitility.await("readiness up on the management port").atMost(Duration.ofSeconds(60))
                    .until(() -> status("127.0.0.2", port, "/q/health/ready") == 200);
            assertThat(status("127.0.0.2", port, "/q/health/live")).isEqualTo(200);
            HttpResponse<String> metrics = get("127.0.0.2", port, "/q/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("bridge_mqtt_messages_received_total");

            assertThatThrownBy(() -> get("127.0.0.1", port, "/q/health/ready"))
                    .as("the management interface is not reachable on another address of the host")
                    .isInstanceOf(ConnectException.class);
            assertThat(listeningPorts(bridge.pid()))
                    .as("the main HTTP server is off: the management port is the process' only listening socket")
                    .containsExactly(port);
        }
    }

    private static String bridgeYaml() {
        return BridgeProcess.connectionYaml(SharedBrokers.unique("management"), SharedBrokers.unique("management"),
                SharedBrokers.kafka().bootstrapServers()) + """
                  mqtt-to-kafka:
                    - name: temperatures
                      filter: sensors/{site}/{device}/temperature
                      kafka-topic: iot.temperature.{site}
                """;
    }

    private static int status(String host, int port, String path) {
        try {
            return get(host, port, path).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    private static HttpResponse<String> get(String host, int port, String path) throws IOException {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The TCP ports on which process {@code pid} listens: its socket inodes (from {@code /proc/<pid>/fd}) that the
     * kernel's TCP tables list in state LISTEN.
     */
    private static Set<Integer> listeningPorts(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            fds.forEach(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring("socket:[".length(), target.length() - 1));
                    }
                } catch (IOException e) {
                    // A descriptor closed while listing: not a listening socket of interest.
                }
            });
        }
        Set<Integer> ports = new TreeSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path path = Path.of(table);
            if (!Files.exists(path)) {
                continue;
            }
            List<String> lines = Files.readAllLines(path);
            for (String line : lines.subList(1, lines.size())) {
                String[] fields = line.trim().split("\\s+");
                boolean listening = "0A".equals(fields[3]);
                if (listening && inodes.contains(fields[9])) {
                    String local = fields[1];
                    ports.add(Integer.parseInt(local.substring(local.indexOf(':') + 1), 16));
                }
            }
        }
        if (ports.isEmpty()) {
            throw new UncheckedIOException(new IOException("no listening socket found for process " + pid));
        }
        return ports;
    }
}
