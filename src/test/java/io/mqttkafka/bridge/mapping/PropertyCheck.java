package io.mqttkafka.bridge.mapping;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A minimal property-based test runner: generates values from a seeded {@link Random}, checks an assertion against
 * each, and on the first failure shrinks the value greedily and fails with the seed, the original and the shrunk
 * counterexample.
 *
 * <p>Why our own and not jqwik: jqwik 1.10 carries an "Anti-AI Usage Clause" asking that coding agents not use it
 * (this code was written by one), and it is built on JUnit Platform 1.x while the Quarkus BOM manages Platform 6.
 * These properties need only generation, a reproducible seed and shrinking, which fit in this class and run as
 * plain JUnit Jupiter tests.
 *
 * <p>Every run uses a fresh seed unless {@code -Dproperties.seed=N} fixes one, so repeated runs explore further; a
 * failure names the seed that reproduces it. {@code -Dproperties.tries=N} overrides every property's tries.
 */
final class PropertyCheck {

    private static final int MAX_SHRINK_STEPS = 2_000;

    private PropertyCheck() {
    }

    /**
     * Checks {@code property} against {@code tries} generated values.
     *
     * @param name the property, for the failure message and the log line
     * @param tries how many values to generate
     * @param generator makes one value from the random source
     * @param shrinks simpler variants of a value, tried in order when it falsifies the property
     * @param property throws (an {@link AssertionError} or any other exception) when the value falsifies it
     * @return the number of tries run
     */
    static <T> int forAll(String name, int tries, Function<Random, T> generator, Function<T, List<T>> shrinks,
            Consumer<T> property) {
        long seed = Long.getLong("properties.seed", new Random().nextLong());
        int count = Integer.getInteger("properties.tries", tries);
        Random random = new Random(seed);
        for (int i = 1; i <= count; i++) {
            T value = generator.apply(random);
            Throwable failure = failure(property, value);
            if (failure != null) {
                Shrunk<T> shrunk = shrink(value, failure, shrinks, property);
                AssertionError error = new AssertionError("property '" + name + "' falsified at try " + i + " of "
                        + count + " (reproduce with -Dproperties.seed=" + seed + ")\n  original: " + show(value)
                        + "\n  shrunk (" + shrunk.steps + " steps): " + show(shrunk.value) + "\n  failure: "
                        + shrunk.failure, shrunk.failure);
                throw error;
            }
        }
        // Surefire keeps this in the test's output, so a report shows how much was tried and with which seed.
        System.out.println("property '" + name + "': " + count + " tries passed (seed " + seed + ")");
        return count;
    }

    private record Shrunk<T>(T value, Throwable failure, int steps) {
    }

    private static <T> Shrunk<T> shrink(T value, Throwable failure, Function<T, List<T>> shrinks,
            Consumer<T> property) {
        T current = value;
        Throwable currentFailure = failure;
        int steps = 0;
        boolean improved = true;
        while (improved && steps < MAX_SHRINK_STEPS) {
            improved = false;
            for (T candidate : shrinks.apply(current)) {
                Throwable candidateFailure = failure(property, candidate);
                if (candidateFailure != null) {
                    current = candidate;
                    currentFailure = candidateFailure;
                    steps++;
                    improved = true;
                    break;
                }
            }
        }
        return new Shrunk<>(current, currentFailure, steps);
    }

    private static <T> Throwable failure(Consumer<T> property, T value) {
        try {
            property.accept(value);
            return null;
        } catch (Exception | AssertionError e) {
            return e;
        }
    }

    /** Values with control characters, surrogates and long runs made readable. */
    static String show(Object value) {
        return Strings.visible(String.valueOf(value));
    }

    /** Helpers for generating and shrinking strings and lists. */
    static final class Strings {

        private Strings() {
        }

        /** Escapes what would hide in a failure message: controls, surrogates, non-ASCII; long runs shortened. */
        static String visible(String s) {
            StringBuilder out = new StringBuilder();
            int i = 0;
            while (i < s.length()) {
                char c = s.charAt(i);
                int run = 1;
                while (i + run < s.length() && s.charAt(i + run) == c) {
                    run++;
                }
                String shown = c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("\\u%04X", (int) c);
                if (run > 8) {
                    out.append(shown).append(" *").append(run).append(' ');
                    i += run;
                } else {
                    out.append(shown);
                    i++;
                }
            }
            return out.toString();
        }

        /** Shorter variants of {@code s}: empty, each half, and (for short strings) each one-character deletion. */
        static List<String> shrink(String s) {
            List<String> out = new ArrayList<>();
            if (s.isEmpty()) {
                return out;
            }
            out.add("");
            if (s.length() > 1) {
                out.add(s.substring(0, s.length() / 2));
                out.add(s.substring(s.length() / 2));
            }
            if (s.length() <= 16) {
                for (int i = 0; i < s.length(); i++) {
                    out.add(s.substring(0, i) + s.substring(i + 1));
                }
            }
            return out;
        }

        /** Variants of {@code list} with one element left out, then with one element shrunk. */
        static <E> List<List<E>> shrinkList(List<E> list, Function<E, List<E>> shrinkElement, int minSize) {
            List<List<E>> out = new ArrayList<>();
            if (list.size() > minSize) {
                for (int i = 0; i < list.size(); i++) {
                    List<E> shorter = new ArrayList<>(list);
                    shorter.remove(i);
                    out.add(shorter);
                }
            }
            for (int i = 0; i < list.size(); i++) {
                for (E simpler : shrinkElement.apply(list.get(i))) {
                    List<E> changed = new ArrayList<>(list);
                    changed.set(i, simpler);
                    out.add(changed);
                }
            }
            return out;
        }
    }
}
