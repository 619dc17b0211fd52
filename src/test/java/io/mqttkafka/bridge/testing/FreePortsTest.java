package io.mqttkafka.bridge.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.dev.EmbeddedMqttBroker;

/**
 * Ports for test brokers: outside the kernel's ephemeral range (where outgoing connections could take them while a
 * broker restarts), never handed out twice, and a port taken between choosing and binding is replaced by another.
 * A real broker is started on a port someone holds, to pin that its failure is an exception (not a hang) that the
 * retry gets past.
 */
class FreePortsTest {

    @Test
    void portsAreBindableBelowTheEphemeralRangeAndNeverRepeated() throws IOException {
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            ports.add(FreePorts.next());
        }
        assertThat(ports).doesNotHaveDuplicates().allSatisfy(port -> assertThat(port)
                .isGreaterThanOrEqualTo(20_000).isLessThan(FreePorts.ephemeralStart()));
        try (ServerSocket socket = new ServerSocket(ports.get(0), 1, InetAddress.getLoopbackAddress())) {
            assertThat(socket.getLocalPort()).isEqualTo(ports.get(0));
        }
    }

    @Test
    void aPortTakenBeforeTheStartIsReplacedByAnother() throws IOException {
        List<Integer> tried = new ArrayList<>();
        List<ServerSocket> squatters = new ArrayList<>();
        try {
            ServerSocket started = FreePorts.startOnFreePort(port -> {
                tried.add(port);
                try {
                    if (tried.size() == 1) {
                        // Someone else binds the port after it was chosen, before the broker does.
                        squatters.add(new ServerSocket(port, 1, InetAddress.getLoopbackAddress()));
                    }
                    return new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            try (started) {
                assertThat(tried).hasSize(2);
                assertThat(started.getLocalPort()).isEqualTo(tried.get(1));
            }
        } finally {
            for (ServerSocket squatter : squatters) {
                squatter.close();
            }
        }
    }

    @Test
    void otherFailuresAreNotRetried() {
        List<Integer> tried = new ArrayList<>();
        assertThatThrownBy(() -> FreePorts.startOnFreePort(port -> {
            tried.add(port);
            throw new IllegalStateException("broken configuration");
        })).hasMessage("broken configuration");
        assertThat(tried).hasSize(1);
    }

    @Test
    void aBrokerWhosePortWasTakenStartsOnAnother() throws IOException {
        List<Integer> tried = new ArrayList<>();
        List<ServerSocket> squatters = new ArrayList<>();
        try (EmbeddedMqttBroker broker = FreePorts.startOnFreePort(port -> {
            tried.add(port);
            if (tried.size() == 1) {
                try {
                    squatters.add(new ServerSocket(port, 1, InetAddress.getLoopbackAddress()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return EmbeddedMqttBroker.start(port);
        })) {
            assertThat(tried).hasSize(2);
            assertThat(broker.port()).isEqualTo(tried.get(1));
        } finally {
            for (ServerSocket squatter : squatters) {
                squatter.close();
            }
        }
    }
}
