package io.mqttkafka.bridge.deploy;

import static io.mqttkafka.bridge.deploy.Manifests.at;
import static io.mqttkafka.bridge.deploy.Manifests.named;
import static io.mqttkafka.bridge.deploy.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The kustomize base in {@code deploy/kubernetes} renders ({@code kubectl kustomize}, kustomize 2.0.3 in Debian's
 * kubectl 1.20 to 5.x) and every rendered object validates offline against the Kubernetes 1.36.0 schemas
 * (src/test/kubernetes-schema, kubernetes-models 5.1.0: types, required fields, enumerations). Fields a type does not
 * have, which that validator does not report, are found through the fabric8 Kubernetes model ({@link UnknownFields}),
 * and the fields that matter are asserted one by one. Each check is shown to fail on a copy broken on purpose.
 */
class KubernetesManifestsTest {

    /** The heap the benchmark ran the bridge with under full load, and the most memory the process then used. */
    private static final long MEASURED_HEAP_MIB = 256;
    private static final long MEASURED_PEAK_RSS_MB = 443;
    private static final int MANAGEMENT_PORT = 9000;

    /** Every test renders; without kubectl they skip here, not inside an assertion that expects a failure. */
    @BeforeEach
    void requireKustomize() {
        Manifests.requireKustomize();
    }

    @Test
    void baseRendersAndEveryObjectValidatesAgainstTheKubernetesSchemas() {
        String rendered = Manifests.render(Manifests.BASE);

        String report = Manifests.validate(rendered);

        assertThat(report).contains("kubernetes-schema 1.36.0");
        assertThat(Manifests.objects(rendered)).extracting(o -> (String) o.get("kind")).containsExactlyInAnyOrder(
                "ServiceAccount", "ConfigMap", "Service", "StatefulSet", "PodDisruptionBudget");
    }

    @Test
    void noRenderedObjectHasAFieldItsKubernetesTypeDoesNotHave() throws Exception {
        List<Map<String, Object>> objects = new java.util.ArrayList<>(Manifests.objects(Manifests.render(Manifests.BASE)));
        objects.addAll(Manifests.objects(Files.readString(Manifests.SECRET_EXAMPLE)));

        assertThat(UnknownFields.in(objects)).isEmpty();
    }

    @Test
    void aMisspelledFieldIsReported() {
        Path broken = Manifests.copy(Manifests.BASE);
        Manifests.replace(broken.resolve("statefulset.yaml"), "readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true");
        Manifests.replace(broken.resolve("service.yaml"), "publishNotReadyAddresses: true", "publishNotReadyAddress: true");

        assertThat(UnknownFields.in(Manifests.objects(Manifests.render(broken)))).containsExactlyInAnyOrder(
                "StatefulSet/mqtt-kafka-bridge.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem",
                "Service/mqtt-kafka-bridge.spec.publishNotReadyAddress");
    }

    @Test
    void serviceMonitorRendersAndValidatesAndSelectsTheBridgeService() {
        String rendered = Manifests.render(Manifests.SERVICE_MONITOR);
        Manifests.validate(rendered);

        checkServiceMonitor(Manifests.objects(rendered), Manifests.objects(Manifests.render(Manifests.BASE)));
    }

    @Test
    void theExampleSecretValidatesAndHoldsEveryKeyTheStatefulSetReads() throws Exception {
        String secret = Files.readString(Manifests.SECRET_EXAMPLE);
        Manifests.validate(secret);

        checkSecretKeys(Manifests.objects(Manifests.render(Manifests.BASE)), Manifests.objects(secret));
    }

    @Test
    void statefulSetIsRestrictedProbedAndSizedForTheMeasuredHeap() {
        checkStatefulSet(Manifests.objects(Manifests.render(Manifests.BASE)));
    }

    @Test
    void serviceAndDisruptionBudgetSelectTheBridgePods() {
        checkSelectors(Manifests.objects(Manifests.render(Manifests.BASE)));
    }

    // A copy broken on purpose fails each check.

    @Test
    void aKustomizationNamingAMissingFileFailsToRender() {
        Path broken = Manifests.copy(Manifests.BASE);
        Manifests.replace(broken.resolve("kustomization.yaml"), "- service.yaml", "- servce.yaml");

        assertThatThrownBy(() -> Manifests.render(broken)).hasMessageContaining("kustomize cannot render");
    }

