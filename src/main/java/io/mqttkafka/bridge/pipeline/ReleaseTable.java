package io.mqttkafka.bridge.pipeline;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Exactly-once QoS 2: the written-but-not-released table of one MQTT session, and the decisions taken on it
 * (docs/design.md, "Exactly-once QoS 2"). Pure: no client, no Kafka; the caller feeds it what it saw and commits.
 *
 * <p>The table maps a packet identifier to the fingerprint of the message written with it. What is <em>committed</em>
 * is what Kafka holds (the snapshot written in the last committed transaction); what is <em>pending</em> is the change
 * the open transaction will commit. A redelivery is recognised only against the entries inherited from the previous
 * process (the snapshot restored at startup): within one process the MQTT client itself never hands a QoS 2 message to
 * the application twice.
 *
 * <p>Not thread-safe: one thread (the exactly-once sender) owns it.
 */
public final class ReleaseTable {

    private static final byte SNAPSHOT_VERSION = 1;

    /** What to do with a received QoS 2 PUBLISH. */
    public enum Decision {
        /** A new message (or one whose earlier write was never committed): write its exactly-once records. */
        WRITE,
        /** The broker's redelivery of a message whose records are committed: acknowledge, do not write again. */
        ACKNOWLEDGE_ONLY
    }

    /** Identifier → fingerprint, as committed in Kafka. */
    private final Map<Integer, Long> committed;
    /** Identifiers the restarted process inherited and that are still committed. */
    private final Set<Integer> inherited;
    /** Additions of the open transaction. */
    private final Map<Integer, Long> pendingAdds = new HashMap<>();
    /** Removals of the open transaction (PUBRELs seen); kept across an abort, since the PUBRELs will not come again. */
    private final Set<Integer> pendingRemoves = new HashSet<>();
    /** Identifiers whose PUBCOMP waits for the commit of their removal, in the order of their PUBRELs. */
    private final List<Integer> heldPubComps = new ArrayList<>();
    private long mismatches;

    private ReleaseTable(Map<Integer, Long> committed) {
        this.committed = committed;
        this.inherited = new HashSet<>(committed.keySet());
    }

    /** The table a process starts with: the last committed snapshot ({@code null} or empty: none). */
    public static ReleaseTable restore(byte[] snapshot) {
        return new ReleaseTable(decode(snapshot));
    }

    /**
     * Decides about a received QoS 2 PUBLISH of an exactly-once mapping: a redelivery iff DUP is set, the identifier
     * was inherited and the fingerprint is the recorded one. Everything else is written; a redelivery-like PUBLISH
     * whose fingerprint differs is counted in {@link #mismatches()} (a table that does not belong to the broker's
     * session): in doubt the message is written again, never skipped.
     */
    public Decision onPublish(int packetIdentifier, boolean dup, long fingerprint) {
        if (!dup || !inherited.contains(packetIdentifier) || pendingRemoves.contains(packetIdentifier)) {
            return Decision.WRITE;
        }
        if (committed.get(packetIdentifier) != fingerprint) {
            mismatches++;
            return Decision.WRITE;
        }
        return Decision.ACKNOWLEDGE_ONLY;
    }

    /** The exactly-once records of the message with this identifier went into the open transaction. */
    public void written(int packetIdentifier, long fingerprint) {
        pendingAdds.put(packetIdentifier, fingerprint);
        pendingRemoves.remove(packetIdentifier);
        // A new message under this identifier: the inherited one is gone for good.
        inherited.remove(packetIdentifier);
    }

    /**
     * A PUBREL arrived. Returns true when its PUBCOMP must be held until the next commit (the identifier is in the
     * table, and until its removal is committed a crash would leave it there: a later message reusing it could be taken
     * for a redelivery); false when the PUBCOMP may go at once.
     */
    public boolean onPubRel(int packetIdentifier) {
        boolean inTable = committed.containsKey(packetIdentifier) || pendingAdds.containsKey(packetIdentifier);
        pendingAdds.remove(packetIdentifier);
        if (!inTable) {
            return false;
        }
        pendingRemoves.add(packetIdentifier);
        heldPubComps.add(packetIdentifier);
        return true;
    }

