package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.KafkaTestConsumer.header;
import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.dev.EmbeddedMqttBroker;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.FreePorts;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * A broker that refuses one publish, again and again, with a reason code that does not say the message itself is the
 * problem (here QUOTA_EXCEEDED, 0x97; 0x80 and 0x83 are handled the same way). Before, the record was republished
 * without end: the partition's committed offset stayed at it for good, and since any acknowledgement in the lane
 * reset the backoff, the record was republished about every 100 ms while the records behind it flowed. Now the
 * backoff grows until the record itself succeeds, and after {@value KafkaToMqttPipeline#MAX_REFUSALS} refusals it
 * goes to the mapping's failure strategy, so the partition is committed past it.
 *
 * <p>The broker is an embedded HiveMQ with an extension that refuses every publish to a topic ending in
 * {@code /refuse}.
 */
class BrokerRefusalTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    /** When the broker refused a publish, in nanoseconds of {@link System#nanoTime()}. */
    private static final List<Long> REFUSED_AT = new CopyOnWriteArrayList<>();
    private static EmbeddedMqttBroker broker;

    @BeforeAll
    static void startRefusingBroker() {
        EmbeddedExtension refusing = EmbeddedExtension.builder()
                .withId("refuse-quota").withName("refuse-quota").withVersion("1")
                .withExtensionMain(new RefuseTopicsEndingInRefuse()).build();
        broker = FreePorts.startOnFreePort(port -> EmbeddedMqttBroker.start(port, refusing));
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aPublishTheBrokerKeepsRefusingBacksOffAndGoesToTheFailureStrategy() throws Exception {
        String root = SharedBrokers.unique("refusing");
        String in = SharedBrokers.unique("refusing-in");
        String deadLetterTopic = SharedBrokers.unique("refusing-dlq");
        KafkaTestProducer.createTopic(bootstrap(), in, 1);
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.port", Integer.toString(broker.port()))
                .set("bridge.dead-letter-topic", deadLetterTopic)
                .reverseMapping("commands", in, root + "/cmd/{key}", 1, false, null);
        String groupId = configs.build().id();
        int behind = 0;

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(broker.port(), 5, 1, root + "/cmd/#");
                BridgeRuntime bridge = start(configs.build());
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap())) {
            producer.send(in, "refuse", bytes("over quota")).get(30, TimeUnit.SECONDS);
            // Records behind it in the same partition keep flowing, and are acknowledged, until it is let go.
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            List<ConsumerRecord<byte[], byte[]>> deadLetters = List.of();
            while (deadLetters.isEmpty() && System.nanoTime() < deadline) {
                producer.send(in, "ok", bytes("behind-" + behind++)).get(30, TimeUnit.SECONDS);
                deadLetters = KafkaTestConsumer.readAvailable(bootstrap(), deadLetterTopic, Duration.ofMillis(200));
            }

            assertThat(deadLetters).singleElement().satisfies(record -> {
                assertThat(header(record, BridgeHeaders.DLQ_REASON)).startsWith("publish-refused:")
                        .contains("QUOTA_EXCEEDED").contains(KafkaToMqttPipeline.MAX_REFUSALS + " times");
                assertThat(header(record, BridgeHeaders.DLQ_SOURCE_OFFSET)).isEqualTo("0");
            });
            assertThat(REFUSED_AT).hasSize(KafkaToMqttPipeline.MAX_REFUSALS);
            List<Long> gapsMillis = new ArrayList<>();
            for (int i = 1; i < REFUSED_AT.size(); i++) {
                gapsMillis.add(TimeUnit.NANOSECONDS.toMillis(REFUSED_AT.get(i) - REFUSED_AT.get(i - 1)));
            }
            // Backoff 100 ms doubling to 5 s: the acknowledgements of the records behind it no longer reset it.
            assertThat(gapsMillis.get(gapsMillis.size() - 1)).as("last gap between attempts, of %s", gapsMillis)
                    .isGreaterThanOrEqualTo(4_000);

            int sent = behind;
            Awaitility.await("the partition committed past the refused record").atMost(TIMEOUT)
                    .until(() -> KafkaGroups.committedTotal(bootstrap(), groupId, in) == sent + 1);
            assertThat(subscriber.received()).extracting(MqttTestSubscriber.Received::text).as("records behind it")
                    .containsAll(java.util.stream.IntStream.range(0, sent).mapToObj(i -> "behind-" + i).toList());
            assertThat(bridge.isAlive()).isTrue();
        }
    }

    /** Refuses every publish to a topic ending in {@code /refuse} with QUOTA_EXCEEDED, noting when. */
    public static final class RefuseTopicsEndingInRefuse implements ExtensionMain {

        @Override
        public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
            PublishInboundInterceptor refuse = (publishInput, publishOutput) -> {
                if (publishInput.getPublishPacket().getTopic().endsWith("/refuse")) {
                    REFUSED_AT.add(System.nanoTime());
                    publishOutput.preventPublishDelivery(AckReasonCode.QUOTA_EXCEEDED, "test quota");
                }
            };
            Services.initializerRegistry().setClientInitializer(
                    (initializerInput, clientContext) -> clientContext.addPublishInboundInterceptor(refuse));
        }

        @Override
        public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String bootstrap() {
        return SharedBrokers.kafka().bootstrapServers();
    }
}
