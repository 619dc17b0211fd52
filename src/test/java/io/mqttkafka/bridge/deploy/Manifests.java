package io.mqttkafka.bridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** Rendering, schema validation and navigation of the Kubernetes manifests in {@code deploy/kubernetes}. */
final class Manifests {

    static final Path BASE = Path.of("deploy", "kubernetes");
    static final Path SERVICE_MONITOR = BASE.resolve("service-monitor");
    static final Path SECRET_EXAMPLE = BASE.resolve("secret.example.yaml");
    static final Path SCHEMA_VALIDATOR = Path.of("src", "test", "kubernetes-schema");

    private Manifests() {
    }

    /** {@code kubectl kustomize dir}: the rendered objects, or an AssertionError with kubectl's output. */
    static String render(Path kustomization) {
        requireKustomize();
        ExternalTool.Result result = ExternalTool.KUBECTL.run(Path.of("."), "kustomize", kustomization.toString());
        if (!result.succeeded()) {
            throw new AssertionError("kustomize cannot render " + kustomization + ": " + result);
        }
        return result.output();
    }

    /**
     * Validates every object in {@code yaml} against the Kubernetes schemas (src/test/kubernetes-schema/validate.mjs).
     * Returns the validator's report; throws an AssertionError naming what is invalid.
     */
    static String validate(String yaml) {
        requireValidator();
        ExternalTool.Result result = ExternalTool.NODE.run(SCHEMA_VALIDATOR, Map.of(), yaml, "validate.mjs");
        if (!result.succeeded()) {
            throw new AssertionError("Objects do not validate: " + result);
        }
        return result.output();
    }

    /** Skips (outside CI) or fails (under CI) when the schema validator cannot run. */
    static void requireValidator() {
        ExternalTool.NODE.require("validates the rendered objects against the Kubernetes schemas");
        ExternalTool.require(Files.isDirectory(SCHEMA_VALIDATOR.resolve("node_modules/kubernetes-models")),
                "validates the rendered objects against the Kubernetes schemas: needs `npm ci` in " + SCHEMA_VALIDATOR);
    }

    /** Skips (outside CI) or fails (under CI) when kustomize cannot run. */
    static void requireKustomize() {
        ExternalTool.KUBECTL.require("renders deploy/kubernetes with kustomize");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> objects(String yaml) {
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(yaml)) {
            if (document != null) {
                objects.add((Map<String, Object>) document);
            }
        }
        return objects;
    }

    static Map<String, Object> only(List<Map<String, Object>> objects, String kind) {
        List<Map<String, Object>> ofKind = objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
        assertThat(ofKind).as("objects of kind %s", kind).hasSize(1);
        return ofKind.get(0);
    }

    /** The value at a path of map keys and list indexes, e.g. {@code at(o, "spec", "ports", 0, "port")}. */
    @SuppressWarnings("unchecked")
    static <T> T at(Object root, Object... path) {
        Object current = root;
        for (Object step : path) {
            if (current instanceof Map<?, ?> map) {
                current = map.get(step);
            } else if (current instanceof List<?> list && step instanceof Integer index) {
                current = index < list.size() ? list.get(index) : null;
            } else {
                return null;
            }
        }
        return (T) current;
    }

    /** The first element of {@code list} whose {@code key} is {@code value}. */
    static Map<String, Object> named(List<Map<String, Object>> list, String value) {
        assertThat(list).as("list holding name %s", value).isNotNull();
        return list.stream().filter(e -> value.equals(e.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no element named " + value + " in " + list));
    }

    /** A copy of {@code dir} (with its subdirectories) in a temporary directory, to break on purpose. */
    static Path copy(Path dir) {
        try {
            Path target = Files.createTempDirectory("deploy-copy-");
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path source : files.sorted(Comparator.naturalOrder()).toList()) {
                    Path destination = target.resolve(dir.relativize(source).toString());
                    if (Files.isDirectory(source)) {
                        Files.createDirectories(destination);
                    } else {
                        Files.copy(source, destination);
                    }
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies of {@code dirs} (relative to {@code root}) under one temporary directory, at the same relative paths. */
    static Path copy(Path root, Path... dirs) {
        try {
            Path target = Files.createTempDirectory("deploy-copy-");
            for (Path dir : dirs) {
                Path copied = copy(root.resolve(dir));
                Path destination = target.resolve(dir.toString());
                Files.createDirectories(destination.getParent());
                Files.move(copied, destination);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void replace(Path file, String from, String to) {
        try {
            String text = Files.readString(file);
            assertThat(text).as("%s contains the text to break", file).contains(from);
            Files.writeString(file, text.replace(from, to));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