    /** The broker has no session: nothing will be redelivered or released; the whole table goes with the next commit. */
    public void sessionNotPresent() {
        pendingAdds.clear();
        pendingRemoves.addAll(committed.keySet());
        inherited.clear();
    }

    /** Whether the open transaction changes the table (then it must carry a snapshot). */
    public boolean changed() {
        return !pendingAdds.isEmpty() || !pendingRemoves.isEmpty();
    }

    /** Whether PUBCOMPs wait for a commit, which makes one due at once (docs/design.md, the HiveMQ CE stall). */
    public boolean holdsPubComps() {
        return !heldPubComps.isEmpty();
    }

    /** The snapshot of the table as the open transaction will commit it. */
    public byte[] snapshot() {
        Map<Integer, Long> next = new TreeMap<>(committed);
        next.keySet().removeAll(pendingRemoves);
        next.putAll(pendingAdds);
        ByteBuffer buffer = ByteBuffer.allocate(1 + 4 + next.size() * 10);
        buffer.put(SNAPSHOT_VERSION).putInt(next.size());
        next.forEach((id, fingerprint) -> buffer.putShort((short) id.intValue()).putLong(fingerprint));
        return buffer.array();
    }

    /**
     * The open transaction committed: its changes are now the committed table. Returns the identifiers whose PUBCOMP
     * may now be sent, in PUBREL order.
     */
    public List<Integer> committed() {
        committed.keySet().removeAll(pendingRemoves);
        inherited.removeAll(pendingRemoves);
        committed.putAll(pendingAdds);
        pendingAdds.clear();
        pendingRemoves.clear();
        List<Integer> released = List.copyOf(heldPubComps);
        heldPubComps.clear();
        return released;
    }

    /**
     * The open transaction was aborted: its additions are void (their messages, unacknowledged, are written again);
     * its removals and held PUBCOMPs carry over to the next transaction.
     */
    public void aborted() {
        pendingAdds.clear();
    }

    /** Redelivery-like PUBLISHes (DUP, inherited identifier) whose fingerprint differed, since start. */
    public long mismatches() {
        return mismatches;
    }

    /** Inherited entries not yet released (or replaced by a new message under their identifier). */
    public int inheritedCount() {
        return inherited.size();
    }

    /** Entries in the committed table. */
    public int size() {
        return committed.size();
    }

    /** The first 8 bytes of SHA-256 over the topic and the payload, each preceded by its length. */
    public static long fingerprint(String topic, byte[] payload) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        byte[] topicBytes = topic.getBytes(StandardCharsets.UTF_8);
        digest.update(ByteBuffer.allocate(4).putInt(topicBytes.length).array());
        digest.update(topicBytes);
        digest.update(ByteBuffer.allocate(4).putInt(payload.length).array());
        digest.update(payload);
        return ByteBuffer.wrap(digest.digest()).getLong();
    }

    static Map<Integer, Long> decode(byte[] snapshot) {
        Map<Integer, Long> table = new HashMap<>();
        if (snapshot == null || snapshot.length == 0) {
            return table;
        }
        ByteBuffer buffer = ByteBuffer.wrap(snapshot);
        byte version = buffer.get();
        if (version != SNAPSHOT_VERSION) {
            throw new IllegalArgumentException("exactly-once state snapshot of version " + version
                    + ", this bridge reads version " + SNAPSHOT_VERSION);
        }
        int entries = buffer.getInt();
        if (entries < 0 || buffer.remaining() != entries * 10L) {
            throw new IllegalArgumentException("exactly-once state snapshot is truncated or corrupt: " + entries
                    + " entries announced, " + buffer.remaining() + " bytes follow");
        }
        for (int i = 0; i < entries; i++) {
            table.put(Short.toUnsignedInt(buffer.getShort()), buffer.getLong());
        }
        return table;
    }
}
