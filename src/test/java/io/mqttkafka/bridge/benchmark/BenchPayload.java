package io.mqttkafka.bridge.benchmark;

import java.nio.ByteBuffer;

/**
 * The payload every benchmark message carries: a sequence id, the {@link System#nanoTime()} at which it was meant
 * to be sent, and the id of the case run it belongs to, padded to the case's size. Publisher and consumers live
 * in the harness JVM, so the nanoTime values are comparable. The run id lets topics be reused across cases and
 * repetitions: a consumer ignores messages of any other run.
 */
final class BenchPayload {

    static final int HEADER_BYTES = 24;

    private BenchPayload() {
    }

    static byte[] encode(long sequence, long intendedSendNanos, long runId, int size) {
        if (size < HEADER_BYTES) {
            throw new IllegalArgumentException("Payload size " + size + " is below the " + HEADER_BYTES + "-byte header");
        }
        byte[] payload = new byte[size];
        ByteBuffer.wrap(payload).putLong(sequence).putLong(intendedSendNanos).putLong(runId);
        return payload;
    }

    static long sequence(ByteBuffer payload) {
        return payload.getLong(payload.position());
    }

    static long intendedSendNanos(ByteBuffer payload) {
        return payload.getLong(payload.position() + 8);
    }

    static long runId(ByteBuffer payload) {
        return payload.remaining() < HEADER_BYTES ? -1 : payload.getLong(payload.position() + 16);
    }
}
