package io.mqttkafka.bridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * How the metric names are read out of the dashboard and the alerts ({@link MetricNamesUsed}); that they are exported
 * by a running bridge is {@code DashboardMetricsIT}.
 */
class MetricNamesUsedTest {

    @Test
    void readsMetricNamesOutOfPromQl() {
        assertThat(MetricNamesUsed.inExpression(
                "histogram_quantile(0.99, sum by (le, mapping) (rate(bridge_mqtt_to_kafka_latency_seconds_bucket{job=\"$job\", instance=~\"$instance\"}[$__rate_interval])))"))
                .containsExactly("bridge_mqtt_to_kafka_latency_seconds_bucket");
        assertThat(MetricNamesUsed.inExpression("""
                min_over_time(bridge_mqtt_in_flight{job="x", direction="mqtt-to-kafka"}[5m])
                  >= on (job, instance) group_left
                bridge_mqtt_receive_maximum{job="x"}"""))
                .containsExactly("bridge_mqtt_in_flight", "bridge_mqtt_receive_maximum");
        assertThat(MetricNamesUsed.inExpression(
                "sum by (job) ((increase(a_total{job=\"j\"}[10m]) > 0) or (a_total unless a_total offset 10m)) > 0"))
                .containsExactly("a_total");
        assertThat(MetricNamesUsed.inExpression("absent(up{job=\"mqtt-kafka-bridge\"})")).containsExactly("up");
        assertThat(MetricNamesUsed.inExpression("rate(x[1m:30s]) * 1e3 > bool 2")).containsExactly("x");
    }

    @Test
    void findsTheNamesOfTheDashboardAndTheAlerts() {
        Set<String> names = MetricNamesUsed.fromBridge(MetricNamesUsed.DASHBOARD, MetricNamesUsed.ALERTS);

        assertThat(names).contains("bridge_ready", "bridge_kafka_records_written_total",
                "bridge_mqtt_to_kafka_latency_seconds_bucket", "bridge_messages_dead_lettered_total",
                "kafka_consumer_fetch_manager_records_lag", "bridge_mqtt_reconnects_total")
                .doesNotContain("up", "job", "instance", "mapping", "le", "rate", "sum", "by");
        assertThat(names).allMatch(name -> name.startsWith("bridge_") || name.startsWith("kafka_"));
    }

    @Test
    void aMisspelledNameInACopyOfTheDashboardIsNotExported() {
        Path broken = Manifests.copy(Path.of("deploy"));
        Manifests.replace(broken.resolve("grafana/mqtt-kafka-bridge.json"), "bridge_kafka_records_written_total",
                "bridge_kafka_record_written_total");
        Set<String> exported = MetricNamesUsed.fromBridge(MetricNamesUsed.DASHBOARD, MetricNamesUsed.ALERTS);

        Set<String> used = MetricNamesUsed.fromBridge(broken.resolve("grafana/mqtt-kafka-bridge.json"),
                broken.resolve("prometheus/alerts.yaml"));

        assertThat(used).contains("bridge_kafka_record_written_total");
        assertThat(exported).doesNotContain("bridge_kafka_record_written_total");
    }

    @Test
    void readsTheLabelValuesAQuerySelects() {
        assertThat(MetricNamesUsed.labelMatches("""
                min_over_time(bridge_mqtt_in_flight{job="mqtt-kafka-bridge", direction="mqtt-to-kafka"}[5m])
                  >= on (job, instance) group_left bridge_mqtt_receive_maximum{job="mqtt-kafka-bridge"}
                + x{reason!="a", mapping=~"b.*", instance="$instance", qos="1"}""")).extracting(Object::toString)
                .containsExactly("bridge_mqtt_in_flight{direction=\"mqtt-to-kafka\"}", "x{qos=\"1\"}");
        String exposition = "bridge_mqtt_in_flight{direction=\"mqtt-to-kafka\"} 3.0\n";
        assertThat(MetricNamesUsed.exports(exposition,
                new MetricNamesUsed.LabelMatch("bridge_mqtt_in_flight", "direction", "mqtt-to-kafka"))).isTrue();
        assertThat(MetricNamesUsed.exports(exposition,
                new MetricNamesUsed.LabelMatch("bridge_mqtt_in_flight", "direction", "mqtt_to_kafka"))).isFalse();
    }

    @Test
    void readsSampleNamesOfAnExposition() {
        assertThat(MetricNamesUsed.exported("""
                # HELP x_seconds latency
                # TYPE x_seconds histogram
                x_seconds_bucket{le="0.1"} 3
                x_seconds_count 3
                x_seconds_sum 0.2
                y_total{reason="a"} 1.0
                """)).containsExactly("x_seconds_bucket", "x_seconds_count", "x_seconds_sum", "y_total");
    }
}
