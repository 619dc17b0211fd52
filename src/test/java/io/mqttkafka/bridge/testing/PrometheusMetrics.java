package io.mqttkafka.bridge.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reads samples from a bridge's {@code /q/metrics} (Prometheus text format). */
public final class PrometheusMetrics {

    private PrometheusMetrics() {
    }

    /**
     * Sum of the samples of {@code metric} (e.g. {@code bridge_messages_dropped_total}) whose labels contain every one of
     * {@code labelFilters} (e.g. {@code mapping="a"}, {@code le="+Inf"}; none for all), scraped from {@code metricsUri}.
     */
    public static double sum(URI metricsUri, String metric, String... labelFilters) {
        return sumIn(scrape(metricsUri), metric, labelFilters);
    }

    /** The text {@code metricsUri} serves. */
    public static String scrape(URI metricsUri) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(metricsUri).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** As {@link #sum(URI, String, String...)}, over scraped text (e.g. a {@code PrometheusMeterRegistry}'s). */
    public static double sumIn(String scraped, String metric, String... labelFilters) {
        double sum = 0;
        for (String line : samples(scraped, metric, labelFilters)) {
            sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return sum;
    }

    /** The sample lines of {@code metric} whose labels contain every one of {@code labelFilters}. */
    public static List<String> samples(String scraped, String metric, String... labelFilters) {
        List<String> samples = new ArrayList<>();
        for (String line : scraped.split("\n")) {
            if (line.startsWith(metric) && line.length() > metric.length()
                    && (line.charAt(metric.length()) == '{' || line.charAt(metric.length()) == ' ')
                    && Arrays.stream(labelFilters).allMatch(line::contains)) {
                samples.add(line);
            }
        }
        return samples;
    }
}
