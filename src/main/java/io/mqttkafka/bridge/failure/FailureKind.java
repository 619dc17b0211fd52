package io.mqttkafka.bridge.failure;

import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * How a failed Kafka write is handled. The distinction that matters: is the failure a property of this
 * message (it would fail again: dead-letter it, so it never blocks the others), or of the moment (Kafka
 * is down or slow: the message waits and is retried, and is not acknowledged meanwhile)?
 */
public enum FailureKind {

    /** The record can never be written as it is; goes to the dead-letter topic. */
    POISON,
    /** The topic may not exist (metadata wait timed out); ask the cluster before deciding. */
    POSSIBLY_MISSING_TOPIC,
    /**
     * The producer's buffer stayed full for {@code max.block.ms}: back-pressure, the record never reached a
     * partition, so it says nothing about the record or its partition; retry later.
     */
    BACK_PRESSURE,
    /** Kafka is unreachable, slow or refusing for a reason not tied to this record; retry later. */
    TRANSIENT;

    public static FailureKind classify(Throwable failure) {
        if (failure instanceof BufferExhaustedException) {
            return BACK_PRESSURE;
        }
        if (failure instanceof RecordTooLargeException || failure instanceof RecordBatchTooLargeException
                || failure instanceof InvalidTopicException || failure instanceof CorruptRecordException
                || failure instanceof InvalidRecordException || failure instanceof InvalidTimestampException
                || failure instanceof AuthorizationException && !(failure instanceof ClusterAuthorizationException)) {
            return POISON;
        }
        if (failure instanceof UnknownTopicOrPartitionException
                || failure instanceof TimeoutException && failure.getMessage() != null
                        && failure.getMessage().contains("not present in metadata")) {
            return POSSIBLY_MISSING_TOPIC;
        }
        return TRANSIENT;
    }

    /**
     * Classifies a failed MQTT publish (Kafka → MQTT). Poison: the broker refused this message for what it
     * is (topic name, authorisation, payload format), or the client could not encode it (e.g. larger than the
     * maximum packet size the broker announced). Everything
     * else (connection lost, session expired, quota, server busy) is transient: the record is published
     * again later and its offset stays uncommitted meanwhile.
     */
    public static FailureKind classifyMqttPublish(Throwable failure) {
        Throwable cause = unwrap(failure);
        return mqttPoisonReason(cause) != null ? POISON : TRANSIENT;
    }

    /** A short, stable word for a failed MQTT publish, for metrics and the dead-letter reason header. */
    public static String mqttReasonCode(Throwable failure) {
        String poison = mqttPoisonReason(unwrap(failure));
        return poison != null ? poison : "publish-failed";
    }

    private static String mqttPoisonReason(Throwable cause) {
        if (cause instanceof IllegalArgumentException) {
            return "invalid-message";
        }
        if (cause instanceof com.hivemq.client.mqtt.exceptions.MqttEncodeException
                || cause instanceof io.mqttkafka.bridge.mqtt.MessageTooLargeException) {
            return "message-too-large";
        }
        String code = mqttRefusalCode(cause);
        if (code == null) {
            return null;
        }
        return switch (code) {
            case "TOPIC_NAME_INVALID" -> "invalid-topic";
            case "NOT_AUTHORIZED" -> "not-authorized";
            case "PAYLOAD_FORMAT_INVALID" -> "invalid-payload-format";
            default -> null;
        };
    }

    /**
     * The reason code with which an MQTT 5 broker refused a publish (PUBACK or PUBREC with an error code), e.g.
     * {@code QUOTA_EXCEEDED}; null when the failure is not such a refusal.
     */
    public static String mqttRefusalCode(Throwable cause) {
        if (cause instanceof com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException pubAck) {
            return pubAck.getMqttMessage().getReasonCode().name();
        }
        if (cause instanceof com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubRecException pubRec) {
            return pubRec.getMqttMessage().getReasonCode().name();
        }
        return null;
    }

    /**
     * How a failed MQTT publish reads in a log line or dead-letter reason: for a broker's refusal its reason code and,
     * when the broker gave one, its reason string (the client's own exception message says only that the
     * acknowledgement "contained an Error Code"); otherwise the exception.
     */
    public static String describeMqttFailure(Throwable failure) {
        Throwable cause = unwrap(failure);
        com.hivemq.client.mqtt.datatypes.MqttUtf8String reasonString = null;
        if (cause instanceof com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException pubAck) {
            reasonString = pubAck.getMqttMessage().getReasonString().orElse(null);
        } else if (cause instanceof com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubRecException pubRec) {
            reasonString = pubRec.getMqttMessage().getReasonString().orElse(null);
        }
        String code = mqttRefusalCode(cause);
        if (code == null) {
            return String.valueOf(cause);
        }
        return "reason code " + code + (reasonString == null ? "" : " ('" + reasonString + "')");
    }

    /** The exception behind the wrappers that futures add ({@code CompletionException}, {@code ExecutionException}). */
    public static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof java.util.concurrent.CompletionException
                || cause instanceof java.util.concurrent.ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** A short, stable word for metrics and the dead-letter reason header. */
    public static String reasonCode(Throwable failure) {
        if (failure instanceof RecordTooLargeException || failure instanceof RecordBatchTooLargeException) {
            return "record-too-large";
        }
        if (failure instanceof InvalidTopicException) {
            return "invalid-topic";
        }
        if (failure instanceof AuthorizationException) {
            return "not-authorized";
        }
        if (failure instanceof CorruptRecordException || failure instanceof InvalidRecordException) {
            return "invalid-record";
        }
        if (failure instanceof InvalidTimestampException) {
            return "invalid-timestamp";
        }
        return "write-failed";
    }
}
