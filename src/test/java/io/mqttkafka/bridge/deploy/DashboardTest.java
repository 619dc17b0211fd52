package io.mqttkafka.bridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The Grafana dashboard is well-formed JSON that Grafana can provision anywhere: every query goes through the
 * dashboard's data-source variable (no data-source id of one installation), panel ids are unique, panels do not
 * overlap on the 24-column grid, and it shows what issue 20 asks for. Which metrics its queries use, and that a bridge
 * exports them, is {@code MetricNamesUsedTest} and {@code DashboardMetricsIT}.
 */
class DashboardTest {

    @Test
    void dashboardIsPortableAndLaidOutWithoutOverlaps() throws IOException {
        check(Files.readString(MetricNamesUsed.DASHBOARD));
    }

    @Test
    void aQueryBoundToOneInstallationsDataSourceFailsTheCheck() throws IOException {
        String dashboard = Files.readString(MetricNamesUsed.DASHBOARD);
        String broken = dashboard.replaceFirst("\"uid\": \"\\$\\{datasource}\"", "\"uid\": \"P1809F7CD0C75ACF3\"");

        assertThat(broken).isNotEqualTo(dashboard);
        assertThatThrownBy(() -> check(broken)).hasMessageContaining("datasource");
    }

    @Test
    void overlappingPanelsFailTheCheck() throws IOException {
        String dashboard = Files.readString(MetricNamesUsed.DASHBOARD);
        String broken = dashboard.replaceFirst("\"x\": 12", "\"x\": 6");

        assertThatThrownBy(() -> check(broken)).hasMessageContaining("overlap");
    }

    @SuppressWarnings("unchecked")
    static void check(String json) throws IOException {
        Map<String, Object> dashboard = new ObjectMapper().readValue(json, Map.class);
        assertThat(dashboard).containsKeys("uid", "title", "panels", "templating", "schemaVersion");
        List<Map<String, Object>> variables = (List<Map<String, Object>>) ((Map<String, Object>) dashboard.get("templating"))
                .get("list");
        assertThat(variables).anySatisfy(v -> {
            assertThat(v.get("name")).isEqualTo("datasource");
            assertThat(v.get("type")).isEqualTo("datasource");
            assertThat(v.get("query")).isEqualTo("prometheus");
        });
        assertThat(variables).filteredOn(v -> "query".equals(v.get("type"))).isNotEmpty().allSatisfy(v -> assertThat(
                (Map<String, Object>) v.get("datasource")).as("datasource of variable %s", v.get("name"))
                .containsEntry("uid", "${datasource}"));

        List<Map<String, Object>> panels = (List<Map<String, Object>>) dashboard.get("panels");
        Set<Object> ids = new HashSet<>();
        Set<String> cells = new HashSet<>();
        StringBuilder titles = new StringBuilder();
        for (Map<String, Object> panel : panels) {
            assertThat(ids.add(panel.get("id"))).as("unique panel id %s", panel.get("id")).isTrue();
            Map<String, Object> grid = (Map<String, Object>) panel.get("gridPos");
            int x = (Integer) grid.get("x");
            int y = (Integer) grid.get("y");
            int w = (Integer) grid.get("w");
            int h = (Integer) grid.get("h");
            assertThat(x + w).as("panel '%s' within the 24 columns", panel.get("title")).isLessThanOrEqualTo(24);
            for (int cx = x; cx < x + w; cx++) {
                for (int cy = y; cy < y + h; cy++) {
                    assertThat(cells.add(cx + "," + cy)).as("panel '%s' does not overlap another at %d,%d",
                            panel.get("title"), cx, cy).isTrue();
                }
            }
            titles.append(panel.get("title")).append('\n');
            if ("row".equals(panel.get("type"))) {
                continue;
            }
            assertThat((Map<String, Object>) panel.get("datasource")).as("datasource of panel '%s'", panel.get("title"))
                    .containsEntry("uid", "${datasource}");
            List<Map<String, Object>> targets = (List<Map<String, Object>>) panel.get("targets");
            assertThat(targets).as("queries of panel '%s'", panel.get("title")).isNotEmpty().allSatisfy(t -> {
                assertThat((String) t.get("expr")).isNotBlank();
                assertThat((Map<String, Object>) t.get("datasource")).as("datasource of a query of '%s'", panel.get("title"))
                        .containsEntry("uid", "${datasource}");
            });
            assertThat((String) panel.get("description")).as("description of panel '%s'", panel.get("title")).isNotBlank();
        }
        // Issue 20, section 3.
        assertThat(titles.toString()).contains("Ready per replica", "MQTT -> Kafka records per second, by mapping",
                "Kafka -> MQTT publishes per second, by mapping", "latency p50 / p99", "in flight", "consumer lag",
                "Dead letters, by reason", "QoS 0 messages dropped", "MQTT reconnects");
    }
}
