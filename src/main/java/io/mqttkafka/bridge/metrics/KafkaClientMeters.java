package io.mqttkafka.bridge.metrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;

/**
 * Binds the Kafka client metrics of every producer and consumer the bridge makes to the registry, with Micrometer's
 * {@link KafkaClientMetrics}, as Quarkus does for the Kafka clients it creates itself: every Kafka metric of the client
 * becomes a meter named {@code kafka.<group>.<name>} with the Kafka metric's tags ({@code client.id}, and {@code topic}
 * and {@code partition} where Kafka has them), e.g. {@code kafka_consumer_fetch_manager_records_lag} per partition,
 * {@code kafka_producer_request_latency_avg}, {@code kafka_producer_record_error_rate},
 * {@code kafka_producer_buffer_available_bytes}. Closing a binding removes its meters.
 *
 * <p>Kafka creates some metrics only later (a partition's lag once it is assigned and fetched): each binding looks for new
 * ones every {@code refresh} ({@code bridge.metrics.kafka-client-refresh}), on a daemon thread of its own. That thread
 * is this class's to stop: a scheduler handed to {@link KafkaClientMetrics} counts as managed outside, so its
 * {@code close()} neither stops it nor keeps it from binding the removed meters again on its next round (a stopped
 * bridge's clients then stayed in the registry, and one thread per closed client stayed alive). Reading a client's metrics is thread-safe for producers and consumers alike
 * (no lock of the consumer's is taken).
 */
public final class KafkaClientMeters implements AutoCloseable {

    private final MeterRegistry registry;
    private final Duration refresh;
    private final List<Binding> bound = new ArrayList<>();

    /** One client's meters and the thread that looks for its new metrics. */
    private record Binding(KafkaClientMetrics metrics, ScheduledExecutorService refresher) {

        /** Stops the refresher first, so that no round of it binds a meter again after the removal. */
        void close() {
            refresher.shutdownNow();
            try {
                refresher.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            metrics.close();
        }
    }

    public KafkaClientMeters(MeterRegistry registry, Duration refresh) {
        this.registry = registry;
        this.refresh = refresh;
    }

    /** Binds a producer's metrics until {@link #close()}. */
    public void bind(Producer<?, ?> producer) {
        ScheduledExecutorService refresher = refresher();
        bind(new Binding(new KafkaClientMetrics(producer, List.of(), refresher, refresh), refresher));
    }

    /** Binds a consumer's metrics until {@link #unbind} or {@link #close()}; returns the binding. */
    public AutoCloseable bind(Consumer<?, ?> consumer) {
        ScheduledExecutorService refresher = refresher();
        Binding binding = new Binding(new KafkaClientMetrics(consumer, List.of(), refresher, refresh), refresher);
        bind(binding);
        return () -> unbind(binding);
    }

    private synchronized void bind(Binding binding) {
        binding.metrics().bindTo(registry);
        bound.add(binding);
    }

    private synchronized void unbind(Binding binding) {
        if (bound.remove(binding)) {
            binding.close();
        }
    }

    /** The thread that looks for new metrics of one client; {@link Binding#close()} stops it. */
    private static ScheduledExecutorService refresher() {
        return Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "kafka-client-meters");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Number of clients bound now. */
    public synchronized int boundClients() {
        return bound.size();
    }

    /** Removes every client's meters and stops their refresh threads; call after the clients are closed. */
    @Override
    public synchronized void close() {
        bound.forEach(Binding::close);
        bound.clear();
    }
}
