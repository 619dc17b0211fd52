package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.testing.BridgeProcess;

/**
 * The packaged application must not carry the example configuration it was built next to: Quarkus records
 * the configuration it sees at build time as defaults, which would turn the example mappings in
 * {@code config/application.yaml} into mappings of every deployment (see {@code BuildTimeConfigExclusion}).
 */
class PackagedConfigIT {

    @Test
    void packagedApplicationCarriesNoBridgeSettingsFromTheBuild() throws IOException {
        Path generated = BridgeProcess.applicationJar().getParent().resolve("quarkus/generated-bytecode.jar");
        List<String> offenders = new ArrayList<>();
        try (JarFile jar = new JarFile(generated.toFile())) {
            for (JarEntry entry : Collections.list(jar.entries())) {
                String content = new String(jar.getInputStream(entry).readAllBytes(), StandardCharsets.ISO_8859_1);
                if (content.contains("bridge.mqtt-to-kafka") || content.contains("iot.temperature")) {
                    offenders.add(entry.getName());
                }
            }
        }
        assertThat(offenders).as("generated classes that recorded bridge.* values at build time").isEmpty();
    }
}
