package io.mqttkafka.bridge.metrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

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
 * ones every {@code refresh} ({@code bridge.metrics.kafka-client-refresh}), on a daemon thread of its own, which
 * {@link KafkaClientMetrics#close()} stops. Reading a client's metrics is thread-safe for producers and consumers alike
 * (no lock of the consumer's is taken).
 */
public final class KafkaClientMeters implements AutoCloseable {

    private final MeterRegistry registry;
    private final Duration refresh;
    private final List<KafkaClientMetrics> bound = new ArrayList<>();

    public KafkaClientMeters(MeterRegistry registry, Duration refresh) {
        this.registry = registry;
        this.refresh = refresh;
    }

    /** Binds a producer's metrics until {@link #close()}. */
    public void bind(Producer<?, ?> producer) {
        bind(new KafkaClientMetrics(producer, List.of(), refresher(), refresh));
    }

    /** Binds a consumer's metrics until {@link #unbind} or {@link #close()}; returns the binding. */
    public AutoCloseable bind(Consumer<?, ?> consumer) {
        KafkaClientMetrics binding = new KafkaClientMetrics(consumer, List.of(), refresher(), refresh);
        bind(binding);
        return () -> unbind(binding);
    }

    private synchronized void bind(KafkaClientMetrics binding) {
        binding.bindTo(registry);
        bound.add(binding);
    }

    private synchronized void unbind(KafkaClientMetrics binding) {
        if (bound.remove(binding)) {
            binding.close();
        }
    }

    /** The thread that looks for new metrics; {@link KafkaClientMetrics#close()} shuts it down. */
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
        bound.forEach(KafkaClientMetrics::close);
        bound.clear();
    }
}
