package io.mqttkafka.bridge.deploy;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * A program outside the JVM that a deployment check runs (kubectl, node, docker-compose, promtool). Outside CI a test
 * whose program is missing is skipped, saying what it needs and how to install it; under {@code CI} (whose script
 * installs them all) it fails instead, so that CI never passes without the check.
 */
record ExternalTool(String name, String installHint) {

    static final ExternalTool KUBECTL = new ExternalTool("kubectl",
            "kubectl (1.20 or later, with kustomize): Debian's kubernetes-client package, or any kubectl binary on PATH");
    static final ExternalTool NODE = new ExternalTool("node",
            "Node.js with npm (apt-get install -y nodejs npm), then `npm ci` in src/test/kubernetes-schema");
    static final ExternalTool DOCKER_COMPOSE = new ExternalTool("docker-compose",
            "docker-compose (apt-get install -y docker-compose; no Docker engine is needed)");
    static final ExternalTool PROMTOOL = new ExternalTool("promtool", "promtool (apt-get install -y prometheus)");

    /** The executable on PATH, if any. */
    Optional<Path> find() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Skips (outside CI) or fails (under CI) the calling test when the tool is missing. */
    ExternalTool require(String why) {
        require(find().isPresent(), why + ": needs " + installHint);
        return this;
    }

    /** As {@link #require(String)} for any other precondition of an outside check. */
    static void require(boolean available, String message) {
        if (System.getenv("CI") == null) {
            Assumptions.assumeTrue(available, "Skipped: " + message);
        } else if (!available) {
            throw new AssertionError(message + " (CI installs it: .ci/run)");
        }
    }

    /** Runs the tool with {@code arguments} in {@code workDir}, {@code stdin} as its input; waits at most 2 minutes. */
    Result run(Path workDir, Map<String, String> environment, String stdin, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(find().orElseThrow(() -> new IllegalStateException(name + " not found on PATH")).toString());
        command.addAll(List.of(arguments));
        try {
            Path output = Files.createTempFile("deploy-check-", ".out");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                        .redirectOutput(output.toFile());
                builder.environment().putAll(environment);
                Process process = builder.start();
                try (var in = process.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
                if (!process.waitFor(2, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " did not finish within 2 minutes");
                }
                return new Result(process.exitValue(), Files.readString(output), String.join(" ", command));
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Result run(Path workDir, String... arguments) {
        return run(workDir, Map.of(), "", arguments);
    }

    /** Exit code and combined output of one run. */
    record Result(int exitCode, String output, String command) {
        boolean succeeded() {
            return exitCode == 0;
        }

        @Override
        public String toString() {
            return command + " exited " + exitCode + ":\n" + output;
        }
    }
}
