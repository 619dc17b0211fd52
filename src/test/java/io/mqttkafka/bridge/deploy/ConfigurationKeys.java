package io.mqttkafka.bridge.deploy;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithName;

/**
 * The configuration keys a {@code @ConfigMapping} interface defines, derived from the interface itself (its methods,
 * {@code @WithName}, nested groups, lists and maps), never from a hand-kept list: a key added to {@link
 * io.mqttkafka.bridge.config.BridgeConfig} is known here at once. A key is written with {@code [*]} for a list index
 * and {@code *} for a map key, e.g. {@code bridge.mqtt-to-kafka[*].kafka-topic}, {@code bridge.kafka.properties.*}.
 */
final class ConfigurationKeys {

    private final List<String> keys;
    private final List<Pattern> propertyPatterns = new ArrayList<>();
    private final List<Pattern> environmentPatterns = new ArrayList<>();

    private ConfigurationKeys(List<String> keys) {
        this.keys = List.copyOf(keys);
        for (String key : keys) {
            propertyPatterns.add(Pattern.compile(propertyRegex(key)));
            environmentPatterns.add(Pattern.compile(environmentRegex(key)));
        }
    }

    static ConfigurationKeys of(Class<?> mapping) {
        ConfigMapping annotation = mapping.getAnnotation(ConfigMapping.class);
        if (annotation == null) {
            throw new IllegalArgumentException(mapping + " is not a @ConfigMapping");
        }
        List<String> keys = new ArrayList<>();
        collect(annotation.prefix(), mapping, keys);
        return new ConfigurationKeys(new ArrayList<>(new TreeSet<>(keys)));
    }

    List<String> keys() {
        return keys;
    }

    /** Whether {@code property} (e.g. {@code bridge.mqtt-to-kafka[0].qos}, {@code bridge.kafka.properties."a.b"}) is a key. */
    boolean isProperty(String property) {
        return propertyPatterns.stream().anyMatch(p -> p.matcher(property).matches());
    }

    /**
     * Whether the environment variable {@code name} sets a key, by SmallRye Config's rule: the key upper-cased with
     * every character other than a letter or digit replaced by {@code _} (so {@code bridge.mqtt-to-kafka[0].qos} is
     * {@code BRIDGE_MQTT_TO_KAFKA_0__QOS}, and a quoted map key {@code "a.b"} becomes {@code _A_B_}).
     */
    boolean isEnvironmentVariable(String name) {
        return environmentPatterns.stream().anyMatch(p -> p.matcher(name).matches());
    }

    private static void collect(String prefix, Class<?> group, List<String> keys) {
        for (Method method : group.getMethods()) {
            if (method.getParameterCount() > 0 || Modifier.isStatic(method.getModifiers()) || method.isDefault()
                    || method.getDeclaringClass() == Object.class) {
                continue;
            }
            WithName withName = method.getAnnotation(WithName.class);
            String name = prefix + "." + (withName != null ? withName.value() : kebab(method.getName()));
            collectType(name, method.getGenericReturnType(), keys);
        }
    }

    private static void collectType(String key, Type type, List<String> keys) {
        if (type instanceof ParameterizedType parameterized) {
            Type raw = parameterized.getRawType();
            Type[] arguments = parameterized.getActualTypeArguments();
            if (raw == Optional.class) {
                collectType(key, arguments[0], keys);
            } else if (raw == List.class) {
                Type element = arguments[0];
                if (element instanceof Class<?> c && isGroup(c)) {
                    collect(key + "[*]", c, keys);
                } else {
                    keys.add(key);
                    keys.add(key + "[*]");
                }
            } else if (raw == Map.class) {
                Type value = arguments[1];
                if (value instanceof Class<?> c && isGroup(c)) {
                    collect(key + ".*", c, keys);
                } else {
                    keys.add(key + ".*");
                }
            } else {
                keys.add(key);
            }
        } else if (type instanceof Class<?> c && isGroup(c)) {
            collect(key, c, keys);
        } else {
            keys.add(key);
        }
    }

    /** A nested group of keys: an interface of the mapping's own, not a value type. */
    private static boolean isGroup(Class<?> type) {
        return type.isInterface() && type.getName().startsWith("io.mqttkafka.");
    }

    private static String kebab(String methodName) {
        return methodName.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    private static String propertyRegex(String key) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < key.length(); i++) {
            if (key.startsWith("[*]", i)) {
                regex.append("\\[\\d+]");
                i += 2;
            } else if (key.charAt(i) == '*') {
                regex.append("(?:\"[^\"]+\"|[^.\"]+(?:\\.[^.\"]+)*)");
            } else {
                regex.append(Pattern.quote(String.valueOf(key.charAt(i))));
            }
        }
        return regex.toString();
    }

    private static String environmentRegex(String key) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < key.length(); i++) {
            if (key.startsWith("[*]", i)) {
                regex.append("_\\d+_");
                i += 2;
            } else if (key.charAt(i) == '*') {
                regex.append("[A-Z0-9_]+");
            } else {
                char c = key.charAt(i);
                regex.append(Character.isLetterOrDigit(c) ? String.valueOf(Character.toUpperCase(c)) : "_");
            }
        }
        return regex.toString();
    }
}
