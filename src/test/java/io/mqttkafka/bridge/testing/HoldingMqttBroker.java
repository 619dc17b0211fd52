package io.mqttkafka.bridge.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.async.Async;
import com.hivemq.extension.sdk.api.async.TimeoutFallback;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;

import io.mqttkafka.bridge.dev.EmbeddedMqttBroker;

/**
 * An embedded HiveMQ that holds the first PUBLISH of each payload starting with {@value #HOLD}: the broker neither
 * delivers nor acknowledges it (no PUBACK, no PUBREC) until the test {@linkplain #release releases} it, for at most
 * {@link #MAX_HOLD}. Later publishes of the same payload (a republish) pass as usual, as does every other payload. So
 * a test can keep one publish of a real client unacknowledged, at the protocol level, for as long as it needs.
 */
public final class HoldingMqttBroker implements AutoCloseable {

    /** Payloads starting with this are held the first time they arrive. */
    public static final String HOLD = "hold-";
    /** HiveMQ lets a held publish go (delivers it) after this, whatever the test does. */
    public static final Duration MAX_HOLD = Duration.ofSeconds(60);

    private final Map<String, Async<PublishInboundOutput>> held = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> arrivals = new ConcurrentHashMap<>();
    private final EmbeddedMqttBroker broker;

    private HoldingMqttBroker() {
        EmbeddedExtension holding = EmbeddedExtension.builder()
                .withId("hold-publishes").withName("hold-publishes").withVersion("1")
                .withExtensionMain(new HoldFirstPublish()).build();
        this.broker = FreePorts.startOnFreePort(port -> EmbeddedMqttBroker.start(port, holding));
    }

    public static HoldingMqttBroker start() {
        return new HoldingMqttBroker();
    }

    public int port() {
        return broker.port();
    }

    /** The payloads whose first publish the broker holds now. */
    public Set<String> held() {
        return Set.copyOf(held.keySet());
    }

    /** How many PUBLISH packets with this payload reached the broker, held or not. */
    public int arrivals(String payload) {
        AtomicInteger count = arrivals.get(payload);
        return count == null ? 0 : count.get();
    }

    /** Lets the held publish of {@code payload} go on: the broker delivers and acknowledges it. */
    public void release(String payload) {
        Async<PublishInboundOutput> async = held.remove(payload);
        if (async == null) {
            throw new IllegalStateException("No publish of '" + payload + "' is held; held: " + held.keySet());
        }
        async.resume();
    }

    @Override
    public void close() {
        held.keySet().forEach(this::release);
        broker.close();
    }

    private final class HoldFirstPublish implements ExtensionMain {

        @Override
        public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
            PublishInboundInterceptor hold = (publishInput, publishOutput) -> {
                String payload = publishInput.getPublishPacket().getPayload()
                        .map(buffer -> StandardCharsets.UTF_8.decode(buffer.duplicate()).toString()).orElse("");
                int arrival = arrivals.computeIfAbsent(payload, p -> new AtomicInteger()).incrementAndGet();
                if (payload.startsWith(HOLD) && arrival == 1) {
                    held.put(payload, publishOutput.async(MAX_HOLD, TimeoutFallback.SUCCESS));
                }
            };
            Services.initializerRegistry().setClientInitializer(
                    (initializerInput, clientContext) -> clientContext.addPublishInboundInterceptor(hold));
        }

        @Override
        public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
        }
    }
}
