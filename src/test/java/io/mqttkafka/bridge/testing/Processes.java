package io.mqttkafka.bridge.testing;

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
}
