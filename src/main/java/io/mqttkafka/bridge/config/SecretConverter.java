package io.mqttkafka.bridge.config;

import org.eclipse.microprofile.config.spi.Converter;

/** Lets {@code Optional<Secret>} be declared directly in {@link BridgeConfig}. */
public final class SecretConverter implements Converter<Secret> {

    @Override
    public Secret convert(String value) {
        return value == null || value.isEmpty() ? null : Secret.of(value);
    }
}
