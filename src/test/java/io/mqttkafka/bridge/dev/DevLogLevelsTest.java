package io.mqttkafka.bridge.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.mqttkafka.bridge.testing.FreePorts;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * {@code bin/run-dev} printed about 580 lines of the embedded brokers' internals before the bridge's banner. This starts
 * both embedded brokers as dev mode does, collects every log category that logs at INFO, and checks that the dev
 * profile of {@code application.properties} keeps each of them at WARN or above, while the bridge's own categories
 * (and Quarkus' startup lines) stay at INFO. A broker version that logs under a new category fails it unless that is
 * covered too.
 *
 * <p>In tests the brokers log through Logback (the test class path's SLF4J provider); in dev mode through Quarkus' log
 * manager, which applies these levels. Only the category names are taken from here.
 */
class DevLogLevelsTest {

    @Test
    void embeddedBrokersLogNothingBelowWarnInDevMode() {
        Set<String> infoCategories = categoriesLoggingAtInfoWhileBothBrokersStartAndStop();
        assertThat(infoCategories).as("the brokers' INFO lines were seen (the capture works)").isNotEmpty();

        LogLevels dev = LogLevels.of("dev");
        assertThat(infoCategories).allSatisfy(category -> assertThat(dev.isAtLeastWarn(category))
                .as("category %s at %s in dev mode", category, dev.levelOf(category)).isTrue());
        for (String bridgeCategory : List.of("io.mqttkafka.bridge.BridgeRuntime", "io.mqttkafka.bridge.dev.DevEmbeddedBrokers",
                "io.mqttkafka.bridge.mqtt.MqttConnection", "io.quarkus")) {
            assertThat(dev.levelOf(bridgeCategory)).as(bridgeCategory).isEqualTo("INFO");
        }
        assertThat(LogLevels.of("prod").levelOf("kafka.server.BrokerServer")).as("production keeps the root level")
                .isEqualTo("INFO");
    }

    private static Set<String> categoriesLoggingAtInfoWhileBothBrokersStartAndStop() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level before = root.getLevel();
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.setContext(context);
        seen.start();
        root.addAppender(seen);
        root.setLevel(Level.INFO);
        try (EmbeddedMqttBroker mqtt = FreePorts.startOnFreePort(EmbeddedMqttBroker::start);
                EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(Map.of())) {
            assertThat(kafka.bootstrapServers()).isNotBlank();
            assertThat(mqtt.port()).isPositive();
        } finally {
            root.setLevel(before);
            root.detachAppender(seen);
        }
        Set<String> categories = new TreeSet<>();
        for (ILoggingEvent event : List.copyOf(seen.list)) {
            if (event.getLevel().isGreaterOrEqual(Level.INFO) && !event.getLevel().isGreaterOrEqual(Level.WARN)) {
                categories.add(event.getLoggerName());
            }
        }
        return categories;
    }

    /** Log levels by category as Quarkus reads them from {@code application.properties} for one profile. */
    private record LogLevels(SmallRyeConfig config) {

        static LogLevels of(String profile) {
            Properties properties = new Properties();
            try (InputStream in = DevLogLevelsTest.class.getResourceAsStream("/application.properties")) {
                properties.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Map<String, String> map = new HashMap<>();
            properties.stringPropertyNames().forEach(key -> map.put(key, properties.getProperty(key)));
            return new LogLevels(new SmallRyeConfigBuilder().withProfile(profile)
                    .withSources(new PropertiesConfigSource(map, "application.properties", 250)).build());
        }

        /** The level of the nearest configured category (the logger or a parent), else the root level (INFO). */
        String levelOf(String category) {
            String name = category;
            while (!name.isEmpty()) {
                var level = config.getOptionalValue("quarkus.log.category.\"" + name + "\".level", String.class);
                if (level.isPresent()) {
                    return level.get();
                }
                int dot = name.lastIndexOf('.');
                name = dot < 0 ? "" : name.substring(0, dot);
            }
            return config.getOptionalValue("quarkus.log.level", String.class).orElse("INFO");
        }

        boolean isAtLeastWarn(String category) {
            return List.of("WARN", "WARNING", "ERROR", "SEVERE", "FATAL", "OFF").contains(levelOf(category));
        }
    }
}
