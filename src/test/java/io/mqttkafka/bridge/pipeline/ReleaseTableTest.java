package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.pipeline.ReleaseTable.Decision.ACKNOWLEDGE_ONLY;
import static io.mqttkafka.bridge.pipeline.ReleaseTable.Decision.WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The redelivery recognition of exactly-once QoS 2 (docs/design.md, "Exactly-once QoS 2") with the edge cases issue 22
 * names: identical payloads, a redelivery that arrives after new messages, a PUBREL for a message the restarted process
 * never saw; and the ones the design adds. Each scenario runs a first process up to its crash, then restores what it
 * committed, as the restarted process does.
 */
class ReleaseTableTest {

    private static final String TOPIC = "factory/7/orders";
    private static final long ON = ReleaseTable.fingerprint(TOPIC, bytes("ON"));
    private static final long OFF = ReleaseTable.fingerprint(TOPIC, bytes("OFF"));

    /** The first process wrote these under these identifiers and committed them; then it crashed. */
    private static ReleaseTable restartedAfterWriting(Map<Integer, Long> written) {
        ReleaseTable crashed = ReleaseTable.restore(null);
        written.forEach((id, fingerprint) -> {
            assertThat(crashed.onPublish(id, false, fingerprint)).isEqualTo(WRITE);
            crashed.written(id, fingerprint);
        });
        byte[] committedSnapshot = crashed.snapshot();
        crashed.committed();
        return ReleaseTable.restore(committedSnapshot);
    }

    @Test
    void identicalPayloadsUnderTheirOwnIdentifiersAreEachRecognised() {
        ReleaseTable table = restartedAfterWriting(Map.of(1, ON, 2, ON));

        assertThat(table.onPublish(1, true, ON)).isEqualTo(ACKNOWLEDGE_ONLY);
        assertThat(table.onPublish(2, true, ON)).isEqualTo(ACKNOWLEDGE_ONLY);
        // A third "ON", new: first delivery (DUP clear) under an identifier the table does not hold.
        assertThat(table.onPublish(3, false, ON)).isEqualTo(WRITE);
        // And one sent once before the crash but never written: DUP set, identifier not in the table.
        assertThat(table.onPublish(4, true, ON)).isEqualTo(WRITE);
        assertThat(table.mismatches()).isZero();
    }

    @Test
    void aRedeliveryArrivingAfterNewMessagesIsRecognised() {
        ReleaseTable table = restartedAfterWriting(Map.of(7, ON));

        for (int id = 8; id <= 10; id++) {
            assertThat(table.onPublish(id, false, ON)).isEqualTo(WRITE);
            table.written(id, ON);
        }
        assertThat(table.committed()).isEmpty();

        assertThat(table.onPublish(7, true, ON)).isEqualTo(ACKNOWLEDGE_ONLY);
        assertThat(table.size()).isEqualTo(4);
    }

    @Test
    void aPubRelForAMessageTheRestartedProcessNeverSawHoldsItsPubCompUntilTheRemovalIsCommitted() {
        ReleaseTable table = restartedAfterWriting(Map.of(5, ON));

        assertThat(table.onPubRel(5)).isTrue();
        assertThat(table.holdsPubComps()).isTrue();
        assertThat(table.changed()).isTrue();
        assertThat(ReleaseTable.decode(table.snapshot())).isEmpty();
        assertThat(table.committed()).containsExactly(5);
        assertThat(table.holdsPubComps()).isFalse();
        assertThat(table.size()).isZero();

        // The broker got the PUBCOMP and reuses 5 for a new, identical message that it had sent once before: written.
        assertThat(table.onPublish(5, true, ON)).isEqualTo(WRITE);
        assertThat(table.mismatches()).isZero();
    }

    @Test
    void aCrashBeforeTheRemovalIsCommittedKeepsTheEntryAndTheBrokerResendsThePubRel() {
        ReleaseTable first = restartedAfterWriting(Map.of(5, ON));
        byte[] stillCommitted = first.snapshot();
        assertThat(first.onPubRel(5)).isTrue();
        // Crash: the PUBCOMP never left, the removal was never committed.

        ReleaseTable second = ReleaseTable.restore(stillCommitted);
        assertThat(second.size()).isEqualTo(1);
        assertThat(second.onPubRel(5)).isTrue();
        assertThat(second.committed()).containsExactly(5);
        assertThat(second.size()).isZero();
    }

