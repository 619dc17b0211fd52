package io.mqttkafka.bridge.config;

import java.nio.charset.StandardCharsets;

/**
 * A configuration value that must never appear in logs or exception messages. {@link #toString()} is
 * masked; only code that hands the value to a client library calls {@link #reveal()}.
 */
public final class Secret {

    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    /** Used by the configuration converter; also handy in tests. */
    public static Secret of(String value) {
        if (value == null) {
            throw new IllegalArgumentException("Secret value must not be null.");
        }
        return new Secret(value);
    }

    public String reveal() {
        return value;
    }

    public byte[] revealBytes() {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "******";
    }
}