    @Test
    void anObjectOutsideTheSchemaFailsValidation() {
        Path broken = Manifests.copy(Manifests.BASE);
        Manifests.replace(broken.resolve("statefulset.yaml"), "containerPort: 9000", "containerPort: management");
        Manifests.replace(broken.resolve("pod-disruption-budget.yaml"), "maxUnavailable: 1\n", "");
        Manifests.replace(broken.resolve("pod-disruption-budget.yaml"), "apiVersion: policy/v1", "apiVersion: policy/v2");

        String rendered = Manifests.render(broken);
        Manifests.requireValidator();

        assertThatThrownBy(() -> Manifests.validate(rendered)).hasMessageContaining("Objects do not validate")
                .hasMessageContaining("containerPort must be integer")
                .hasMessageContaining("policy/v2 PodDisruptionBudget mqtt-kafka-bridge: no schema");
    }

    @Test
    void aStatefulSetWithoutTheRestrictedSecurityContextFailsTheChecks() {
        Path broken = Manifests.copy(Manifests.BASE);
        Manifests.replace(broken.resolve("statefulset.yaml"), "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false");

        assertThatThrownBy(() -> checkStatefulSet(Manifests.objects(Manifests.render(broken))))
                .hasMessageContaining("readOnlyRootFilesystem");
    }

    @Test
    void aStatefulSetProbingTheOldHttpPortFailsTheChecks() {
        Path broken = Manifests.copy(Manifests.BASE);
        Manifests.replace(broken.resolve("statefulset.yaml"), "containerPort: 9000", "containerPort: 8080");

        assertThatThrownBy(() -> checkStatefulSet(Manifests.objects(Manifests.render(broken))))
                .hasMessageContaining("containerPort");
    }

    @Test
    void aStatefulSetWithoutTheClientIdFromThePodNameFailsTheChecks() {
        Path broken = Manifests.copy(Manifests.BASE);
        Manifests.replace(broken.resolve("statefulset.yaml"), "fieldPath: metadata.name", "fieldPath: metadata.uid");

        assertThatThrownBy(() -> checkStatefulSet(Manifests.objects(Manifests.render(broken))))
                .hasMessageContaining("BRIDGE_MQTT_CLIENT_ID");
    }

    @Test
    void aMemoryLimitBelowTheMeasuredNeedFailsTheChecks() {
        Path broken = Manifests.copy(Manifests.BASE);
        Manifests.replace(broken.resolve("statefulset.yaml"), "memory: 640Mi", "memory: 300Mi");

        assertThatThrownBy(() -> checkStatefulSet(Manifests.objects(Manifests.render(broken))))
                .hasMessageContaining("memory");
    }

    @Test
    void aDisruptionBudgetSelectingOtherPodsFailsTheChecks() {
        Path broken = Manifests.copy(Manifests.BASE);
        Manifests.replace(broken.resolve("pod-disruption-budget.yaml"), "app.kubernetes.io/component: bridge\n",
                "app.kubernetes.io/component: brige\n");

        assertThatThrownBy(() -> checkSelectors(Manifests.objects(Manifests.render(broken))))
                .hasMessageContaining("PodDisruptionBudget");
    }

    @Test
    void aSecretMissingAKeyFailsTheChecks() throws Exception {
        String secret = Files.readString(Manifests.SECRET_EXAMPLE).replace("  kafka-password: change-me\n", "");

        assertThatThrownBy(() -> checkSecretKeys(Manifests.objects(Manifests.render(Manifests.BASE)),
                Manifests.objects(secret))).hasMessageContaining("kafka-password");
    }

    // The checks.

    private static Map<String, Object> podSpec(List<Map<String, Object>> objects) {
        return at(only(objects, "StatefulSet"), "spec", "template", "spec");
    }

    private static Map<String, Object> bridgeContainer(List<Map<String, Object>> objects) {
        List<Map<String, Object>> containers = at(podSpec(objects), "containers");
        return named(containers, "bridge");
    }

