package io.mqttkafka.bridge.testing.brokers;

/**
 * One running MQTT broker of the broker matrix ({@code BrokerMatrixTest}): a real broker on a loopback port, with
 * persistence on, so that {@link #restart()} keeps sessions, queued messages and retained messages.
 */
public interface MatrixBroker extends AutoCloseable {

    /** The loopback port of its plain MQTT listener. */
    int port();

    /**
     * Stops the broker cleanly (every client is disconnected) and starts it again on the same port with the same
     * data; returns when it accepts connections again.
     */
    void restart();

    /** Stops the broker and deletes its data. */
    @Override
    void close();
}
