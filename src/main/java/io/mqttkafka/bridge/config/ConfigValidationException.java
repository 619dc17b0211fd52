package io.mqttkafka.bridge.config;

import java.util.List;

/**
 * Thrown at startup when the configuration is unusable. The message lists every problem found, each
 * as {@code <key>: <reason>}, so one failed start tells the operator everything to fix.
 */
public final class ConfigValidationException extends RuntimeException {

    private final List<String> problems;

    public ConfigValidationException(List<String> problems) {
        super(format(problems));
        this.problems = List.copyOf(problems);
    }

    /** Each entry is {@code <key>: <reason>}. */
    public List<String> problems() {
        return problems;
    }

    private static String format(List<String> problems) {
        StringBuilder message = new StringBuilder("Invalid bridge configuration (")
                .append(problems.size()).append(problems.size() == 1 ? " problem" : " problems").append("):");
        for (String problem : problems) {
            message.append(System.lineSeparator()).append("  - ").append(problem);
        }
        return message.toString();
    }
}