    @Test
    void aPubRelForAnIdentifierOutsideTheTableLetsItsPubCompGoAtOnce() {
        ReleaseTable table = restartedAfterWriting(Map.of(5, ON));

        assertThat(table.onPubRel(6)).isFalse();
        assertThat(table.holdsPubComps()).isFalse();
        assertThat(table.changed()).isFalse();
        assertThat(table.committed()).isEmpty();
        assertThat(table.size()).isEqualTo(1);
    }

    @Test
    void aFirstDeliveryUnderAnInheritedIdentifierIsWritten() {
        ReleaseTable table = restartedAfterWriting(Map.of(5, ON));

        assertThat(table.onPublish(5, false, ON)).isEqualTo(WRITE);
        table.written(5, ON);
        // Once written anew, the identifier names the new message: no later DUP of it is matched in this process.
        assertThat(table.onPublish(5, true, ON)).isEqualTo(WRITE);
    }

    @Test
    void aRedeliveryLikePublishWithOtherContentsIsWrittenAndCounted() {
        ReleaseTable table = restartedAfterWriting(Map.of(5, ON));

        assertThat(table.onPublish(5, true, OFF)).isEqualTo(WRITE);
        assertThat(table.onPublish(5, true, ReleaseTable.fingerprint("factory/8/orders", bytes("ON")))).isEqualTo(WRITE);
        assertThat(table.mismatches()).isEqualTo(2);
    }

    @Test
    void messagesWrittenByThisProcessAreNeverMatched() {
        ReleaseTable table = ReleaseTable.restore(null);
        table.written(1, ON);
        table.committed();

        // The MQTT client answers a resend within one process itself; if one got through, it would be written again.
        assertThat(table.onPublish(1, true, ON)).isEqualTo(WRITE);
    }

    @Test
    void noSessionPresentDropsTheInheritedTable() {
        ReleaseTable table = restartedAfterWriting(Map.of(1, ON, 2, OFF));

        table.sessionNotPresent();
        assertThat(table.onPublish(1, true, ON)).isEqualTo(WRITE);
        assertThat(table.changed()).isTrue();
        assertThat(ReleaseTable.decode(table.snapshot())).isEmpty();
        assertThat(table.committed()).isEmpty();
        assertThat(table.size()).isZero();
    }

    @Test
    void anAbortVoidsTheAdditionsButKeepsTheReleasesAndTheirHeldPubComps() {
        ReleaseTable table = restartedAfterWriting(Map.of(5, ON));
        table.written(6, OFF);
        assertThat(table.onPubRel(5)).isTrue();

        table.aborted();

        assertThat(ReleaseTable.decode(table.snapshot())).isEmpty();
        assertThat(table.holdsPubComps()).isTrue();
        table.written(6, OFF); // its message, unacknowledged, is sent again in the next transaction
        assertThat(ReleaseTable.decode(table.snapshot())).containsExactly(Map.entry(6, OFF));
        assertThat(table.committed()).containsExactly(5);
    }

    @Test
    void snapshotsRoundTripAndABrokenOneIsRefused() {
        ReleaseTable table = ReleaseTable.restore(null);
        table.written(65_535, ON);
        table.written(1, OFF);
        byte[] snapshot = table.snapshot();

        assertThat(snapshot).hasSize(1 + 4 + 2 * 10);
        assertThat(ReleaseTable.decode(snapshot)).containsOnly(Map.entry(1, OFF), Map.entry(65_535, ON));
        assertThat(ReleaseTable.decode(null)).isEmpty();
        byte[] truncated = java.util.Arrays.copyOf(snapshot, snapshot.length - 1);
        assertThatThrownBy(() -> ReleaseTable.decode(truncated)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("exactly-once state snapshot is truncated or corrupt: 2 entries announced, 19 bytes follow");
        byte[] otherVersion = snapshot.clone();
        otherVersion[0] = 2;
        assertThatThrownBy(() -> ReleaseTable.decode(otherVersion)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("exactly-once state snapshot of version 2, this bridge reads version 1");
    }

    @Test
    void fingerprintsSeparateTopicFromPayload() {
        assertThat(ReleaseTable.fingerprint("a/b", bytes("c"))).isNotEqualTo(ReleaseTable.fingerprint("a/", bytes("bc")));
        assertThat(ReleaseTable.fingerprint(TOPIC, bytes("ON"))).isEqualTo(ON);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
