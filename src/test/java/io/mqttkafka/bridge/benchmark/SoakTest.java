package io.mqttkafka.bridge.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SoakTest {

    @Test
    void readsTheUsedHeapFromJcmd() {
        String g1 = """
                12345:
                 garbage-first heap   total 262144K, used 48213K [0x00000000f0000000, 0x0000000100000000)
                  region size 1024K, 3 young (3072K), 0 survivors (0K)
                 Metaspace       used 41234K, committed 41792K, reserved 1114112K
                """;
        String serial = """
                12345:
                 def new generation   total 9792K, used 1250K [0x00000000e0000000, 0x00000000e0aa0000, 0x00000000eaaa0000)
                """;

        assertThat(Soak.parseHeapUsedKb(g1)).isEqualTo(48213);
        assertThat(Soak.parseHeapUsedKb(serial)).isEqualTo(1250);
        assertThatThrownBy(() -> Soak.parseHeapUsedKb("12345:\nCommand not found"))
                .hasMessageContaining("No heap usage");
    }

    /** A soak that failed before anything arrived still writes its report: that failure is what it must show. */
    @Test
    void reportsASoakInWhichNothingArrived() {
        Soak.Outcome beforeTheFirstSample = new Soak.Outcome(List.of(), 1_800_000, 0, 0, null,
                "publisher could not connect");
        Soak.Outcome sampledButEmpty = new Soak.Outcome(List.of(new Soak.Sample(Duration.ofSeconds(30), 40_000, 300_000, 0)),
                1_800_000, 0, 0, null, "stall: no arrival for 15 s");

        assertThat(Soak.markdown(beforeTheFirstSample, Duration.ofMinutes(10), 3000, "256m")).contains(
                "Arrived 0 of 1800000, duplicates 0, latency – (nothing arrived). Heap after GC, last third against first"
                        + " third: – (no sample). Status: FAILED: publisher could not connect");
        assertThat(Soak.markdown(sampledButEmpty, Duration.ofMinutes(10), 3000, "256m"))
                .contains("| 30 | 39.1 | 293 | 0 |")
                .contains("latency – (nothing arrived). Heap after GC, last third against first third: +0.0 %. Status:"
                        + " FAILED: stall: no arrival for 15 s");
    }

    @ParameterizedTest(name = "{0} -> {1} %")
    @CsvSource(delimiter = ';', value = {
            // heap after GC per sample (KB); growth of the last third against the first third
            "100,100,100,100,100,100;  0.0",
            "100,100,110,120,150,150;  50.0",
            "200,190,180,170,160,150;  -20.5",
            "80,120,100,100,100,100;   0.0",
            "100;                      0.0",
    })
    void comparesTheLastThirdWithTheFirst(String heapKb, double expectedPercent) {
        long[] values = java.util.Arrays.stream(heapKb.split(",")).mapToLong(Long::parseLong).toArray();
        List<Soak.Sample> samples = LongStream.range(0, values.length)
                .mapToObj(i -> new Soak.Sample(Duration.ofSeconds(30 * (i + 1)), values[(int) i], 0, 0)).toList();
        Soak.Outcome outcome = new Soak.Outcome(samples, 0, 0, 0, null, null);

        assertThat(outcome.heapGrowthPercent()).isCloseTo(expectedPercent, org.assertj.core.data.Offset.offset(0.05));
    }
}
