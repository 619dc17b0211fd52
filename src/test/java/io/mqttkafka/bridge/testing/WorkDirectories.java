package io.mqttkafka.bridge.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import org.apache.kafka.common.utils.Utils;

/**
 * The end of the temporary directories that test and benchmark processes make for themselves (a Kafka broker's
 * holds hundreds of megabytes after a benchmark run): deleted when their owner is closed, not left for the machine.
 */
public final class WorkDirectories {

    private WorkDirectories() {
    }

    /** Deletes {@code directory} and everything in it; nothing happens if it is already gone. */
    public static void delete(Path directory) {
        try {
            Utils.delete(directory.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete the work directory " + directory, e);
        }
    }
}
