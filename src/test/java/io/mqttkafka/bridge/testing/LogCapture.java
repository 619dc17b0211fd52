package io.mqttkafka.bridge.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.jboss.logmanager.ExtLogRecord;

/** Collects the formatted messages that one logger (and its children) writes, for tests that check log lines. */
public final class LogCapture implements AutoCloseable {

    /** One captured line: its level and formatted message. */
    public record Line(Level level, String message) {
    }

    private final Logger logger;
    private final List<Line> lines = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            String message = record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage();
            lines.add(new Line(record.getLevel(), message));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private LogCapture(String loggerName) {
        this.logger = Logger.getLogger(loggerName);
        logger.addHandler(handler);
    }

    /** Starts capturing what {@code loggerName} (e.g. a package) logs. */
    public static LogCapture of(String loggerName) {
        return new LogCapture(loggerName);
    }

    public List<Line> lines() {
        return List.copyOf(lines);
    }

    /** The messages that contain {@code part}. */
    public List<String> containing(String part) {
        return lines.stream().map(Line::message).filter(message -> message.contains(part)).toList();
    }

    /** Every captured message, one per line, for assertion messages. */
    public String all() {
        return String.join("\n", lines.stream().map(line -> line.level() + " " + line.message()).toList());
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
    }
}
