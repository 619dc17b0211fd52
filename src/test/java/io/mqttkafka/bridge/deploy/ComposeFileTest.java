package io.mqttkafka.bridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * {@code deploy/docker-compose.yml} passes {@code docker-compose config} (Debian's docker-compose 1.29 parses and
 * validates a Compose file without a Docker engine), and what Compose does not check is checked here: the files it
 * mounts exist, the bridge is built from deploy/Dockerfile and runs with the same restrictions as in Kubernetes,
 * Mosquitto is 2.0.13 or later, and every port is published on the loopback interface only. Broken copies fail.
 */
class ComposeFileTest {

    private static final Path DEPLOY = Path.of("deploy");
    private static final String COMPOSE = "docker-compose.yml";
    /** An address with nothing behind it: the check must never reach a Docker engine. */
    private static final Map<String, String> NO_ENGINE = Map.of("DOCKER_HOST", "unix:///nonexistent/docker.sock");

    @Test
    void composeFilePassesDockerComposeConfig() {
        ExternalTool.Result result = dockerComposeConfig(DEPLOY);

        assertThat(result.succeeded()).as("%s", result).isTrue();
    }

    @Test
    void composeFileMountsExistingFilesAndRunsTheBridgeRestricted() throws IOException {
        checkCompose(DEPLOY);
    }

    @Test
    void aComposeFileOutsideTheSchemaFailsDockerComposeConfig() {
        Path broken = brokenCopy("condition: service_healthy", "condition: service_healty");

        ExternalTool.Result result = dockerComposeConfig(broken);

        assertThat(result.succeeded()).as("%s", result).isFalse();
        assertThat(result.output()).contains("service_healty");
    }

    @Test
    void aMountOfAMissingFileFailsTheChecks() {
        Path broken = brokenCopy("./mosquitto/mosquitto.conf:", "./mosquitto/mosquito.conf:");

        assertThatThrownBy(() -> checkCompose(broken)).hasMessageContaining("mosquito.conf");
    }

    @Test
    void aPortPublishedOnEveryInterfaceFailsTheChecks() {
        Path broken = brokenCopy("\"127.0.0.1:9090:9090\"", "\"9090:9090\"");

        assertThatThrownBy(() -> checkCompose(broken)).hasMessageContaining("9090:9090");
    }

    @Test
    void anOldMosquittoFailsTheChecks() {
        Path broken = brokenCopy("eclipse-mosquitto:2.0.21", "eclipse-mosquitto:2.0.11");

        assertThatThrownBy(() -> checkCompose(broken)).hasMessageContaining("2.0.11");
    }

    @Test
    void aWritableBridgeFailsTheChecks() {
        Path broken = brokenCopy("    read_only: true\n", "");

        assertThatThrownBy(() -> checkCompose(broken)).hasMessageContaining("read_only");
    }

    /** The image the Compose file builds: the management port, a non-root user, temporary files in /tmp. */
    @Test
    void dockerfileExposesTheManagementPortAndRunsAsANonRootUser() throws IOException {
        checkDockerfile(Files.readString(DEPLOY.resolve("Dockerfile")));
    }

