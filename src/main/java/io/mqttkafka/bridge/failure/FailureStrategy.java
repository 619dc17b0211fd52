package io.mqttkafka.bridge.failure;

import java.util.Arrays;
import java.util.Optional;

/**
 * What a mapping does with a message that can never be written as it is (illegal rendered topic, too
 * large, topic missing, refused by the broker): configured per mapping as {@code failure-strategy}.
 */
public enum FailureStrategy {

    /** Write it to the dead-letter topic with the reason, then acknowledge / commit it. The default. */
    DEAD_LETTER("dead-letter"),
    /** Acknowledge / commit it without writing it anywhere; counted in {@code bridge_messages_ignored_total}. */
    IGNORE("ignore"),
    /**
     * Stop the direction: the message is neither acknowledged nor committed, the bridge stops taking new work
     * in that direction and reports itself not alive, so that an operator (or the orchestrator) sees it.
     */
    FAIL("fail");

    private final String configValue;

    FailureStrategy(String configValue) {
        this.configValue = configValue;
    }

    /** The strategy named {@code value} in the configuration, or empty. */
    public static Optional<FailureStrategy> parse(String value) {
        return Arrays.stream(values()).filter(s -> s.configValue.equals(value)).findFirst();
    }

    /** How the configuration writes it. */
    public String configValue() {
        return configValue;
    }
}
