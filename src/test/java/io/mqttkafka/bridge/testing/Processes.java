package io.mqttkafka.bridge.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

/** Ending the processes tests start (only those: never anything found by name). */
public final class Processes {

    private Processes() {
    }

    /**
     * SIGKILL ({@code forcibly}) or SIGTERM, then waits for the exit; a process that ignores SIGTERM for a
     * minute is killed.
     */
    public static void terminate(Process process, boolean forcibly) {
        if (process == null) {
            return;
        }
        if (forcibly) {
            process.destroyForcibly();
        } else {
            process.destroy();
        }
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Sends {@code signal} (e.g. {@code -STOP}, {@code -CONT}) to this one process, by its PID, with {@code kill}.
     */
    public static void signal(Process process, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
