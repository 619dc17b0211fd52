package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The window counts a message until it and every earlier one are acknowledged, because the MQTT client keeps a
 * message until its acknowledgement leaves, and acknowledgements leave in arrival order.
 */
class InboundWindowTest {

    @Test
    void aMessageAcknowledgedBeforeAnEarlierOneStaysHeldUntilThatOneIs() {
        InboundWindow window = new InboundWindow(10, 0);
        List<InboundWindow.Slot> slots = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            slots.add(window.received());
        }

        slots.get(1).release();
        slots.get(2).release();
        assertThat(window.held()).isEqualTo(4);

        slots.get(0).release();
        assertThat(window.held()).isEqualTo(1);

        slots.get(3).release();
        slots.get(3).release();
        assertThat(window.held()).isZero();
        assertThat(window.maxHeld()).isEqualTo(4);
    }

    @Test
    void readingStopsAtTheWindowAndResumesAtHalfOfIt() {
        InboundWindow window = new InboundWindow(10, 0);
        List<InboundWindow.Slot> slots = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            slots.add(window.received());
        }
        assertThat(window.pauses()).isZero();
        slots.add(window.received());
        assertThat(window.pauses()).isEqualTo(1);

        for (int i = 0; i < 4; i++) {
            slots.get(i).release();
        }
        slots.add(window.received()); // 7 held: still paused, so no second pause
        assertThat(window.pauses()).isEqualTo(1);
        for (int i = 4; i < 6; i++) {
            slots.get(i).release();
        }
        assertThat(window.held()).isEqualTo(5);
        for (int i = 0; i < 5; i++) {
            slots.add(window.received());
        }
        assertThat(window.pauses()).as("resumed at 5 held, full again at 10").isEqualTo(2);
    }

    @Test
    void qos0MessagesAreNotCountedUnlessTheyPushBack() {
        InboundWindow window = new InboundWindow(10, 0);
        assertThat(window.countsQos0()).isFalse();
        assertThat(new InboundWindow(10, 4).countsQos0()).isTrue();
    }

    @Test
    void qos0MessagesHaveTheirOwnWindowReleasedInAnyOrder() {
        InboundWindow window = new InboundWindow(10, 4);
        List<InboundWindow.Slot> qos0 = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            qos0.add(window.receivedQos0());
        }
        assertThat(window.pauses()).isZero();
        qos0.add(window.receivedQos0());
        assertThat(window.pauses()).as("full at 4 QoS 0 messages").isEqualTo(1);
        assertThat(window.held()).as("QoS 1/2 count apart").isZero();

        qos0.get(3).release(); // out of arrival order: QoS 0 has no acknowledgement order
        qos0.get(3).release();
        assertThat(window.qos0Held()).isEqualTo(3);
        qos0.add(window.receivedQos0());
        assertThat(window.pauses()).as("still paused until half of the QoS 0 window").isEqualTo(1);
        qos0.get(0).release();
        qos0.get(1).release();
        assertThat(window.qos0Held()).isEqualTo(2);
        qos0.add(window.receivedQos0());
        qos0.add(window.receivedQos0());
        assertThat(window.pauses()).as("resumed at 2, full again at 4").isEqualTo(2);
    }

    @Test
    void readingResumesOnlyWhenBothWindowsAreBelowHalf() {
        InboundWindow window = new InboundWindow(4, 4);
        List<InboundWindow.Slot> qos1 = new ArrayList<>();
        List<InboundWindow.Slot> qos0 = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            qos1.add(window.received());
        }
        for (int i = 0; i < 3; i++) {
            qos0.add(window.receivedQos0());
        }
        assertThat(window.pauses()).isEqualTo(1);
        qos1.forEach(InboundWindow.Slot::release);
        qos0.add(window.receivedQos0());
        assertThat(window.pauses()).as("QoS 1/2 drained, but 4 QoS 0 held: still paused").isEqualTo(1);
        qos0.forEach(InboundWindow.Slot::release);
        qos1.add(window.received());
        qos1.add(window.received());
        qos1.add(window.received());
        qos1.add(window.received());
        assertThat(window.pauses()).as("resumed once both were below half").isEqualTo(2);
    }

    @Test
    void theWindowLeavesRoomForTwoReadsBelowTheAnnouncedReceiveMaximum() {
        assertThat(new InboundWindow(65_535, 0).high()).isEqualTo(InboundWindow.MAX_WINDOW).isEqualTo(49_151);
        assertThat(new InboundWindow(1_000, 0).high()).isEqualTo(1_000);
    }
}
