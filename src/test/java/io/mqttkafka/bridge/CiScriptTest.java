package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The helpers of {@code .ci/run}, run the way the script runs them ({@code set -euo pipefail}). CI once failed
 * before any test ran because {@code mvn -v 2>&1 | head -1} exited 1 when head closed the pipe early.
 */
class CiScriptTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            // a command that is still writing when the first line is printed (the pipe into head failed here)
            "seq 1 500000                                    | 1",
            // Mosquitto's help exits non-zero by design
            "sh -c 'echo mosquitto version 2.0.21; exit 3'     | mosquitto version 2.0.21",
            // what is on stderr counts too (java -version)
            "sh -c 'echo openjdk 17.0.15 >&2; echo more >&2'  | openjdk 17.0.15",
            "sh -c 'exit 0'                                  | \"\"",
    })
    void firstLinePrintsTheFirstLineAndNeverFailsTheScript(String command, String expectedFirstLine) throws Exception {
        ScriptRun run = runUnderCiShellOptions("first_line " + command + "; echo still-running");

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).isEqualTo(expectedFirstLine + "\nstill-running\n");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "mosquitto version 2.0.11, false",
            "mosquitto version 2.0.13, true",
            "mosquitto version 2.0.21, true",
            "mosquitto version 2.1.0, true",
            "mosquitto version 3.0.0, true",
            "'', false",
    })
    void recognisesAMosquittoWithTheInFlightWindow(String firstLineOfHelp, boolean recent) throws Exception {
        ScriptRun run = runUnderCiShellOptions("mosquitto_version() { echo '" + firstLineOfHelp + "'; }\n"
                + "if mosquitto_is_recent; then echo recent; else echo old; fi");

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output().strip()).isEqualTo(recent ? "recent" : "old");
    }

    @org.junit.jupiter.api.Test
    void picksDebian12sOwnMosquittoFromTheListOfVersions() throws Exception {
        ScriptRun run = runUnderCiShellOptions("printf '%s\\n'"
                + " ' mosquitto | 2.0.21-1~bpo12+1 | http://mirror/debian bookworm-backports/main amd64 Packages'"
                + " ' mosquitto | 2.0.11-1.2+deb12u2 | http://mirror/debian bookworm/main amd64 Packages'"
                + " ' mosquitto | 2.0.11-1.2+deb12u1 | http://mirror/debian-security bookworm-security/main amd64 Packages'"
                + " | mosquitto_2011_version\n"
                + "printf ' mosquitto | 2.0.21-1 | http://mirror/debian trixie/main amd64 Packages\\n'"
                + " | mosquitto_2011_version\n"
                + "echo end");

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).isEqualTo("2.0.11-1.2+deb12u2\nend\n");
    }

    private static ScriptRun runUnderCiShellOptions(String script) throws IOException, InterruptedException {
        Process bash = new ProcessBuilder("bash", "-c", "set -euo pipefail\n. .ci/lib.sh\n" + script)
                .redirectErrorStream(true).start();
        bash.getOutputStream().close();
        String output = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!bash.waitFor(30, TimeUnit.SECONDS)) {
            bash.destroyForcibly();
            throw new AssertionError("bash did not finish within 30 s; output so far: " + output);
        }
        return new ScriptRun(bash.exitValue(), output);
    }

    private record ScriptRun(int exitCode, String output) {
    }
}
