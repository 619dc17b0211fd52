package io.mqttkafka.bridge.deploy;

import java.beans.IntrospectionException;
import java.beans.Introspector;
import java.beans.PropertyDescriptor;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

/**
 * Fields a Kubernetes API type does not have, anywhere in an object (e.g. {@code readOnlyRootFileSystem} for
 * {@code readOnlyRootFilesystem}): the API server drops such a field silently (or refuses it with strict field
 * validation), and the schema validator of src/test/kubernetes-schema does not report it. The object is read into the
 * fabric8 Kubernetes model, whose types keep what they do not know in {@code additionalProperties}; those are reported
 * with their path.
 */
final class UnknownFields {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
    private static final Map<String, Class<?>> TYPES = Map.of(
            "v1/ConfigMap", ConfigMap.class,
            "v1/Secret", Secret.class,
            "v1/Service", Service.class,
            "v1/ServiceAccount", ServiceAccount.class,
            "apps/v1/StatefulSet", StatefulSet.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class);

    private UnknownFields() {
    }

    /** {@code <kind>/<name>: <path>.<field>} for every unknown field of every object; objects of other kinds fail. */
    static List<String> in(List<Map<String, Object>> objects) {
        List<String> unknown = new ArrayList<>();
        for (Map<String, Object> object : objects) {
            String type = object.get("apiVersion") + "/" + object.get("kind");
            Class<?> modelType = TYPES.get(type);
            if (modelType == null) {
                unknown.add(type + ": no model to check its fields against");
                continue;
            }
            Object model = MAPPER.convertValue(object, modelType);
            walk(model, object.get("kind") + "/" + Manifests.at(object, "metadata", "name"), unknown,
                    java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
        }
        return unknown;
    }

    private static void walk(Object value, String path, List<String> unknown, Set<Object> seen) {
        if (value == null || !seen.add(value)) {
            return;
        }
        if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                walk(list.get(i), path + "[" + i + "]", unknown, seen);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> walk(v, path + "." + k, unknown, seen));
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        try {
            for (PropertyDescriptor property : Introspector.getBeanInfo(value.getClass(), Object.class)
                    .getPropertyDescriptors()) {
                if (property.getReadMethod() == null) {
                    continue;
                }
                Object child = property.getReadMethod().invoke(value);
                if ("additionalProperties".equals(property.getName())) {
                    if (child instanceof Map<?, ?> extra) {
                        extra.keySet().forEach(field -> unknown.add(path + "." + field));
                    }
                } else {
                    walk(child, path + "." + property.getName(), unknown, seen);
                }
            }
        } catch (IntrospectionException | IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("Cannot read " + value.getClass() + " at " + path, e);
        }
    }
}
