package io.mqttkafka.bridge.benchmark;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The payload every benchmark message carries: a sequence id, the {@link System#nanoTime()} at which it was meant
 * to be sent, and the id of the case run it belongs to, followed by filler up to the case's size. Publisher and
 * consumers live in the harness JVM, so the nanoTime values are comparable. The run id lets topics be reused across
 * cases and repetitions: a consumer ignores messages of any other run.
 *
 * <p>What the filler holds matters only where something compresses it (Kafka's {@code compression.type}); neither
 * broker nor the bridge does by default. {@code bench.payload} chooses it, see {@link Filler}.
 */
final class BenchPayload {

    static final int HEADER_BYTES = 24;

    /**
     * Distinct fillers per size, used in turn. More than a Kafka batch holds of the smallest payload (64 KiB of
     * 256-byte records), so that a compressor never sees a filler twice in one batch and finds only the redundancy
     * a filler has in itself and shares with its neighbours.
     */
    static final int VARIANTS = 1024;

    /** Read here too, for the encoders on the hot path; an unknown value fails first in {@link Benchmark.Options}. */
    private static final Filler FILLER = Filler.fromSystemProperties();

    private BenchPayload() {
    }

    static byte[] encode(long sequence, long intendedSendNanos, long runId, int size) {
        return encode(FILLER, sequence, intendedSendNanos, runId, size);
    }

    static byte[] encode(Filler filler, long sequence, long intendedSendNanos, long runId, int size) {
        if (size < HEADER_BYTES) {
            throw new IllegalArgumentException("Payload size " + size + " is below the " + HEADER_BYTES + "-byte header");
        }
        byte[] payload = new byte[size];
        ByteBuffer.wrap(payload).putLong(sequence).putLong(intendedSendNanos).putLong(runId);
        filler.fill(payload, sequence);
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

    /** What follows the header. */
    enum Filler {
        /** Zero bytes: the default, and what every run before the option existed used. Compresses to nearly nothing. */
        ZEROS,
        /** Random bytes, as an end-to-end encrypted or already compressed payload: does not compress at all. */
        RANDOM,
        /**
         * JSON telemetry of one device (identifiers, a timestamp, readings, a list of samples), with other values in
         * every variant: compresses like real device JSON, where a batch repeats the field names but not the values.
         */
        TELEMETRY;

        private final Map<Integer, byte[][]> variantsBySize = new ConcurrentHashMap<>();

        /** The filler {@code bench.payload} names (default {@code zeros}). */
        static Filler fromSystemProperties() {
            return of(Benchmark.Options.property("bench.payload", "zeros"));
        }

        static Filler of(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bench.payload: '" + name + "' is none of zeros, random, telemetry");
            }
        }

        void fill(byte[] payload, long sequence) {
            if (this == ZEROS) {
                return;
            }
            byte[] filler = variantsBySize.computeIfAbsent(payload.length, this::variants)[(int) (sequence % VARIANTS)];
            System.arraycopy(filler, 0, payload, HEADER_BYTES, filler.length);
        }

        private byte[][] variants(int size) {
            // Seeded: every run offers the compressor the same bytes.
            SplittableRandom random = new SplittableRandom(size);
            byte[][] variants = new byte[VARIANTS][];
            for (int i = 0; i < VARIANTS; i++) {
                variants[i] = this == RANDOM ? randomBytes(random, size - HEADER_BYTES)
                        : telemetry(random, i, size - HEADER_BYTES);
            }
            return variants;
        }

        private static byte[] randomBytes(SplittableRandom random, int length) {
            byte[] bytes = new byte[length];
            random.nextBytes(bytes);
            return bytes;
        }

        /** Exactly {@code length} bytes of JSON (padded with spaces before the closing brace). */
        private static byte[] telemetry(SplittableRandom random, int variant, int length) {
            StringBuilder json = new StringBuilder(length + 64);
            json.append(String.format(Locale.ROOT,
                    "{\"device\":\"dev-%04d\",\"site\":\"plant-%d\",\"ts\":%d,\"temperature\":%.2f,\"humidity\":%.1f,"
                            + "\"battery\":%d,\"status\":\"%s\",\"samples\":[",
                    variant % 500, variant % 7, 1_764_700_000_000L + random.nextLong(86_400_000L),
                    15 + random.nextDouble(15), 30 + random.nextDouble(40), random.nextInt(101),
                    random.nextInt(20) == 0 ? "degraded" : "ok"));
            String separator = "";
            // Room for one more sample (at most 6 characters with its comma) and the closing "]}".
            while (json.length() + 8 <= length) {
                json.append(separator).append(String.format(Locale.ROOT, "%.2f", 15 + random.nextDouble(15)));
                separator = ",";
            }
            json.append("]");
            if (json.length() + 1 > length) {
                return " ".repeat(length).getBytes(StandardCharsets.US_ASCII); // too small for any telemetry
            }
            json.append(" ".repeat(length - json.length() - 1)).append('}');
            return json.toString().getBytes(StandardCharsets.US_ASCII);
        }
    }
}
