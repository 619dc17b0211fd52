package io.mqttkafka.bridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.kafka.ExactlyOnceState;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.mqtt.InboundMessage;
import io.mqttkafka.bridge.mqtt.IncomingQos2Identity;
import io.mqttkafka.bridge.mqtt.Mqtt5Properties;

/**
 * {@link ExactlyOnceWriter} over Kafka's {@code MockProducer}: a message is acknowledged only once the transaction
 * holding its record (and the table's snapshot) committed; a redelivery of a message the previous process committed is
 * acknowledged without a write; a PUBREL of a held entry makes a commit due at once; an aborted transaction's messages
 * are written again and acknowledged once; a fenced producer stops the writer and acknowledges nothing.
 */
class ExactlyOnceWriterTest {

    private static final Duration LONG_INTERVAL = Duration.ofHours(1);
    private static final String TOPIC = "factory/7/orders";
    private static final String STATE_TOPIC = "state";

    private final BridgeMetrics metrics = new BridgeMetrics(new SimpleMeterRegistry());
    private ExactlyOnceWriter writer;

    @AfterEach
    void close() {
        if (writer != null) {
            writer.close();
        }
    }

    @Test
    void aMessageIsAcknowledgedOnlyWhenTheTransactionWithItsRecordAndTheSnapshotCommitted() {
        MockProducer<byte[], byte[]> producer = transactional();
        writer = started(producer, null, 2);

        Part first = write(1, false, "ON");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> producer.uncommittedRecords().size() == 1);
        assertThat(first.committed).as("not acknowledged while its transaction is open").hasValue(0);