    static void checkStatefulSet(List<Map<String, Object>> objects) {
        Map<String, Object> statefulSet = only(objects, "StatefulSet");
        Map<String, Object> pod = podSpec(objects);
        Map<String, Object> container = bridgeContainer(objects);

        // Restricted pod security standard: non-root, no privilege escalation, all capabilities dropped,
        // RuntimeDefault seccomp; and a read-only root file system.
        assertThat((Object) at(pod, "securityContext", "runAsNonRoot")).as("pod runAsNonRoot").isEqualTo(true);
        assertThat((Object) at(pod, "securityContext", "seccompProfile", "type")).as("pod seccompProfile")
                .isEqualTo("RuntimeDefault");
        assertThat((Integer) at(pod, "securityContext", "runAsUser")).as("pod runAsUser").isPositive();
        assertThat((Object) at(container, "securityContext", "allowPrivilegeEscalation"))
                .as("container allowPrivilegeEscalation").isEqualTo(false);
        assertThat((Object) at(container, "securityContext", "readOnlyRootFilesystem")).as("container readOnlyRootFilesystem")
                .isEqualTo(true);
        assertThat((Object) at(container, "securityContext", "capabilities", "drop")).as("container capabilities drop")
                .isEqualTo(List.of("ALL"));
        assertThat((Object) at(container, "securityContext", "capabilities", "add")).as("container capabilities add")
                .isNull();
        assertThat((Object) at(pod, "automountServiceAccountToken")).as("automountServiceAccountToken").isEqualTo(false);
        assertThat((Object) at(pod, "enableServiceLinks")).as("enableServiceLinks (Service variables like BRIDGE_PORT)")
                .isEqualTo(false);
        // The read-only root leaves /tmp as the one writable place.
        List<Map<String, Object>> mounts = at(container, "volumeMounts");
        Map<String, Object> tmp = mounts.stream().filter(m -> "/tmp".equals(m.get("mountPath"))).findFirst()
                .orElseThrow(() -> new AssertionError("no volume mounted at /tmp"));
        List<Map<String, Object>> volumes = at(pod, "volumes");
        assertThat((Object) at(named(volumes, (String) tmp.get("name")), "emptyDir")).as("/tmp is an emptyDir").isNotNull();

        // Probes on the management interface.
        List<Map<String, Object>> ports = at(container, "ports");
        assertThat((Integer) at(named(ports, "management"), "containerPort")).as("management containerPort")
                .isEqualTo(MANAGEMENT_PORT);
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            assertThat((Object) at(container, probe, "httpGet", "port")).as("%s port", probe).isEqualTo("management");
        }
        assertThat((Object) at(container, "livenessProbe", "httpGet", "path")).isEqualTo("/q/health/live");
        assertThat((Object) at(container, "readinessProbe", "httpGet", "path")).isEqualTo("/q/health/ready");

        // A stable MQTT client id per replica: the pod name of the StatefulSet.
        assertThat((String) at(statefulSet, "spec", "serviceName")).as("StatefulSet serviceName").isNotBlank();
        List<Map<String, Object>> env = at(container, "env");
        assertThat((Object) at(named(env, "BRIDGE_MQTT_CLIENT_ID"), "valueFrom", "fieldRef", "fieldPath"))
                .as("BRIDGE_MQTT_CLIENT_ID from the pod name").isEqualTo("metadata.name");

        // Heap and memory: the measured heap, and a limit above the measured peak resident set.
        String javaOptions = (String) at(named(env, "JDK_JAVA_OPTIONS"), "value");
        Matcher xmx = Pattern.compile("-Xmx(\\d+)m").matcher(javaOptions == null ? "" : javaOptions);
        assertThat(xmx.find()).as("JDK_JAVA_OPTIONS sets -Xmx<n>m: %s", javaOptions).isTrue();
        assertThat(Long.parseLong(xmx.group(1))).as("heap (MiB)").isEqualTo(MEASURED_HEAP_MIB);
        long limit = mebibytes(at(container, "resources", "limits", "memory"));
        long request = mebibytes(at(container, "resources", "requests", "memory"));
        assertThat(limit * 1024 * 1024).as("memory limit (bytes) above the measured peak RSS of %d MB", MEASURED_PEAK_RSS_MB)
                .isGreaterThan(MEASURED_PEAK_RSS_MB * 1_000_000 * 11 / 10);
        assertThat(request).as("memory request equals the limit (no overcommit of a JVM heap)").isEqualTo(limit);
        assertThat((Object) at(container, "resources", "requests", "cpu")).as("cpu request").isNotNull();

