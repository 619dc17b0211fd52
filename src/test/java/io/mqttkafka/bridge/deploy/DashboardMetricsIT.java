package io.mqttkafka.bridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.testing.BridgeProcess;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.PrometheusMetrics;
import io.mqttkafka.bridge.testing.SharedBrokers;

/**
 * Every metric name that the Grafana dashboard ({@code deploy/grafana/mqtt-kafka-bridge.json}) and the alert rules
 * ({@code deploy/prometheus/alerts.yaml}) query is exported by a running bridge: the packaged application as its own
 * process, scraped at {@code /q/metrics}. The bridge is driven through every path whose meters appear only at their
 * first event: both directions (latency histograms, consumer lag), a dead letter (a rendered Kafka topic with a space)
 * and QoS 0 drops (a burst against {@code qos0-max-in-flight: 1}). Names Prometheus makes itself ({@code up}) are
 * left out. The comparison is exact: a name the dashboard uses and the bridge does not export fails, naming it; so
 * does a label value an alert selects (e.g. {@code direction="mqtt-to-kafka"}) that no exported sample carries.
 */
class DashboardMetricsIT {

    /** A process start on a loaded 2-core machine (up to 90 s in BridgeProcess) and the traffic below. */
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Test
    void everyMetricOfTheDashboardAndTheAlertsIsExportedByARunningBridge() throws Exception {
        Set<String> used = MetricNamesUsed.fromBridge(MetricNamesUsed.DASHBOARD, MetricNamesUsed.ALERTS);
        String root = SharedBrokers.unique("metrics-it");
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        String commands = SharedBrokers.unique("metrics-it-commands");
        KafkaTestProducer.createTopic(bootstrap, commands, 2);
        String yaml = BridgeProcess.connectionYaml(SharedBrokers.unique("metrics-bridge"),
                SharedBrokers.unique("metrics-client"), bootstrap) + """
                    qos0-max-in-flight: 1
                  mqtt-to-kafka:
                    - name: readings
                      filter: %1$s/readings/{device}
                      qos: 1
                      kafka-topic: %1$s.readings.{device}
                      key: "{device}"
                    - name: bulk
                      filter: %1$s/bulk/#
                      qos: 0
                      kafka-topic: %1$s.bulk
                  kafka-to-mqtt:
                    - name: commands
                      kafka-topic: %2$s
                      mqtt-topic: %1$s/commands/{key}
                      qos: 1
                """.formatted(root, commands);

        try (BridgeProcess bridge = BridgeProcess.prepare(yaml, Map.of()).start();
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5);
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap)) {
            bridge.awaitSubscribed(2);
            bridge.awaitLog("assigned");
            URI metrics = bridge.managementAddress().resolve("/q/metrics");

            publisher.publish(root + "/readings/dev-1", bytes("21.5"), 1).get(30, TimeUnit.SECONDS);
            // An illegal Kafka topic name: dead-lettered (invalid-topic).
            publisher.publish(root + "/readings/has space", bytes("poison"), 1).get(30, TimeUnit.SECONDS);
            producer.send(commands, "dev-1", bytes("open")).get(30, TimeUnit.SECONDS);
            Awaitility.await("a QoS 0 burst beyond qos0-max-in-flight dropped").atMost(TIMEOUT)
                    .pollInterval(Duration.ofMillis(500)).until(() -> {
                        for (int i = 0; i < 500; i++) {
                            publisher.publish(root + "/bulk/" + i, bytes("b" + i), 0);
                        }
                        return MetricNamesUsed.exported(scrape(metrics)).contains("bridge_messages_dropped_total");
                    });

            // The gauges the readiness panel and the alerts read, with their values for a healthy bridge.
            Awaitility.await("bridge_ready 1").atMost(TIMEOUT)
                    .until(() -> PrometheusMetrics.sum(metrics, "bridge_ready", "") == 1);
            assertThat(PrometheusMetrics.sum(metrics, "bridge_live", "")).as("bridge_live").isEqualTo(1);
            assertThat(PrometheusMetrics.sum(metrics, "bridge_mqtt_receive_maximum", ""))
                    .as("bridge_mqtt_receive_maximum (the default)").isEqualTo(1000);

            Set<String> missing = new TreeSet<>();
            try {
                Awaitility.await("every metric of the dashboard and the alerts exported").atMost(TIMEOUT)
                        .pollInterval(Duration.ofSeconds(1)).until(() -> {
                            missing.clear();
                            missing.addAll(used);
                            missing.removeAll(MetricNamesUsed.exported(scrape(metrics)));
                            return missing.isEmpty();
                        });
            } catch (ConditionTimeoutException e) {
                // Reported below with the names.
            }
            assertThat(missing).as("metric names used by %s or %s and not exported by the bridge (of %d used: %s)",
                    MetricNamesUsed.DASHBOARD, MetricNamesUsed.ALERTS, used.size(), used).isEmpty();
            // A label value an alert selects (e.g. direction="mqtt-to-kafka") must be one the bridge exports, or the
            // alert can never fire.
            String exposition = scrape(metrics);
            assertThat(MetricNamesUsed.labelMatchesFromBridge(MetricNamesUsed.DASHBOARD, MetricNamesUsed.ALERTS))
                    .as("label values selected by the dashboard or the alerts that the bridge exports")
                    .allSatisfy(match -> assertThat(MetricNamesUsed.exports(exposition, match)).as("%s", match).isTrue());
        }
    }

    private static String scrape(URI metrics) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s", metrics).isEqualTo(200);
        return response.body();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
