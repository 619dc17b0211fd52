package io.mqttkafka.bridge.benchmark;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;

/**
 * The MQTT load: one MQTT 5 client (MQTT 3.1.1 for a broker that speaks no MQTT 5) publishing {@link BenchPayload}s
 * asynchronously with at most {@code window} publishes unacknowledged (for QoS 0: not yet written). The same code
 * feeds the drain case and the bridge cases, so their ratio isolates what is behind the broker.
 */
final class LoadPublisher implements AutoCloseable {

    /** Sends one publish; the future completes with the failure (an MQTT 5 reason code too), or null. */
    private interface Sender {
        CompletableFuture<Throwable> send(String topic, MqttQos qos, byte[] payload);
    }

    private final Sender sender;
    private final Supplier<CompletableFuture<Void>> disconnect;
    private final Semaphore window;
    private final int windowSize;
    private final Duration stall;

    LoadPublisher(int port, String clientId, int windowSize, Duration stall) {
        this(port, 5, clientId, windowSize, stall);
    }

    /** @param protocol the MQTT version, 5 or 3 (MQTT 3.1.1) */
    LoadPublisher(int port, int protocol, String clientId, int windowSize, Duration stall) {
        this.windowSize = windowSize;
        this.window = new Semaphore(windowSize);
        this.stall = stall;
        MqttClientBuilder builder = MqttClient.builder().identifier(clientId).serverHost("127.0.0.1").serverPort(port);
        CompletableFuture<?> connected;
        if (protocol == 5) {
            Mqtt5AsyncClient client = builder.useMqttVersion5().buildAsync();
            sender = (topic, qos, payload) -> client.publishWith().topic(topic).qos(qos).payload(payload).send()
                    .handle((result, error) -> error != null ? error : result.getError().orElse(null));
            disconnect = client::disconnect;
            connected = client.connectWith().cleanStart(true).send();
        } else {
            Mqtt3AsyncClient client = builder.useMqttVersion3().buildAsync();
            sender = (topic, qos, payload) -> client.publishWith().topic(topic).qos(qos).payload(payload).send()
                    .handle((result, error) -> error);
            disconnect = client::disconnect;
            connected = client.connectWith().cleanSession(true).send();
        }
        try {
            connected.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Load publisher cannot connect to 127.0.0.1:" + port, e);
        }
    }

    /** Publishes {@code count} messages as fast as the window allows; returns when all are acknowledged. */
    Sent publishAtFullSpeed(String topic, int qos, int count, int size, long runId) throws InterruptedException {
        return publish(topic, qos, count, size, runId, 0);
    }

    /**
     * Publishes {@code count} messages at {@code perSecond}, each stamped with its scheduled send time rather than
     * the actual one, so a hiccup shows up as latency of every message it delayed (no coordinated omission).
     */
    Sent publishPaced(String topic, int qos, int count, int size, long runId, int perSecond) throws InterruptedException {
        return publish(topic, qos, count, size, runId, TimeUnit.SECONDS.toNanos(1) / perSecond);
    }

    /**
     * Waits for message {@code sequence}'s slot in a schedule starting at {@code startNanos} (pacing, not
     * synchronisation) and returns the intended send time; with {@code intervalNanos} 0 (full speed), now.
     * Latency is measured from the intended time, so a late sender does not hide its own delay.
     */
    static long awaitSlot(long startNanos, int sequence, long intervalNanos) {
        if (intervalNanos <= 0) {
            return System.nanoTime();
        }
        long intendedNanos = startNanos + sequence * intervalNanos;
        for (long now = System.nanoTime(); now < intendedNanos; now = System.nanoTime()) {
            LockSupport.parkNanos(intendedNanos - now);
        }
        return intendedNanos;
    }

    private Sent publish(String topic, int qos, int count, int size, long runId, long intervalNanos)
            throws InterruptedException {
        MqttQos mqttQos = MqttQos.fromCode(qos);
        AtomicLong failed = new AtomicLong();
        AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        long startNanos = System.nanoTime();
        for (int sequence = 0; sequence < count; sequence++) {
            long intendedNanos = awaitSlot(startNanos, sequence, intervalNanos);
            if (!window.tryAcquire(stall.toMillis(), TimeUnit.MILLISECONDS)) {
                return new Sent(startNanos, sequence, failed.get(), "publisher window stuck for " + stall);
            }
            sender.send(topic, mqttQos, BenchPayload.encode(sequence, intendedNanos, runId, size))
                    .thenAccept(problem -> {
                        if (problem != null) {
                            failed.incrementAndGet();
                            firstFailure.compareAndSet(null, problem);
                        }
                        window.release();
                    });
        }
        if (!window.tryAcquire(windowSize, stall.toMillis(), TimeUnit.MILLISECONDS)) {
            return new Sent(startNanos, count, failed.get(), "last publishes unacknowledged after " + stall);
        }
        window.release(windowSize);
        Throwable failure = firstFailure.get();
        return new Sent(startNanos, count, failed.get(), failure == null ? null : "publish failed: " + failure);
    }

    @Override
    public void close() {
        try {
            disconnect.get().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing at the end of a run: the broker may already be gone
        }
    }

    /** What one publishing run did; {@code problem} is null when every message was acknowledged. */
    record Sent(long firstSendNanos, int attempted, long failed, String problem) {
    }
}
