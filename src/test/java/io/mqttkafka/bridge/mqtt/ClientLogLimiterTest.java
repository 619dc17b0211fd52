package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.Test;

/**
 * The MQTT client's per-message warnings and errors: the first of a connection is logged, the rest counted and
 * reported in one line when the connection ends (run under the JBoss LogManager, as the packaged bridge is).
 */
class ClientLogLimiterTest {

    @Test
    void onlyTheFirstWarningOrErrorOfAConnectionIsLoggedAndTheRestCounted() {
        Logger clientLogger = Logger.getLogger(ClientLogLimiter.CATEGORIES.get(0));
        List<LogRecord> written = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                written.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        clientLogger.addHandler(capture);
        try {
            ClientLogLimiter.INSTANCE.connectionEnded("earlier");
            ClientLogLimiter.INSTANCE.install();
            for (int i = 0; i < 500; i++) {
                clientLogger.log(Level.SEVERE, "Received more QoS 1 and/or 2 PUBLISH messages ({0}) than allowed", i);
            }
            clientLogger.log(Level.WARNING, "QoS 0 publish message dropped.");

            assertThat(written).extracting(LogRecord::getLevel).containsExactly(Level.SEVERE);
            assertThat(ClientLogLimiter.INSTANCE.isLoggable(new LogRecord(Level.INFO, "below warnings: not counted")))
                    .isTrue();
            assertThat(ClientLogLimiter.INSTANCE.connectionEnded("bridge-1")).isEqualTo(500);

            clientLogger.log(Level.WARNING, "QoS 0 publish message dropped.");
            assertThat(written).extracting(LogRecord::getLevel).containsExactly(Level.SEVERE, Level.WARNING);
            assertThat(ClientLogLimiter.INSTANCE.connectionEnded("bridge-1")).isZero();
        } finally {
            clientLogger.removeHandler(capture);
        }
    }
}
