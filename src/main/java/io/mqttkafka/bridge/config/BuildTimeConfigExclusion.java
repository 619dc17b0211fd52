package io.mqttkafka.bridge.config;

import java.util.Iterator;
import java.util.Spliterators;
import java.util.stream.StreamSupport;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.SmallRyeConfigBuilderCustomizer;

/**
 * Keeps {@code bridge.*} out of the Quarkus build.
 *
 * <p>Quarkus records the runtime configuration it sees while building (including
 * {@code config/application.yaml} of the directory the build runs in) as defaults inside the packaged
 * application. For this bridge that would be wrong twice over: the example mappings shipped in
 * {@code config/application.yaml} would silently become defaults of every deployment, and list entries
 * merge by index, so a deployment declaring one mapping would inherit the example's second and third, and
 * keys it leaves out (e.g. {@code key}) would take the example's values. The bridge's settings are
 * runtime-only, so during the build they are hidden; at run time this customizer does nothing.
 * {@code BuildTimeConfigExclusionIT} checks the packaged application for leftovers.
 */
public final class BuildTimeConfigExclusion implements SmallRyeConfigBuilderCustomizer {

    /**
     * Quarkus' build-time reader: it assembles the configurations used while building, including the one
     * whose values are recorded. Dev and test mode build and run in one JVM, so the mere presence of build
     * classes does not tell build from run; the caller does.
     */
    private static final String BUILD_TIME_READER = "io.quarkus.deployment.configuration.BuildTimeConfigurationReader";

    @Override
    public void configBuilder(SmallRyeConfigBuilder builder) {
        if (isAssembledByTheBuild()) {
            builder.withInterceptors(new HideBridgeProperties());
        }
    }

    private static boolean isAssembledByTheBuild() {
        return StackWalker.getInstance().walk(frames -> frames
                .anyMatch(frame -> frame.getClassName().startsWith(BUILD_TIME_READER)));
    }

    static boolean isBridgeProperty(String name) {
        return name.startsWith("bridge.") || name.startsWith("%") && name.contains(".bridge.")
                && name.indexOf('.') == name.indexOf(".bridge.");
    }

    private static final class HideBridgeProperties implements ConfigSourceInterceptor {
        @Override
        public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
            return isBridgeProperty(name) ? null : context.proceed(name);
        }

        @Override
        public Iterator<String> iterateNames(ConfigSourceInterceptorContext context) {
            Iterator<String> names = context.iterateNames();
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(names, 0), false)
                    .filter(name -> !isBridgeProperty(name))
                    .iterator();
        }
    }
}
