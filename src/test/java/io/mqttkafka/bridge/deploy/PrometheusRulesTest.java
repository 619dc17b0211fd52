package io.mqttkafka.bridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * {@code deploy/prometheus/alerts.yaml} passes {@code promtool check rules}, {@code deploy/prometheus/prometheus.yml}
 * (the Compose stack's Prometheus, which loads those rules) passes {@code promtool check config}, and the rules'
 * unit tests (src/test/resources/prometheus/alerts-test.yaml: each alert fires on the series that should trigger it,
 * not on healthy ones) pass {@code promtool test rules}. Broken copies fail each.
 */
class PrometheusRulesTest {

    private static final Path PROMETHEUS = Path.of("deploy", "prometheus");
    private static final Path RULE_TESTS = Path.of("src", "test", "resources", "prometheus", "alerts-test.yaml");

    @Test
    void alertRulesPassPromtoolCheckRules() {
        ExternalTool.Result result = promtool("check", "rules", PROMETHEUS.resolve("alerts.yaml").toString());

        assertThat(result.succeeded()).as("%s", result).isTrue();
        assertThat(result.output()).contains("SUCCESS: 9 rules found");
    }

    @Test
    void prometheusConfigurationWithTheRulesPassesPromtoolCheckConfig() {
        ExternalTool.Result result = promtool("check", "config", PROMETHEUS.resolve("prometheus.yml").toString());

        assertThat(result.succeeded()).as("%s", result).isTrue();
        assertThat(result.output()).contains("SUCCESS: 1 rule files found");
    }

    @Test
    void everyAlertFiresOnItsCauseAndNotOnHealthySeries() {
        ExternalTool.Result result = promtool("test", "rules", RULE_TESTS.toString());

        assertThat(result.succeeded()).as("%s", result).isTrue();
    }

    @Test
    void aRuleWithBrokenPromQlFailsPromtoolCheckRules() {
        Path broken = Manifests.copy(PROMETHEUS);
        Manifests.replace(broken.resolve("alerts.yaml"), "expr: bridge_ready{job=\"mqtt-kafka-bridge\"} == 0",
                "expr: bridge_ready{job=\"mqtt-kafka-bridge\" == 0");

        ExternalTool.Result result = promtool("check", "rules", broken.resolve("alerts.yaml").toString());

        assertThat(result.succeeded()).as("%s", result).isFalse();
        assertThat(result.output()).contains("FAILED");
    }

    @Test
    void aRuleWithABadDurationFailsPromtoolCheckRules() {
        Path broken = Manifests.copy(PROMETHEUS);
        Manifests.replace(broken.resolve("alerts.yaml"), "for: 1m", "for: one minute");

        assertThat(promtool("check", "rules", broken.resolve("alerts.yaml").toString()).succeeded()).isFalse();
    }

    @Test
    void aConfigurationNamingAMissingRuleFileFailsPromtoolCheckConfig() {
        Path broken = Manifests.copy(PROMETHEUS);
        Manifests.replace(broken.resolve("prometheus.yml"), "  - alerts.yaml", "  - alert.yaml");

        assertThat(promtool("check", "config", broken.resolve("prometheus.yml").toString()).succeeded()).isFalse();
    }

    @Test
    void anAlertThatNoLongerFiresOnItsCauseFailsTheRuleTests() {
        Path copy = Manifests.copy(Path.of("."), PROMETHEUS, RULE_TESTS.getParent());
        // The dead-letter alert as first written: it missed a counter's first event (increase() is 0 at its first sample).
        Manifests.replace(copy.resolve(PROMETHEUS).resolve("alerts.yaml"),
                "(increase(bridge_messages_dead_lettered_total{job=\"mqtt-kafka-bridge\"}[10m]) > 0)",
                "increase(bridge_messages_dead_lettered_total{job=\"mqtt-kafka-bridge\"}[10m])");

        ExternalTool.Result result = promtool("test", "rules", copy.resolve(RULE_TESTS).toString());

        assertThat(result.succeeded()).as("%s", result).isFalse();
        assertThat(result.output()).contains("alertname: MqttKafkaBridgeDeadLetters");
    }

    private static ExternalTool.Result promtool(String... arguments) {
        ExternalTool.PROMTOOL.require("checks deploy/prometheus");
        return ExternalTool.PROMTOOL.run(Path.of("."), arguments);
    }
}
