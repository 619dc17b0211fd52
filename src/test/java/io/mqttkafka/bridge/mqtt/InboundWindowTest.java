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
        InboundWindow window = new InboundWindow(10);
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
        InboundWindow window = new InboundWindow(10);
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
    void theWindowLeavesRoomForTwoReadsBelowTheAnnouncedReceiveMaximum() {
        assertThat(new InboundWindow(65_535).high()).isEqualTo(InboundWindow.MAX_WINDOW).isEqualTo(49_151);
        assertThat(new InboundWindow(1_000).high()).isEqualTo(1_000);
    }
}
