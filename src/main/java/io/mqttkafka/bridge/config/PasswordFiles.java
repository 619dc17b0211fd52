package io.mqttkafka.bridge.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a password kept in a file of its own (a mounted secret). Kept in one place so that the startup check and
 * every reconnect read it the same way.
 */
public final class PasswordFiles {

    private PasswordFiles() {
    }

    /**
     * The file's bytes without one trailing line break ({@code \n} or {@code \r\n}): {@code echo secret > file} and
     * {@code kubectl create secret --from-file} of such a file would otherwise put the line break into the password.
     * The bytes are the password; callers must not log them.
     */
    public static byte[] read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int length = bytes.length;
        if (length > 0 && bytes[length - 1] == '\n') {
            length--;
            if (length > 0 && bytes[length - 1] == '\r') {
                length--;
            }
        }
        return length == bytes.length ? bytes : Arrays.copyOf(bytes, length);
    }
}