    @Test
    void aDockerfileExposingTheOldHttpPortOrRunningAsRootFailsTheChecks() throws IOException {
        String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));

        assertThatThrownBy(() -> checkDockerfile(dockerfile.replace("EXPOSE 9000", "EXPOSE 8080")))
                .hasMessageContaining("EXPOSE");
        assertThatThrownBy(() -> checkDockerfile(dockerfile.replace("USER 1001", "USER root")))
                .hasMessageContaining("USER");
    }

    static void checkDockerfile(String dockerfile) {
        List<String> instructions = dockerfile.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        assertThat(instructions).as("EXPOSE of the image").filteredOn(l -> l.startsWith("EXPOSE "))
                .containsExactly("EXPOSE 9000");
        List<String> users = instructions.stream().filter(l -> l.startsWith("USER ")).toList();
        assertThat(users).as("USER of the final stage").isNotEmpty();
        assertThat(users.get(users.size() - 1)).as("USER of the final stage (numeric, so runAsNonRoot can verify it)")
                .matches("USER [1-9]\\d*");
        String entrypoint = instructions.stream().filter(l -> l.startsWith("ENTRYPOINT ")).reduce((a, b) -> b).orElse("");
        assertThat(entrypoint).as("ENTRYPOINT").contains("-Djava.io.tmpdir=/tmp").contains("/deployments/quarkus-run.jar");
    }

    private static ExternalTool.Result dockerComposeConfig(Path deployDir) {
        ExternalTool.DOCKER_COMPOSE.require("checks deploy/docker-compose.yml");
        return ExternalTool.DOCKER_COMPOSE.run(deployDir, NO_ENGINE, "", "-f", COMPOSE, "config", "-q");
    }

    private static Path brokenCopy(String from, String to) {
        // deploy/ at the same place relative to a project root, so that the build context ".." resolves alike.
        Path copy = Manifests.copy(Path.of("."), DEPLOY).resolve(DEPLOY);
        Manifests.replace(copy.resolve(COMPOSE), from, to);
        return copy;
    }

    @SuppressWarnings("unchecked")
    static void checkCompose(Path deployDir) throws IOException {
        Map<String, Object> compose = new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(Files.readString(deployDir.resolve(COMPOSE)));
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
        assertThat(services).containsKeys("kafka", "mosquitto", "bridge", "prometheus", "grafana");

        services.forEach((name, service) -> {
            for (Object volume : (List<Object>) service.getOrDefault("volumes", List.of())) {
                String source = volume.toString().split(":")[0];
                if (source.startsWith(".")) {
                    assertThat(deployDir.resolve(source)).as("file mounted by service %s", name).exists();
                }
            }
            for (Object port : (List<Object>) service.getOrDefault("ports", List.of())) {
                assertThat(port.toString()).as("port of service %s published on loopback only", name)
                        .startsWith("127.0.0.1:");
            }
        });

        Map<String, Object> bridge = services.get("bridge");
        Map<String, Object> build = (Map<String, Object>) bridge.get("build");
        Path context = deployDir.resolve((String) build.get("context"));
        assertThat(build.get("dockerfile")).isEqualTo("deploy/Dockerfile");
        assertThat(context.resolve((String) build.get("dockerfile"))).as("Dockerfile in the build context").exists();
        assertThat(bridge.get("read_only")).as("bridge read_only").isEqualTo(true);
        assertThat((List<Object>) bridge.get("tmpfs")).as("bridge tmpfs").contains("/tmp");
        assertThat((List<Object>) bridge.get("cap_drop")).as("bridge cap_drop").containsExactly("ALL");
        assertThat((List<Object>) bridge.get("security_opt")).as("bridge security_opt").contains("no-new-privileges:true");
        assertThat((List<Object>) bridge.get("ports")).as("bridge publishes the management port")
                .contains("127.0.0.1:9000:9000");

        String mosquittoImage = (String) services.get("mosquitto").get("image");
        Matcher version = Pattern.compile(":(\\d+)\\.(\\d+)\\.(\\d+)$").matcher(mosquittoImage);
        assertThat(version.find()).as("Mosquitto image with a version: %s", mosquittoImage).isTrue();
        int[] v = {Integer.parseInt(version.group(1)), Integer.parseInt(version.group(2)), Integer.parseInt(version.group(3))};
        assertThat(v[0] > 2 || v[0] == 2 && (v[1] > 0 || v[2] >= 13)).as("Mosquitto 2.0.13 or later: %s", mosquittoImage)
                .isTrue();

        // Prometheus loads the rules next to its configuration; Grafana gets the dashboard and its provisioning.
        assertThat((List<Object>) services.get("prometheus").get("volumes")).contains(
                "./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
                "./prometheus/alerts.yaml:/etc/prometheus/alerts.yaml:ro");
        assertThat((List<Object>) services.get("grafana").get("volumes")).anyMatch(
                v2 -> v2.toString().startsWith("./grafana/mqtt-kafka-bridge.json:"));
    }
}
