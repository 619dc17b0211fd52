package io.mqttkafka.bridge.mqtt;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.jboss.logging.Logger;

/**
 * Keeps the MQTT client's per-message warnings and errors from flooding the log: of the client's incoming-publish
 * handlers, the first warning or error of a connection is logged, the later ones are counted, and when the connection
 * ends one line says how many were left out.
 *
 * <p>Why: hivemq-mqtt-client logs a protocol violation of the broker once per PUBLISH, and it goes on decoding what
 * it has already read after it decided to close the connection; against Mosquitto 2.0.11 overrunning the Receive
 * Maximum that was one ERROR line per message (23,000 in one run, issue 21). The bridge no longer lets the window
 * overrun ({@link InboundWindow}), but a broker can still break the protocol per message in other ways (a reused
 * packet identifier, a missing DUP flag), and a dropped QoS 0 message is a WARN per message.
 *
 * <p>A {@link java.util.logging.Filter} on the client's loggers, which the JBoss LogManager (Quarkus) applies to every
 * record whatever the handler, also when the client logs through SLF4J. The loggers are JVM-wide, so the count is
 * too; only the subscriber receives publishes, and it reports the count when its connection ends.
 */
final class ClientLogLimiter implements Filter {

    private static final Logger LOG = Logger.getLogger(ClientLogLimiter.class);
    /** The client's classes that log per incoming message (hivemq-mqtt-client 1.3). */
    static final List<String> CATEGORIES = List.of(
            "com.hivemq.client.internal.mqtt.handler.publish.incoming.MqttIncomingQosHandler",
            "com.hivemq.client.internal.mqtt.handler.publish.incoming.MqttIncomingPublishService");
    static final ClientLogLimiter INSTANCE = new ClientLogLimiter();

    /** Strong references: java.util.logging keeps loggers weakly, and a collected logger loses its filter. */
    private final List<java.util.logging.Logger> loggers = CATEGORIES.stream()
            .map(java.util.logging.Logger::getLogger).toList();
    private final AtomicBoolean firstLogged = new AtomicBoolean();
    private final AtomicInteger suppressed = new AtomicInteger();

    private ClientLogLimiter() {
    }

    /** Puts the filter on the client's loggers (again, should the logging configuration have been reset). */
    void install() {
        for (java.util.logging.Logger logger : loggers) {
            if (logger.getFilter() != this) {
                logger.setFilter(this);
            }
        }
    }

    @Override
    public boolean isLoggable(LogRecord record) {
        if (record.getLevel().intValue() < Level.WARNING.intValue() || firstLogged.compareAndSet(false, true)) {
            return true;
        }
        suppressed.incrementAndGet();
        return false;
    }

    /**
     * Ends the count of a connection: logs how many warnings and errors were left out, if any, and lets the next
     * connection's first one through. Returns the number left out.
     */
    int connectionEnded(String clientId) {
        int left = suppressed.getAndSet(0);
        firstLogged.set(false);
        if (left > 0) {
            LOG.warnf("The MQTT client logged %d more warnings and errors like the one above on the connection of %s; "
                    + "only the first of each connection is logged", left, clientId);
        }
        return left;
    }
}
