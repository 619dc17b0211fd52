package io.mqttkafka.bridge.failure;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import com.hivemq.client.mqtt.exceptions.ConnectionClosedException;
import com.hivemq.client.mqtt.exceptions.ConnectionFailedException;
import com.hivemq.client.mqtt.exceptions.MqttClientStateException;
import com.hivemq.client.mqtt.exceptions.MqttEncodeException;
import com.hivemq.client.mqtt.exceptions.MqttSessionExpiredException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubRecException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.pubrec.Mqtt5PubRec;
import com.hivemq.client.mqtt.mqtt5.message.publish.pubrec.Mqtt5PubRecReasonCode;

class FailureKindTest {

    /**
     * A PUBACK / PUBREC with the given reason code. The client offers no public builder for received
     * acknowledgements, so the public message interface is implemented by a proxy; only the reason code
     * (and the optional reason string) is answered.
     */
    private static <T> T ack(Class<T> type, Object reasonCode) {
        return ack(type, reasonCode, null);
    }

    private static <T> T ack(Class<T> type, Object reasonCode, String reasonString) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) ->
                switch (method.getName()) {
                    case "getReasonCode" -> reasonCode;
                    case "getReasonString" -> Optional.ofNullable(reasonString)
                            .map(com.hivemq.client.mqtt.datatypes.MqttUtf8String::of);
                    case "toString" -> type.getSimpleName() + "[" + reasonCode + "]";
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                }));
    }

    private static Mqtt5PubAckException pubAck(Mqtt5PubAckReasonCode code) {
        return new Mqtt5PubAckException(ack(Mqtt5PubAck.class, code), "PUBACK " + code);
    }

    private static Mqtt5PubRecException pubRec(Mqtt5PubRecReasonCode code) {
        return new Mqtt5PubRecException(ack(Mqtt5PubRec.class, code), "PUBREC " + code);
    }

    static Stream<Arguments> mqttPublishFailures() {
        return Stream.of(
                // The message itself cannot be published: dead-letter it.
                Arguments.of(new IllegalArgumentException("topic must not contain wildcards"), FailureKind.POISON,
                        "invalid-message"),
                Arguments.of(new MqttEncodeException("maximum packet size exceeded"), FailureKind.POISON,
                        "message-too-large"),
                Arguments.of(pubAck(Mqtt5PubAckReasonCode.TOPIC_NAME_INVALID), FailureKind.POISON, "invalid-topic"),
                Arguments.of(pubAck(Mqtt5PubAckReasonCode.NOT_AUTHORIZED), FailureKind.POISON, "not-authorized"),
                Arguments.of(pubAck(Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID), FailureKind.POISON,
                        "invalid-payload-format"),
                Arguments.of(pubRec(Mqtt5PubRecReasonCode.TOPIC_NAME_INVALID), FailureKind.POISON, "invalid-topic"),
                Arguments.of(pubRec(Mqtt5PubRecReasonCode.NOT_AUTHORIZED), FailureKind.POISON, "not-authorized"),
                Arguments.of(pubRec(Mqtt5PubRecReasonCode.PAYLOAD_FORMAT_INVALID), FailureKind.POISON,
                        "invalid-payload-format"),
                // The broker is busy or the connection is in trouble: publish again later.
                Arguments.of(pubAck(Mqtt5PubAckReasonCode.QUOTA_EXCEEDED), FailureKind.TRANSIENT, "publish-failed"),
                Arguments.of(pubAck(Mqtt5PubAckReasonCode.UNSPECIFIED_ERROR), FailureKind.TRANSIENT, "publish-failed"),
                Arguments.of(pubAck(Mqtt5PubAckReasonCode.IMPLEMENTATION_SPECIFIC_ERROR), FailureKind.TRANSIENT,
                        "publish-failed"),
                Arguments.of(pubAck(Mqtt5PubAckReasonCode.PACKET_IDENTIFIER_IN_USE), FailureKind.TRANSIENT,
                        "publish-failed"),
                Arguments.of(pubRec(Mqtt5PubRecReasonCode.QUOTA_EXCEEDED), FailureKind.TRANSIENT, "publish-failed"),
                Arguments.of(pubRec(Mqtt5PubRecReasonCode.UNSPECIFIED_ERROR), FailureKind.TRANSIENT, "publish-failed"),
                Arguments.of(new MqttSessionExpiredException("session expired", new RuntimeException("lost")),
                        FailureKind.TRANSIENT, "publish-failed"),
                Arguments.of(new ConnectionClosedException("connection closed"), FailureKind.TRANSIENT,
                        "publish-failed"),
                Arguments.of(new ConnectionFailedException("connect failed"), FailureKind.TRANSIENT, "publish-failed"),
                Arguments.of(new MqttClientStateException("not connected"), FailureKind.TRANSIENT, "publish-failed"),
                Arguments.of(new RuntimeException("boom"), FailureKind.TRANSIENT, "publish-failed"),
                Arguments.of(new IllegalStateException("closed"), FailureKind.TRANSIENT, "publish-failed"),
                Arguments.of(new java.util.concurrent.TimeoutException("no ack"), FailureKind.TRANSIENT,
                        "publish-failed"),
                // Wrappers added by futures are seen through...
                Arguments.of(new CompletionException(new IllegalArgumentException("bad")), FailureKind.POISON,
                        "invalid-message"),
                Arguments.of(new ExecutionException(new MqttEncodeException("too large")), FailureKind.POISON,
                        "message-too-large"),
                Arguments.of(new CompletionException(new ExecutionException(pubAck(Mqtt5PubAckReasonCode.NOT_AUTHORIZED))),
                        FailureKind.POISON, "not-authorized"),
                Arguments.of(new CompletionException(new ConnectionClosedException("closed")), FailureKind.TRANSIENT,
                        "publish-failed"),
                // ... but other wrappers are not: the cause of an arbitrary exception is not the failure.
                Arguments.of(new RuntimeException(new IllegalArgumentException("bad")), FailureKind.TRANSIENT,
                        "publish-failed"));
    }

    static Stream<Arguments> kafkaWriteFailures() {
        return Stream.of(
                // Properties of the record: they would fail again, so the failure strategy takes them at once.
                Arguments.of(new RecordTooLargeException("too large"), FailureKind.POISON, "record-too-large"),
                Arguments.of(new RecordBatchTooLargeException("batch too large"), FailureKind.POISON, "record-too-large"),
                Arguments.of(new InvalidTopicException("bad name"), FailureKind.POISON, "invalid-topic"),
                Arguments.of(new TopicAuthorizationException("denied"), FailureKind.POISON, "not-authorized"),
                Arguments.of(new CorruptRecordException("crc"), FailureKind.POISON, "invalid-record"),
                Arguments.of(new InvalidRecordException("compacted topic needs a key"), FailureKind.POISON,
                        "invalid-record"),
                Arguments.of(new InvalidTimestampException("timestamp out of range"), FailureKind.POISON,
                        "invalid-timestamp"),
                // Missing topic or unreachable cluster look alike; TopicPresence asks before deciding.
                Arguments.of(new UnknownTopicOrPartitionException("unknown"), FailureKind.POSSIBLY_MISSING_TOPIC,
                        "write-failed"),
                Arguments.of(new TimeoutException("Topic t not present in metadata after 10000 ms."),
                        FailureKind.POSSIBLY_MISSING_TOPIC, "write-failed"),
                // The producer's buffer stayed full for max.block.ms: back-pressure, retried, never taken as the
                // partition refusing writes (it is a TimeoutException, like the delivery timeout's).
                Arguments.of(new BufferExhaustedException("Failed to allocate 8291 bytes within the configured max "
                        + "blocking time 500 ms."), FailureKind.BACK_PRESSURE, "write-failed"),
                // Cluster-wide or momentary: retried (after the delivery timeout, a refusing partition is
                // recognised by asking the cluster, not by the exception).
                Arguments.of(new ClusterAuthorizationException("cluster denied"), FailureKind.TRANSIENT, "not-authorized"),
                Arguments.of(new SaslAuthenticationException("bad credentials"), FailureKind.TRANSIENT, "write-failed"),
                Arguments.of(new NotEnoughReplicasException("isr 1 < 2"), FailureKind.TRANSIENT, "write-failed"),
                Arguments.of(new TimeoutException("Expiring 3 record(s) for t-0:120000 ms has passed since batch creation"),
                        FailureKind.TRANSIENT, "write-failed"),
                Arguments.of(new NetworkException("disconnected"), FailureKind.TRANSIENT, "write-failed"),
                Arguments.of(new OutOfOrderSequenceException("producer state"), FailureKind.TRANSIENT, "write-failed"),
                Arguments.of(new IllegalStateException("closed"), FailureKind.TRANSIENT, "write-failed"));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1} ({2})")
    @MethodSource("kafkaWriteFailures")
    void classifiesKafkaWriteFailures(Throwable failure, FailureKind kind, String reasonCode) {
        assertThat(FailureKind.classify(failure)).isEqualTo(kind);
        assertThat(FailureKind.reasonCode(failure)).isEqualTo(reasonCode);
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1} ({2})")
    @MethodSource("mqttPublishFailures")
    void classifiesMqttPublishFailures(Throwable failure, FailureKind kind, String reasonCode) {
        assertThat(FailureKind.classifyMqttPublish(failure)).isEqualTo(kind);
        assertThat(FailureKind.mqttReasonCode(failure)).isEqualTo(reasonCode);
    }

    /** Every reason code a broker can send is either poison or transient, never an exception. */
    @ParameterizedTest
    @EnumSource(Mqtt5PubAckReasonCode.class)
    void everyPubAckReasonCodeIsClassified(Mqtt5PubAckReasonCode code) {
        FailureKind kind = FailureKind.classifyMqttPublish(pubAck(code));

        assertThat(kind).isIn(FailureKind.POISON, FailureKind.TRANSIENT);
        assertThat(kind == FailureKind.POISON).isEqualTo(code == Mqtt5PubAckReasonCode.TOPIC_NAME_INVALID
                || code == Mqtt5PubAckReasonCode.NOT_AUTHORIZED || code == Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID);
    }

    /** A refusal reads as its reason code (and the broker's reason string), not as the client's generic message. */
    @Test
    void describesARefusedPublishByItsReasonCodeAndReasonString() {
        assertThat(FailureKind.describeMqttFailure(new CompletionException(pubAck(Mqtt5PubAckReasonCode.NOT_AUTHORIZED))))
                .isEqualTo("reason code NOT_AUTHORIZED");
        assertThat(FailureKind.describeMqttFailure(new Mqtt5PubRecException(ack(Mqtt5PubRec.class,
                Mqtt5PubRecReasonCode.QUOTA_EXCEEDED, "quota of client x"), "PUBREC"))).isEqualTo(
                        "reason code QUOTA_EXCEEDED ('quota of client x')");
        assertThat(FailureKind.describeMqttFailure(new IllegalStateException("client offline")))
                .isEqualTo("java.lang.IllegalStateException: client offline");
    }

    @Test
    void mqttPublishIsNeverClassifiedAsAMissingTopic() {
        assertThat(FailureKind.classifyMqttPublish(new org.apache.kafka.common.errors.UnknownTopicOrPartitionException("x")))
                .isEqualTo(FailureKind.TRANSIENT);
    }

    static Stream<Arguments> wrapped() {
        IllegalArgumentException root = new IllegalArgumentException("root");
        CompletionException bareCompletion = new CompletionException("no cause", null);
        ExecutionException bareExecution = new ExecutionException("no cause", null);
        RuntimeException plain = new RuntimeException(root);
        return Stream.of(
                Arguments.of(root, root),
                Arguments.of(new CompletionException(root), root),
                Arguments.of(new ExecutionException(root), root),
                Arguments.of(new CompletionException(new ExecutionException(root)), root),
                Arguments.of(new ExecutionException(new CompletionException(new CompletionException(root))), root),
                // A wrapper without a cause is itself the failure.
                Arguments.of(bareCompletion, bareCompletion),
                Arguments.of(bareExecution, bareExecution),
                // Only the futures' wrappers are removed.
                Arguments.of(plain, plain),
                Arguments.of(new CompletionException(plain), plain));
    }

    @ParameterizedTest
    @MethodSource("wrapped")
    void unwrapSeesThroughFutureWrappers(Throwable failure, Throwable expected) {
        assertThat(FailureKind.unwrap(failure)).isSameAs(expected);
    }

    @Test
    void unwrapOfNullIsNull() {
        assertThat(FailureKind.unwrap(null)).isNull();
    }
}
