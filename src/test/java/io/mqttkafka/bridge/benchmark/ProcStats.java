package io.mqttkafka.bridge.benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time and peak resident memory of a running process, from /proc. Read while the process is alive: a reaped
 * process has no /proc entry.
 */
final class ProcStats {

    /** USER_HZ: the unit of utime/stime in /proc/PID/stat on Linux (getconf CLK_TCK). */
    private static final double CLOCK_TICKS_PER_SECOND = 100.0;

    private ProcStats() {
    }

    /** User plus system CPU seconds the process used so far. */
    static double cpuSeconds(long pid) {
        return statCpuSeconds(read(Path.of("/proc", Long.toString(pid), "stat")));
    }

    /** One thread of a process: its name (at most 15 characters), CPU seconds and voluntary context switches. */
    record ThreadSample(String name, double cpuSeconds, long voluntarySwitches) {
    }

    /**
     * Every thread of a live process, by thread id. A thread that ends while they are read is left out.
     *
     * @throws IllegalStateException if the process has exited
     */
    static Map<Long, ThreadSample> threads(long pid) {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        Map<Long, ThreadSample> threads = new HashMap<>();
        try (Stream<Path> ids = Files.list(tasks)) {
            for (Path task : ids.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    threads.put(Long.parseLong(task.getFileName().toString()), new ThreadSample(name,
                            statCpuSeconds(stat), statusNumber(Files.readString(task.resolve("status")), "voluntary_ctxt_switches")));
                } catch (IOException threadEnded) {
                    // gone between listing and reading: it did its work before the case or is not counted
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalStateException("Cannot read " + tasks + " (has the process exited?)", e);
        }
        return threads;
    }

    /**
     * The read and write system calls of a process so far, all its threads, ended ones included ({@code syscr} and
     * {@code syscw} of /proc/PID/io): socket and file reads and writes, each call counted once whatever its size.
     */
    record IoCalls(long reads, long writes) {
    }

    static IoCalls ioCalls(long pid) {
        String io = read(Path.of("/proc", Long.toString(pid), "io"));
        return new IoCalls(statusNumber(io, "syscr"), statusNumber(io, "syscw"));
    }

    /** utime + stime of a /proc/.../stat line, in seconds. */
    private static double statCpuSeconds(String stat) {
        // The command name in parentheses may contain spaces; the numeric fields start after the last ')'.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        long utime = Long.parseLong(fields[11]);
        long stime = Long.parseLong(fields[12]);
        return (utime + stime) / CLOCK_TICKS_PER_SECOND;
    }

    /** The number of a {@code name:} line of a /proc/.../status or io file (a unit such as kB left off). */
    private static long statusNumber(String status, String name) {
        String prefix = name + ":";
        for (String line : status.split("\n")) {
            if (line.startsWith(prefix)) {
                return Long.parseLong(line.substring(prefix.length()).replace("kB", "").trim());
            }
        }
        throw new IllegalStateException("No " + name + " in a /proc status or io file");
    }

    /**
     * Busy CPU seconds of the whole machine since boot, summed over its processors: user, nice, system, irq and
     * softirq from the first line of /proc/stat. Idle and iowait are not busy; steal is time the hypervisor gave
     * to others; guest time is already counted in user and nice.
     */
    static double machineCpuSeconds() {
        String[] fields = read(Path.of("/proc/stat")).lines().findFirst().orElseThrow().trim().split("\\s+");
        long busy = 0;
        for (int field : new int[] {1, 2, 3, 6, 7}) {
            busy += Long.parseLong(fields[field]);
        }
        return busy / CLOCK_TICKS_PER_SECOND;
    }

    /** Resets VmHWM (the peak RSS) to the current RSS, so the next reading is the peak of one case. */
    static void resetPeakRss(long pid) {
        try {
            Files.writeString(Path.of("/proc", Long.toString(pid), "clear_refs"), "5");
        } catch (IOException e) {
            throw new IllegalStateException("Cannot reset the peak RSS of process " + pid + ": " + e.getMessage(), e);
        }
    }

    /** VmHWM: the peak resident set size since start or the last {@link #resetPeakRss}, in kB. */
    static long peakRssKb(long pid) {
        return statusNumber(read(Path.of("/proc", Long.toString(pid), "status")), "VmHWM");
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read " + path + " (has the process exited?)", e);
        }
    }
}