        // The configuration file from the generated ConfigMap.
        Map<String, Object> configMount = mounts.stream().filter(m -> "/deployments/config".equals(m.get("mountPath")))
                .findFirst().orElseThrow(() -> new AssertionError("nothing mounted at /deployments/config"));
        String configMapName = at(named(volumes, (String) configMount.get("name")), "configMap", "name");
        assertThat((Object) at(only(objects, "ConfigMap"), "metadata", "name")).as("mounted ConfigMap")
                .isEqualTo(configMapName);
        assertThat((Map<String, Object>) at(only(objects, "ConfigMap"), "data")).containsKey("application.yaml");
    }

    /** Every Secret key the StatefulSet reads (environment and volumes) is in the example Secret. */
    static void checkSecretKeys(List<Map<String, Object>> rendered, List<Map<String, Object>> secretObjects) {
        Map<String, Object> secret = only(secretObjects, "Secret");
        String secretName = at(secret, "metadata", "name");
        Map<String, Object> data = at(secret, "stringData");
        List<Map<String, Object>> env = at(bridgeContainer(rendered), "env");
        for (Map<String, Object> variable : env) {
            Map<String, Object> ref = at(variable, "valueFrom", "secretKeyRef");
            if (ref != null) {
                assertThat(ref.get("name")).as("Secret of %s", variable.get("name")).isEqualTo(secretName);
                assertThat(data).as("example Secret").containsKey((String) ref.get("key"));
            }
        }
        List<Map<String, Object>> volumes = at(podSpec(rendered), "volumes");
        for (Map<String, Object> volume : volumes) {
            Map<String, Object> source = at(volume, "secret");
            if (source != null) {
                assertThat(source.get("secretName")).as("Secret of volume %s", volume.get("name")).isEqualTo(secretName);
                List<Map<String, Object>> items = at(source, "items");
                for (Map<String, Object> item : items) {
                    assertThat(data).as("example Secret").containsKey((String) item.get("key"));
                }
            }
        }
    }

    static void checkSelectors(List<Map<String, Object>> objects) {
        Map<String, Object> podLabels = at(only(objects, "StatefulSet"), "spec", "template", "metadata", "labels");
        Map<String, Object> service = only(objects, "Service");
        Map<String, Object> serviceSelector = at(service, "spec", "selector");
        assertThat(podLabels).as("pod labels selected by the Service").containsAllEntriesOf(serviceSelector);
        Map<String, Object> budgetSelector = at(only(objects, "PodDisruptionBudget"), "spec", "selector", "matchLabels");
        assertThat(podLabels).as("pod labels selected by the PodDisruptionBudget").containsAllEntriesOf(budgetSelector);
        Map<String, Object> setSelector = at(only(objects, "StatefulSet"), "spec", "selector", "matchLabels");
        assertThat(podLabels).as("pod labels selected by the StatefulSet").containsAllEntriesOf(setSelector);
        assertThat((Object) at(only(objects, "StatefulSet"), "spec", "serviceName")).as("governing Service")
                .isEqualTo(at(service, "metadata", "name"));
        List<Map<String, Object>> ports = at(service, "spec", "ports");
        assertThat((Object) at(named(ports, "management"), "port")).as("Service management port").isEqualTo(MANAGEMENT_PORT);
        assertThat((Object) at(service, "spec", "publishNotReadyAddresses")).as("not-ready replicas stay scraped")
                .isEqualTo(true);
    }

    static void checkServiceMonitor(List<Map<String, Object>> monitorObjects, List<Map<String, Object>> base) {
        Map<String, Object> monitor = only(monitorObjects, "ServiceMonitor");
        Map<String, Object> service = only(base, "Service");
        Map<String, Object> serviceLabels = at(service, "metadata", "labels");
        Map<String, Object> selector = at(monitor, "spec", "selector", "matchLabels");
        assertThat(serviceLabels).as("Service labels selected by the ServiceMonitor").containsAllEntriesOf(selector);
        List<Map<String, Object>> endpoints = at(monitor, "spec", "endpoints");
        assertThat(endpoints).hasSize(1);
        List<Map<String, Object>> ports = at(service, "spec", "ports");
        named(ports, (String) endpoints.get(0).get("port"));
        assertThat(endpoints.get(0).get("path")).isEqualTo("/q/metrics");
        // The job label the alerts and the dashboard select on.
        assertThat(serviceLabels.get((String) at(monitor, "spec", "jobLabel"))).as("job label")
                .isEqualTo("mqtt-kafka-bridge");
    }

    private static long mebibytes(String quantity) {
        assertThat(quantity).as("memory quantity").matches("\\d+(Mi|Gi)");
        long value = Long.parseLong(quantity.substring(0, quantity.length() - 2));
        return quantity.endsWith("Gi") ? value * 1024 : value;
    }
}
