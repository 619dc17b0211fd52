package io.mqttkafka.bridge.failure;

import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.CorruptRecordException;
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
    /** Kafka is unreachable, slow or refusing for a reason not tied to this record; retry later. */
    TRANSIENT;

    public static FailureKind classify(Throwable failure) {
        if (failure instanceof RecordTooLargeException || failure instanceof RecordBatchTooLargeException
                || failure instanceof InvalidTopicException || failure instanceof CorruptRecordException
                || failure instanceof AuthorizationException && !(failure instanceof org.apache.kafka.common.errors.ClusterAuthorizationException)) {
            return POISON;
        }
        if (failure instanceof UnknownTopicOrPartitionException
                || failure instanceof TimeoutException && failure.getMessage() != null
                        && failure.getMessage().contains("not present in metadata")) {
            return POSSIBLY_MISSING_TOPIC;
        }
        return TRANSIENT;
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
        if (failure instanceof CorruptRecordException) {
            return "invalid-record";
        }
        return "write-failed";
    }
}
