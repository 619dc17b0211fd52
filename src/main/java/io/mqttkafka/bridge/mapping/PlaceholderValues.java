package io.mqttkafka.bridge.mapping;

/**
 * Supplies placeholder values when a {@link Template} is rendered.
 *
 * <p>A functional interface so that each bridge direction can supply values from its own message type
 * ({@link TopicMatch} for MQTT → Kafka; a Kafka record adapter for Kafka → MQTT) without this package
 * depending on either client library.
 */
@FunctionalInterface
public interface PlaceholderValues {

    /**
     * Returns the value of a placeholder.
     *
     * @param placeholder the placeholder name without braces, e.g. {@code site}, {@code 1} or
     *     {@code header:foo}
     * @return the value, or null when this source has no value for the placeholder (rendering then
     *     fails with an {@link IllegalStateException}; return {@code ""} to render nothing instead)
     */
    String value(String placeholder);
}