        Part second = write(2, false, "ON");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> second.committed.get() == 1);
        assertThat(first.committed).hasValue(1);
        assertThat(producer.commitCount()).isEqualTo(1);
        List<ProducerRecord<byte[], byte[]>> history = producer.history();
        assertThat(history).hasSize(3);
        assertThat(history.get(2).topic()).isEqualTo(STATE_TOPIC);
        assertThat(ReleaseTable.decode(history.get(2).value())).containsOnlyKeys(1, 2);
        assertThat(metrics.transactionCount("committed")).isEqualTo(1);
    }

    @Test
    void aRedeliveryOfWhatThePreviousProcessCommittedIsAcknowledgedWithoutAWriteAndADifferentOneIsWritten() {
        ReleaseTable previous = ReleaseTable.restore(null);
        previous.written(5, ReleaseTable.fingerprint(TOPIC, bytes("ON")));
        previous.written(6, ReleaseTable.fingerprint(TOPIC, bytes("ON")));
        MockProducer<byte[], byte[]> producer = transactional();
        writer = started(producer, previous.snapshot(), 1);

        Part redelivery = write(5, true, "ON");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> redelivery.alreadyWritten.get() == 1);
        assertThat(redelivery.committed).hasValue(0);
        assertThat(producer.history()).isEmpty();
        assertThat(producer.uncommittedRecords()).isEmpty();
        assertThat(metrics.redeliveriesRecognisedCount()).isEqualTo(1);

        Part other = write(6, true, "OFF");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> other.committed.get() == 1);
        assertThat(other.alreadyWritten).hasValue(0);
        assertThat(producer.history()).extracting(ProducerRecord::topic).containsExactly("out", STATE_TOPIC);
        assertThat(metrics.stateMismatchCount()).isEqualTo(1);
    }

    @Test
    void aPubRelOfAnEntryMakesACommitDueAtOnceAndOneOutsideTheTableDoesNot() {
        ReleaseTable previous = ReleaseTable.restore(null);
        previous.written(5, ReleaseTable.fingerprint(TOPIC, bytes("ON")));
        MockProducer<byte[], byte[]> producer = transactional();
        writer = started(producer, previous.snapshot(), 100);

        writer.pubRel(5);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> producer.commitCount() == 1);
        assertThat(producer.history()).hasSize(1);
        assertThat(ReleaseTable.decode(producer.history().get(0).value())).isEmpty();

        writer.pubRel(6);
        Part marker = write(7, false, "marker");
        writer.pubRel(7);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> marker.committed.get() == 1);
        assertThat(producer.commitCount()).as("the PUBREL of 6 needed no commit; 7's did").isEqualTo(2);
    }

    @Test
    void theMessagesOfAnAbortedTransactionAreWrittenAgainAndAcknowledgedOnce() {
        AtomicBoolean failNextCommit = new AtomicBoolean(true);
        MockProducer<byte[], byte[]> producer = transactional(new MockProducer<>(true, null, new ByteArraySerializer(),
                new ByteArraySerializer()) {
            @Override
            public void commitTransaction() {
                if (failNextCommit.getAndSet(false)) {
                    throw new KafkaException("the coordinator could not be reached");
                }
                super.commitTransaction();
            }
        });
        writer = started(producer, null, 1);

        Part part = write(1, false, "ON");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> part.committed.get() == 1);
        assertThat(metrics.transactionCount("aborted")).isEqualTo(1);
        assertThat(metrics.transactionCount("committed")).isEqualTo(1);
        assertThat(producer.history()).extracting(ProducerRecord::topic).containsExactly("out", STATE_TOPIC);
        assertThat(part.failures).hasValue(0);
    }

    @Test
    void aFencedProducerStopsTheWriterAndNothingIsAcknowledged() {
        MockProducer<byte[], byte[]> producer = transactional();
        writer = started(producer, null, 2);
        AtomicInteger fenced = new AtomicInteger();
        writer.onFenced(fenced::incrementAndGet);

        Part part = write(1, false, "ON");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> producer.uncommittedRecords().size() == 1);
        producer.fenceProducer();
        write(2, false, "ON");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> writer.stopReason() != null);
        assertThat(writer.stopReason()).contains("another process took over the Kafka transactional id");
        Awaitility.await("the runtime told to step aside").atMost(Duration.ofSeconds(10)).until(() -> fenced.get() == 1);
        assertThat(part.committed).hasValue(0);
        assertThat(metrics.transactionCount("committed")).isZero();
    }

    /**
     * A commit refused because the coordinator had aborted the transaction (it outlived {@code transaction.timeout.ms},
     * e.g. the process was frozen) leaves Kafka's producer in a fatal state in which it refuses to abort: a new producer
     * with the same transactional id takes over and the message is written again and acknowledged once; the writer does
     * not stop, and nothing says another process took over.
     */
    @Test
    void aProducerThatCannotGoOnAfterATimedOutTransactionIsReplacedAndTheMessageWrittenAgain() {
        MockProducer<byte[], byte[]> broken = transactional(new MockProducer<>(true, null, new ByteArraySerializer(),
                new ByteArraySerializer()) {
            @Override
            public void commitTransaction() {
                throw new InvalidTxnStateException("The producer attempted a transactional operation in an invalid state.");
            }

            @Override
            public void abortTransaction() {
                throw new KafkaException("Cannot execute transactional method because we are in an error state");
            }
        });
        MockProducer<byte[], byte[]> renewed = new MockProducer<>(true, null, new ByteArraySerializer(),
                new ByteArraySerializer());
        AtomicBoolean fenced = new AtomicBoolean();
        writer = new ExactlyOnceWriter(metrics, LONG_INTERVAL, 1);
        writer.onFenced(() -> fenced.set(true));
        writer.start(ExactlyOnceState.over(broken, () -> renewed, STATE_TOPIC, "bridge-1", null));

        Part part = write(1, false, "ON");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> part.committed.get() == 1);
        assertThat(broken.closed()).isTrue();
        assertThat(renewed.transactionInitialized()).isTrue();
        assertThat(renewed.history()).extracting(ProducerRecord::topic).containsExactly("out", STATE_TOPIC);
        assertThat(metrics.transactionCount("aborted")).isEqualTo(1);
        assertThat(metrics.transactionCount("committed")).isEqualTo(1);
        assertThat(writer.stopReason()).isNull();
        assertThat(fenced).isFalse();
    }

    private ExactlyOnceWriter started(MockProducer<byte[], byte[]> producer, byte[] restored, int commitThreshold) {
        ExactlyOnceWriter started = new ExactlyOnceWriter(metrics, LONG_INTERVAL, commitThreshold);
        started.start(ExactlyOnceState.over(producer, STATE_TOPIC, "bridge-1", restored));
        return started;
    }

    /** A MockProducer that completes every send at once, its transactions initialised. */
    private static MockProducer<byte[], byte[]> transactional() {
        return transactional(new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()));
    }

    private static MockProducer<byte[], byte[]> transactional(MockProducer<byte[], byte[]> producer) {
        producer.initTransactions();
        return producer;
    }

    private Part write(int packetIdentifier, boolean dup, String payload) {
        Part part = new Part(payload);
        writer.write(new Received(packetIdentifier, dup, bytes(payload)), List.of(part));
        return part;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** One record to the topic {@code out}; counts what the writer reports. */
    private static final class Part implements ExactlyOnceWriter.Part {
        final String payload;
        final AtomicInteger committed = new AtomicInteger();
        final AtomicInteger alreadyWritten = new AtomicInteger();
        final AtomicInteger failures = new AtomicInteger();

        Part(String payload) {
            this.payload = payload;
        }

        @Override
        public ProducerRecord<byte[], byte[]> record() {
            return new ProducerRecord<>("out", bytes(payload));
        }

        @Override
        public void committed() {
            committed.incrementAndGet();
        }

        @Override
        public void alreadyWritten() {
            alreadyWritten.incrementAndGet();
        }

        @Override
        public boolean failed(Throwable failure) {
            failures.incrementAndGet();
            return false;
        }
    }

    /** A QoS 2 PUBLISH as the MQTT client hands it over, with its packet identifier and DUP flag. */
    private record Received(int packetIdentifier, boolean dup, byte[] bytes) implements InboundMessage {

        @Override
        public String topic() {
            return TOPIC;
        }

        @Override
        public byte[] payload() {
            return bytes.clone();
        }

        @Override
        public int payloadSize() {
            return bytes.length;
        }

        @Override
        public int qos() {
            return 2;
        }

        @Override
        public boolean retain() {
            return false;
        }

        @Override
        public long receivedAtMillis() {
            return 0;
        }

        @Override
        public Optional<Mqtt5Properties> properties() {
            return Optional.empty();
        }

        @Override
        public IncomingQos2Identity.Identity qos2Identity() {
            return new IncomingQos2Identity.Identity(packetIdentifier, dup);
        }

        @Override
        public void acknowledge() {
            throw new AssertionError("the writer reports to its parts; the pipeline acknowledges");
        }
    }
}
