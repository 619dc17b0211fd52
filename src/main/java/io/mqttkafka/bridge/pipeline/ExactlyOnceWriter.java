package io.mqttkafka.bridge.pipeline;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.jboss.logging.Logger;

import io.mqttkafka.bridge.failure.Backoff;
import io.mqttkafka.bridge.kafka.ExactlyOnceState;
import io.mqttkafka.bridge.metrics.BridgeMetrics;
import io.mqttkafka.bridge.mqtt.InboundMessage;
import io.mqttkafka.bridge.mqtt.IncomingQos2Identity;
import io.mqttkafka.bridge.mqtt.PubCompGates;

/**
 * Exactly-once QoS 2, MQTT → Kafka (docs/design.md, "Exactly-once QoS 2"): writes the records of exactly-once mappings
 * in the replica's Kafka transactions and lets each message be acknowledged (its PUBREC leave) only once the
 * transaction holding its records has committed. The written-but-not-released table ({@link ReleaseTable}) is kept in
 * the same transactions, so that a restarted bridge recognises the broker's redeliveries of what it wrote, acknowledges
 * them and does not write them again; a PUBREL removes its entry, and its PUBCOMP is held until that removal is
 * committed.
 *
 * <p>The open transaction is committed every {@code transaction-interval}, at once when a PUBCOMP waits (HiveMQ CE
 * sends nothing more to a client while a PUBCOMP is outstanding), and when the messages waiting for a commit reach
 * {@code commitThreshold}. Commits are coalesced: at most one runs, and whatever arrives meanwhile goes into the next.
 *
 * <p>Threads: the transactional producer and the table are used from one thread of this class only, so a blocking
 * commit never delays the writes of the other mappings (they keep their own producers and sender thread). The methods
 * called from elsewhere ({@link #write}, the {@link PubCompGates.Listener} methods) only hand over.
 *
 * <p>Failures: a send that fails makes its transaction abort; the messages of that transaction, none acknowledged, are
 * written again in a later one after a backoff, except records that can never be written, which go to their mapping's
 * failure strategy ({@link Part#failed}). A commit or abort that times out is retried. A fenced producer (another
 * process with the same {@code transactional.id}) or an abort that fails stops the writer: nothing more is
 * acknowledged, liveness reports why, and a restart of the bridge (which fences and aborts in turn) recovers.
 */
