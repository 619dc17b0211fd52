package io.mqttkafka.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.source.yaml.YamlConfigSource;

/**
 * A Kafka config-provider reference ({@code ${dir:/run/secrets/kafka:password}}) has the shape of a Quarkus property
 * expression, and Quarkus expands expressions in every configuration value before the bridge sees it: written as is,
 * the reference silently becomes the expression's "default", {@code /run/secrets/kafka:password}, and the login fails
 * with a password that is a path. Written with {@code $$} (or {@code \$} outside YAML double quotes) it reaches Kafka
 * unchanged. Bound here as Quarkus binds the application's YAML: default interceptors (expression expansion) on.
 * README and docs/security.md say so; {@code KafkaSecurityTest} shows the reference resolved by every Kafka client.
 */
class ConfigProviderReferenceTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // as written in the YAML file                                              | as the Kafka clients get it
        "password=\"$${dir:/run/secrets/kafka:password}\";                          | password=\"${dir:/run/secrets/kafka:password}\";",
        "password=\"\\${dir:/run/secrets/kafka:password}\";                         | password=\"${dir:/run/secrets/kafka:password}\";",
        "password=\"${dir:/run/secrets/kafka:password}\";                           | password=\"/run/secrets/kafka:password\";",
    })
    void aConfigProviderReferenceReachesKafkaOnlyEscaped(String written, String received) {
        String yaml = """
                bridge:
                  kafka:
                    bootstrap-servers: localhost:9093
                    properties:
                      sasl.jaas.config: 'org.apache.kafka.common.security.scram.ScramLoginModule required username="bridge" %s'
                  mqtt-to-kafka:
                    - name: readings
                      filter: sensors/#
                      qos: 1
                      kafka-topic: readings
                """.formatted(written);
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .addDefaultInterceptors()
                .withMapping(BridgeConfig.class)
                .withConverter(Secret.class, 100, new SecretConverter())
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new YamlConfigSource("application.yaml", yaml, 250))
                .build();

        Map<String, String> properties = config.getConfigMapping(BridgeConfig.class).kafka().properties();

        assertThat(properties.get("sasl.jaas.config"))
                .isEqualTo("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"bridge\" " + received);
    }
}
