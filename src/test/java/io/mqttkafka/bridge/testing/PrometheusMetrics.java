package io.mqttkafka.bridge.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Reads samples from a bridge's {@code /q/metrics} (Prometheus text format). */
public final class PrometheusMetrics {

    private PrometheusMetrics() {
    }

    /**
     * Sum of the samples of {@code metric} (e.g. {@code bridge_messages_dropped_total}) whose labels contain
     * {@code labelFilter} (empty for all), scraped from {@code metricsUri}.
     */
    public static double sum(URI metricsUri, String metric, String labelFilter) {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metricsUri).build(),
                    HttpResponse.BodyHandlers.ofString());
            double sum = 0;
            for (String line : response.body().split("\n")) {
                if (line.startsWith(metric) && (line.charAt(metric.length()) == '{' || line.charAt(metric.length()) == ' ')
                        && line.contains(labelFilter)) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return sum;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
