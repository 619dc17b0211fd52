package io.mqttkafka.bridge.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.Deflater;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fillers exist to test Kafka compression with payloads that compress like real ones, so what is checked is how
 * a batch of consecutive payloads compresses, and that the header the arrival counters read stays intact.
 */
class BenchPayloadTest {

    @ParameterizedTest
    @CsvSource({"ZEROS, 256", "RANDOM, 256", "TELEMETRY, 256", "ZEROS, 4096", "RANDOM, 4096", "TELEMETRY, 4096",
            "TELEMETRY, 24", "TELEMETRY, 60"})
    void everyFillerKeepsTheSizeAndTheHeader(BenchPayload.Filler filler, int size) {
        ByteBuffer payload = ByteBuffer.wrap(BenchPayload.encode(filler, 4711, 123_456_789L, 42, size));

        assertThat(payload.remaining()).isEqualTo(size);
        assertThat(BenchPayload.sequence(payload)).isEqualTo(4711);
        assertThat(BenchPayload.intendedSendNanos(payload)).isEqualTo(123_456_789L);
        assertThat(BenchPayload.runId(payload)).isEqualTo(42);
    }

    @ParameterizedTest
    @CsvSource({"ZEROS, 0.00, 0.05", "RANDOM, 0.90, 1.05", "TELEMETRY, 0.25, 0.70"})
    void aBatchOfConsecutivePayloadsCompressesAsItsKindDoes(BenchPayload.Filler filler, double atLeast, double atMost) {
        for (int size : new int[] {256, 4096}) {
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (int sequence = 0; sequence < 65_536 / size; sequence++) {
                batch.writeBytes(BenchPayload.encode(filler, sequence, System.nanoTime(), 7, size));
            }

            assertThat(compressionRatio(batch.toByteArray())).as("%s at %d bytes", filler, size).isBetween(atLeast, atMost);
        }
    }

    @Test
    void telemetryIsJsonTextAndDiffersFromMessageToMessage() {
        String first = filler(BenchPayload.Filler.TELEMETRY, 0);
        String second = filler(BenchPayload.Filler.TELEMETRY, 1);

        assertThat(first).startsWith("{\"device\":\"dev-0000\"").endsWith("}").contains("\"samples\":[");
        assertThat(first).isNotEqualTo(second);
        assertThat(filler(BenchPayload.Filler.TELEMETRY, BenchPayload.VARIANTS)).as("variants are used in turn")
                .isEqualTo(first);
    }

    @ParameterizedTest
    @EnumSource(BenchPayload.Filler.class)
    void namesAreReadWithoutRegardToCase(BenchPayload.Filler filler) {
        assertThat(BenchPayload.Filler.of(" " + filler.name().toLowerCase() + " ")).isEqualTo(filler);
    }

    @Test
    void anUnknownFillerNamesTheOptionAndTheChoices() {
        assertThatThrownBy(() -> BenchPayload.Filler.of("json"))
                .hasMessage("bench.payload: 'json' is none of zeros, random, telemetry");
    }

    private static String filler(BenchPayload.Filler filler, long sequence) {
        byte[] payload = BenchPayload.encode(filler, sequence, 0, 0, 256);
        return new String(payload, BenchPayload.HEADER_BYTES, payload.length - BenchPayload.HEADER_BYTES,
                StandardCharsets.US_ASCII);
    }

    private static double compressionRatio(byte[] bytes) {
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        deflater.setInput(bytes);
        deflater.finish();
        byte[] buffer = new byte[bytes.length + 1024];
        int compressed = 0;
        while (!deflater.finished()) {
            compressed += deflater.deflate(buffer);
        }
        deflater.end();
        return (double) compressed / bytes.length;
    }
}
