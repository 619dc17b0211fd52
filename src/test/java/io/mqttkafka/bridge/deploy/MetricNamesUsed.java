package io.mqttkafka.bridge.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The metric names that the Grafana dashboard and the Prometheus alert rules query, read out of their PromQL: every
 * identifier that is not a function, an aggregation, a keyword, a label name (inside {@code {...}} or the label list
 * of {@code by}/{@code without}/{@code on}/{@code ignoring}/{@code group_left}/{@code group_right}), a string, a
 * duration or a Grafana variable.
 */
final class MetricNamesUsed {

    static final Path DASHBOARD = Path.of("deploy", "grafana", "mqtt-kafka-bridge.json");
    static final Path ALERTS = Path.of("deploy", "prometheus", "alerts.yaml");

    /** Series Prometheus makes itself for every target, not scraped from the bridge. */
    static final Set<String> PROMETHEUS_SERIES = Set.of("up");

    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "offset", "bool", "inf", "nan", "atan2");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern LABEL_LIST = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    private MetricNamesUsed() {
    }

    /** The metric names one PromQL expression queries. */
    static Set<String> inExpression(String promQl) {
        String text = STRING.matcher(promQl).replaceAll(" ");
        text = text.replaceAll("\\$\\{?[A-Za-z_][A-Za-z0-9_]*(:[a-z]+)?}?", " "); // Grafana variables
        text = text.replaceAll("\\{[^}]*}", " "); // label matchers
        text = text.replaceAll("\\[[^]]*]", " "); // ranges and subqueries
        text = LABEL_LIST.matcher(text).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(text);
        while (m.find()) {
            String identifier = m.group();
            int next = m.end();
            while (next < text.length() && Character.isWhitespace(text.charAt(next))) {
                next++;
            }
            boolean isCall = next < text.length() && text.charAt(next) == '(';
            boolean isNumberPart = m.start() > 0 && Character.isDigit(text.charAt(m.start() - 1));
            if (!isCall && !isNumberPart && !KEYWORDS.contains(identifier.toLowerCase(java.util.Locale.ROOT))) {
                names.add(identifier);
            }
        }
        return names;
    }

    /** Every PromQL expression of a Grafana dashboard: panel targets (rows included) and query variables. */
    @SuppressWarnings("unchecked")
    static List<String> dashboardExpressions(Path dashboard) {
        Map<String, Object> json = new Yaml(new SafeConstructor(new LoaderOptions())).load(read(dashboard));
        List<String> expressions = new ArrayList<>();
        collectPanels((List<Map<String, Object>>) json.getOrDefault("panels", List.of()), expressions);
        Map<String, Object> templating = (Map<String, Object>) json.getOrDefault("templating", Map.of());
        for (Map<String, Object> variable : (List<Map<String, Object>>) templating.getOrDefault("list", List.of())) {
            if ("query".equals(variable.get("type"))) {
                Object query = variable.get("query");
                String text = query instanceof Map<?, ?> map ? (String) map.get("query") : (String) query;
                Matcher labelValues = Pattern.compile("label_values\\((.*),\\s*\\w+\\)").matcher(text);
                expressions.add(labelValues.matches() ? labelValues.group(1) : text);
            }
        }
        return expressions;
    }

    @SuppressWarnings("unchecked")
    private static void collectPanels(List<Map<String, Object>> panels, List<String> expressions) {
        for (Map<String, Object> panel : panels) {
            for (Map<String, Object> target : (List<Map<String, Object>>) panel.getOrDefault("targets", List.of())) {
                if (target.get("expr") != null) {
                    expressions.add((String) target.get("expr"));
                }
            }
            collectPanels((List<Map<String, Object>>) panel.getOrDefault("panels", List.of()), expressions);
        }
    }

    /** Every {@code expr} of a Prometheus rule file. */
    @SuppressWarnings("unchecked")
    static List<String> ruleExpressions(Path rules) {
        Map<String, Object> yaml = new Yaml(new SafeConstructor(new LoaderOptions())).load(read(rules));
        List<String> expressions = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) yaml.get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                expressions.add((String) rule.get("expr"));
            }
        }
        return expressions;
    }

    /** The metric names the dashboard and the rules query, less the series Prometheus makes itself. */
    static Set<String> fromBridge(Path dashboard, Path rules) {
        Set<String> names = new TreeSet<>();
        dashboardExpressions(dashboard).forEach(e -> names.addAll(inExpression(e)));
        ruleExpressions(rules).forEach(e -> names.addAll(inExpression(e)));
        names.removeAll(PROMETHEUS_SERIES);
        return names;
    }

    /** An equality label matcher of a query, e.g. {@code direction="mqtt-to-kafka"} of {@code bridge_mqtt_in_flight}. */
    record LabelMatch(String metric, String label, String value) {
        @Override
        public String toString() {
            return metric + "{" + label + "=\"" + value + "\"}";
        }
    }

    private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}");
    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!=|!~|=)\\s*\"([^\"]*)\"");

    /**
     * The equality matchers of one expression on labels the bridge sets (not {@code job} and {@code instance}, which
     * Prometheus sets, nor values with a Grafana variable): an alert selecting a label value the bridge never exports
     * would never fire.
     */
    static Set<LabelMatch> labelMatches(String promQl) {
        Set<LabelMatch> matches = new java.util.LinkedHashSet<>();
        Matcher selector = SELECTOR.matcher(promQl);
        while (selector.find()) {
            Matcher matcher = MATCHER.matcher(selector.group(2));
            while (matcher.find()) {
                String label = matcher.group(1);
                String value = matcher.group(3);
                if (matcher.group(2).equals("=") && !Set.of("job", "instance").contains(label) && !value.contains("$")) {
                    matches.add(new LabelMatch(selector.group(1), label, value));
                }
            }
        }
        return matches;
    }

    /** The label matchers of the dashboard's and the rules' queries (see {@link #labelMatches(String)}). */
    static Set<LabelMatch> labelMatchesFromBridge(Path dashboard, Path rules) {
        Set<LabelMatch> matches = new java.util.LinkedHashSet<>();
        dashboardExpressions(dashboard).forEach(e -> matches.addAll(labelMatches(e)));
        ruleExpressions(rules).forEach(e -> matches.addAll(labelMatches(e)));
        return matches;
    }

    /** Whether an exposition has a sample of the matcher's metric with that label value. */
    static boolean exports(String exposition, LabelMatch match) {
        String label = match.label() + "=\"" + match.value() + "\"";
        return exposition.lines().anyMatch(line -> line.startsWith(match.metric() + "{") && line.contains(label));
    }

    /** The sample names of a Prometheus text exposition (e.g. {@code x_bucket}, {@code x_count}, {@code y_total}). */
    static Set<String> exported(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = IDENTIFIER.matcher(line);
            if (m.lookingAt()) {
                names.add(m.group());
            }
        }
        return names;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