public final class ExactlyOnceWriter implements PubCompGates.Listener, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ExactlyOnceWriter.class);

    /** One record of a message for one exactly-once mapping. */
    public interface Part {

        /** The record, built anew for each attempt (the payload is not held between attempts). */
        ProducerRecord<byte[], byte[]> record();

        /** The record is committed. */
        void committed();

        /**
         * The message was recognised as the broker's redelivery of one whose records a previous process committed: done,
         * without a write.
         */
        void alreadyWritten();

        /**
         * The record's send failed and its transaction was aborted. Returns true when the failure is the record's own (it
         * can never be written as it is): the caller has taken it over (failure strategy) and it leaves the
         * transactions; false to write it again in a later transaction.
         */
        boolean failed(Throwable failure);
    }

    /** A QoS 2 message with its records for the exactly-once mappings it matched; writer thread only. */
    private static final class Message {
        final InboundMessage inbound;
        final List<Part> parts;
        int packetIdentifier;
        long fingerprint;

        Message(InboundMessage inbound, List<Part> parts) {
            this.inbound = inbound;
            this.parts = new ArrayList<>(parts);
        }
    }

    private final BridgeMetrics metrics;
    private final long intervalMillis;
    private final int commitThreshold;
    private final PubCompGates gates = new PubCompGates(this);
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread transactions = new Thread(runnable, "mqtt-to-kafka-transactions");
        transactions.setDaemon(true);
        return transactions;
    });

    /** Set by {@link #start}, before the first task; read by {@link #close} too. */
    private volatile ExactlyOnceState state;
    // Writer thread only, from start() on (the hand-over to the thread publishes them).
    private Producer<byte[], byte[]> producer;
    private ReleaseTable table;
    /** Messages whose records are in the open transaction, in arrival order: acknowledged when it commits. */
    private final ArrayDeque<Message> inTransaction = new ArrayDeque<>();
    /** Messages to write once the retry under way is done (after an abort, or while a commit is retried). */
    private final ArrayDeque<Message> backlog = new ArrayDeque<>();
    /** Table changes (PUBRELs, a session not present) that arrived while a transaction was being ended. */
    private final List<Runnable> afterTransaction = new ArrayList<>();
    private boolean transactionOpen;
    /** The open transaction's snapshot is sent and it is being committed or aborted: the table must not change. */
    private boolean ending;
    /** A retry is scheduled; until it ran, messages wait in {@link #backlog}. */
    private boolean blocked;
    private boolean commitRequested;
    private ScheduledFuture<?> intervalCommit;
    private int failedAttempts;
    private long mismatchesCounted;
    /** Entries inherited at start, and the redeliveries of them recognised; logged once all are settled. */
    private int inheritedAtStart;
    private long recognised;
    /**
     * The first connection of the broker's current session: messages delivered on earlier connections belong to a
     * session the broker dropped, which will neither redeliver nor release them, so they get no entry in the table.
     */
    private int sessionStart;
    /** Send failures of the open transaction, filled by the producer's thread; a new map per transaction. */
    private Map<Part, Throwable> sendFailures = new ConcurrentHashMap<>();
    private volatile String stopReason;
    /** Told once when another process fenced this one's producer; see {@link #onFenced}. */
    private volatile Runnable fenced = () -> { };

    /**
     * @param interval {@code bridge.kafka.transaction-interval}
     * @param commitThreshold messages waiting for a commit at which it is made at once (half the receive maximum, so that
     *        the subscriber's window never fills up with messages waiting for the interval)
     */
    public ExactlyOnceWriter(BridgeMetrics metrics, Duration interval, int commitThreshold) {
        this.metrics = metrics;
        this.intervalMillis = Math.max(1, interval.toMillis());
        this.commitThreshold = Math.max(1, commitThreshold);
    }

    /** What the subscriber connection must hold its PUBCOMPs with and report its connections and PUBRELs to. */
    public PubCompGates pubCompGates() {
        return gates;
    }

    /**
     * Takes the opened state (producer fenced and initialised, snapshot restored). Called once, before the subscriber
     * connects.
     */
    public void start(ExactlyOnceState opened) {
        table = ReleaseTable.restore(opened.restoredSnapshot());
        producer = opened.producer();
        state = opened;
        inheritedAtStart = table.size();
        if (table.size() > 0) {
            LOG.infof("Exactly-once: %d QoS 2 message(s) written before the restart await their PUBREL; the broker's "
                    + "redeliveries of them are acknowledged without being written again", table.size());
        }
    }

    /** Writes the records of a QoS 2 message for its exactly-once mappings; never blocks. */
    public void write(InboundMessage message, List<Part> parts) {
        run(() -> writeNow(new Message(message, parts)));
    }

    @Override
    public void connected(int connection, boolean sessionPresent) {
        run(() -> changeTable(() -> {
            if (!sessionPresent && table.size() > 0) {
                LOG.warnf("Exactly-once: the broker did not resume the session; the %d message(s) written before and "
                        + "not yet released will not be redelivered, and are forgotten", table.size());
            }
            if (!sessionPresent) {
                sessionStart = connection;
                table.sessionNotPresent();
                requestCommit();
            }
        }));
    }

    @Override
    public void pubRel(int packetIdentifier) {
        run(() -> changeTable(() -> {
            if (table.onPubRel(packetIdentifier)) {
                requestCommit();
            } else {
                gates.release(packetIdentifier);
            }
        }));
    }

    @Override
    public void unavailable(String reason) {
        stop(reason);
    }

    /**
     * Runs {@code action} (once, on the writer's thread) when another process took over this replica's transactional id:
     * the process that fenced this one also has its MQTT client ids, and this one must stop taking its sessions back.
     */
    public void onFenced(Runnable action) {
        fenced = action;
    }

    /** Why the writer stopped for good (fenced, an abort that failed); null while it runs. */
    public String stopReason() {
        return stopReason;
    }

    private void writeNow(Message message) {
        if (stopReason != null) {
            return; // stays unacknowledged
        }
        IncomingQos2Identity.Identity identity;
        try {
            identity = message.inbound.qos2Identity();
        } catch (RuntimeException e) {
            stop("the packet identifier of a QoS 2 message cannot be read: " + e.getMessage());
            return;
        }
        message.packetIdentifier = identity.packetIdentifier();
        message.fingerprint = ReleaseTable.fingerprint(message.inbound.topic(), message.inbound.payload());
        ReleaseTable.Decision decision = table.onPublish(identity.packetIdentifier(), identity.dup(), message.fingerprint);
        if (table.mismatches() > mismatchesCounted) {
            mismatchesCounted = table.mismatches();
            metrics.stateMismatch();
            LOG.warnf("Exactly-once: a redelivered QoS 2 message on %s (packet identifier %d) differs from the message "
                    + "recorded under that identifier before the restart; it is written again (a possible duplicate). "
                    + "The broker's session does not match the bridge's state", message.inbound.topic(),
                    identity.packetIdentifier());
        }
        if (decision == ReleaseTable.Decision.ACKNOWLEDGE_ONLY) {
            metrics.redeliveryRecognised();
            recognised++;
            message.parts.forEach(Part::alreadyWritten);
            return;
        }
        if (blocked) {
            backlog.addLast(message);
        } else {
            send(message);
        }
    }

    private void send(Message message) {
        if (message.parts.isEmpty() || !transactionOpen && !begin()) {
            return;
        }
        Map<Part, Throwable> failures = sendFailures;
        for (Part part : message.parts) {
            try {
                producer.send(part.record(), (metadata, failure) -> {
                    if (failure != null) {
                        failures.put(part, failure);
                        run(this::requestCommit);
                    }
                });
            } catch (KafkaException e) {
                failures.put(part, e);
            }
        }
        if (message.inbound.connection() >= sessionStart) {
            table.written(message.packetIdentifier, message.fingerprint);
        }
        inTransaction.addLast(message);
        if (!failures.isEmpty() || inTransaction.size() >= commitThreshold) {
            requestCommit();
        }
    }

    private boolean begin() {
        try {
            producer.beginTransaction();
        } catch (KafkaException | IllegalStateException e) {
            if (!isFatal(e)) {
                stop("cannot begin a Kafka transaction: " + describe(e));
            }
            return false;
        }
        transactionOpen = true;
        sendFailures = new ConcurrentHashMap<>();
        intervalCommit = thread.schedule(this::requestCommit, intervalMillis, TimeUnit.MILLISECONDS);
        return true;
    }

    private void requestCommit() {
        if (!commitRequested) {
            commitRequested = true;
            run(this::commit);
        }
    }

    private void commit() {
        commitRequested = false;
        if (stopReason != null || blocked || !transactionOpen && !table.changed()) {
            return; // a scheduled retry ends the transaction; or nothing to commit
        }
        if (!transactionOpen && !begin()) {
            return;
        }
        ending = true;
        if (!sendFailures.isEmpty()) {
            abort(sendFailures.values().iterator().next());
            return;
        }
        if (table.changed()) {
            Map<Part, Throwable> failures = sendFailures;
            try {
                producer.send(state.stateRecord(table.snapshot()), (metadata, failure) -> {
                    if (failure != null) {
                        failures.put(STATE_RECORD, failure);
                    }
                });
            } catch (KafkaException e) {
                abort(e);
                return;
            }
        }
        completeCommit();
    }

    /** Commits the transaction whose records and snapshot are sent; called again after a commit that timed out. */
    private void completeCommit() {
        try {
            producer.commitTransaction();
        } catch (TimeoutException e) {
            retryLater(this::completeCommit, "commit", e);
            return;
        } catch (InterruptException e) {
            return; // closing: nothing is acknowledged, the broker redelivers after the restart
        } catch (KafkaException | IllegalStateException e) {
            if (!isFatal(e)) {
                abort(e);
            }
            return;
        }
        metrics.transaction("committed");
        failedAttempts = 0;
        transactionEnded();
        List<Integer> released = table.committed();
        Message message;
        while ((message = inTransaction.pollFirst()) != null) {
            message.parts.forEach(Part::committed);
        }
        released.forEach(gates::release);
        logWhenInheritedSettled();
        afterTransactionEnded();
    }

    /**
     * Aborts the open transaction: the table forgets its additions (their messages are written again, after a backoff),
     * keeps its removals; records that failed on their own account go to their failure strategy.
     */
    private void abort(Throwable cause) {
        try {
            producer.abortTransaction();
        } catch (TimeoutException e) {
            retryLater(() -> abort(cause), "abort", e);
            return;
        } catch (InterruptException e) {
            return;
        } catch (KafkaException | IllegalStateException e) {
            if (!isFatal(e)) {
                // The client refuses to abort once it is in a fatal state of its own (e.g. a commit of a transaction
                // the coordinator had aborted for outliving transaction.timeout.ms: InvalidTxnStateException). No
                // other process is involved (that is ProducerFencedException, handled by isFatal): a new producer
                // with the same transactional id aborts what is open and goes on.
                renewProducer(cause, e);
            }
            return;
        }
        aborted(cause);
    }

    /**
     * Replaces the producer after {@code refusal} (see {@link ExactlyOnceState#renewProducer()}); retried with backoff
     * while Kafka cannot initialise the new one. The open transaction counts as aborted.
     */
    private void renewProducer(Throwable cause, Throwable refusal) {
        try {
            producer = state.renewProducer();
        } catch (KafkaException e) {
            if (!isFatal(e)) {
                retryLater(() -> renewProducer(cause, refusal), "producer renewal", e);
            }
            return;
        } catch (IllegalStateException e) {
            stop("the Kafka transaction cannot be aborted after " + describe(cause) + ": " + describe(refusal)
                    + "; restart the bridge (it aborts the transaction at startup)");
            return;
        }
        LOG.warnf("Exactly-once: the transactional producer could not go on after %s (%s); a new one with the same "
                + "transactional id aborted the open transaction, whose messages are written again", describe(cause),
                describe(refusal));
        aborted(cause);
    }

    /** After the open transaction was aborted (by this producer, or by a new one that replaced it). */
    private void aborted(Throwable cause) {
        metrics.transaction("aborted");
        Map<Part, Throwable> failures = sendFailures;
        transactionEnded();
        table.aborted();
        List<Message> again = new ArrayList<>(inTransaction);
        inTransaction.clear();
        for (Message message : again) {
            message.parts.removeIf(part -> {
                Throwable failure = failures.get(part);
                return failure != null && part.failed(failure);
            });
        }
        for (int i = again.size() - 1; i >= 0; i--) {
            backlog.addFirst(again.get(i));
        }
        retryLater(this::afterTransactionEnded, "transaction", cause);
    }

    private void transactionEnded() {
        transactionOpen = false;
        ending = false;
        if (intervalCommit != null) {
            intervalCommit.cancel(false);
            intervalCommit = null;
        }
    }

    /** Applies the table changes that waited for the transaction's end, then writes what waited, in order. */
    private void afterTransactionEnded() {
        if (stopReason != null) {
            return;
        }
        List<Runnable> waited = new ArrayList<>(afterTransaction);
        afterTransaction.clear();
        waited.forEach(Runnable::run);
        Message message;
        while (!blocked && stopReason == null && (message = backlog.pollFirst()) != null) {
            send(message);
        }
        // Requests that came while a retry was due were dropped by commit(): a held PUBCOMP, or a change of the table
        // with no transaction to carry it, makes one due now.
        if (table.holdsPubComps() || !transactionOpen && table.changed()) {
            requestCommit();
        }
    }

    /** Runs a change of the table now, or once the transaction being ended has ended (its snapshot is sent). */
    private void changeTable(Runnable change) {
        if (ending) {
            afterTransaction.add(change);
        } else {
            change.run();
        }
    }

    /** Once, when no entry inherited from before the restart is left: what became of them. */
    private void logWhenInheritedSettled() {
        if (inheritedAtStart > 0 && table.inheritedCount() == 0) {
            LOG.infof("Exactly-once: the %d message(s) inherited from before the restart are settled: %d redelivered by "
                    + "the broker and acknowledged without a write, the others released by their PUBREL or dropped with "
                    + "the session", inheritedAtStart, recognised);
            inheritedAtStart = 0;
        }
    }

    /** Blocks the writes until {@code retry} ran on the writer thread after a backoff. */
    private void retryLater(Runnable retry, String what, Throwable failure) {
        blocked = true;
        long delay = Backoff.delayMillis(failedAttempts);
        if (Backoff.worthLogging(failedAttempts)) {
            LOG.warnf("Exactly-once: Kafka %s failed (%s); retrying in %d ms, the messages stay unacknowledged", what,
                    describe(failure), delay);
        }
        failedAttempts++;
        try {
            thread.schedule(() -> {
                blocked = false;
                retry.run();
            }, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // shutting down: what is unacknowledged is redelivered after the restart
        }
    }

    private void stop(String reason) {
        if (stopReason == null) {
            stopReason = "exactly-once writer stopped: " + reason;
            LOG.errorf("Exactly-once: %s. The MQTT → Kafka direction acknowledges nothing more; unacknowledged messages "
                    + "stay with the broker until the bridge is restarted", reason);
        }
    }

    /**
     * Whether this producer can do nothing more after {@code e}; if so the writer is stopped, saying why. Fenced means
     * that another process with the same transactional id started.
     */
    private boolean isFatal(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof ProducerFencedException) {
                boolean first = stopReason == null;
                stop("another process took over the Kafka transactional id (" + describe(cause) + "); two replicas "
                        + "share bridge.kafka.transactional-id-prefix, or an older process of this replica still runs");
                if (first) {
                    fenced.run();
                }
                return true;
            }
        }
        if (e instanceof AuthorizationException || e instanceof UnsupportedVersionException
                || e instanceof IllegalStateException) {
            stop("the Kafka transaction failed for good: " + describe(e));
            return true;
        }
        return false;
    }

    private void run(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException closing) {
            // shutting down: what is unacknowledged is redelivered after the restart
        }
    }

    private static String describe(Throwable failure) {
        return failure == null ? "no cause" : failure.getClass().getSimpleName() + ": " + failure.getMessage();
    }

    /** Stops the writer thread and closes the producer; an open transaction is aborted by Kafka or at the next start. */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (state != null) {
            state.close();
        }
    }

    /** Stands for the snapshot record among the send failures of a transaction. */
    private static final Part STATE_RECORD = new Part() {
        @Override
        public ProducerRecord<byte[], byte[]> record() {
            throw new UnsupportedOperationException("the snapshot record is built by the writer");
        }

        @Override
        public void committed() {
        }

        @Override
        public void alreadyWritten() {
        }

        @Override
        public boolean failed(Throwable failure) {
            return false;
        }
    };
}
