package io.mqttkafka.bridge.mqtt;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

import org.jboss.logging.Logger;

import com.hivemq.client.mqtt.mqtt3.message.auth.Mqtt3SimpleAuth;
import com.hivemq.client.mqtt.mqtt3.message.auth.Mqtt3SimpleAuthBuilder;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5SimpleAuth;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5SimpleAuthBuilder;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.PasswordFiles;
import io.mqttkafka.bridge.config.Secret;

/**
 * The user name and password the bridge's MQTT connections send in CONNECT. A password from
 * {@code bridge.mqtt.password-file} is read again for every connection attempt, so a rotated secret is used from the
 * next reconnect on. The password never leaves this class except into the CONNECT packet.
 */
final class MqttCredentials {

    private static final Logger LOG = Logger.getLogger(MqttCredentials.class);

    private final Optional<String> username;
    private final Optional<Secret> password;
    private final Optional<Path> passwordFile;
    /** The last password read from the file, used when a later read fails (e.g. mid-rotation). */
    private volatile byte[] lastFromFile;

    MqttCredentials(BridgeConfig.Mqtt config) {
        this.username = config.username();
        this.password = config.password();
        this.passwordFile = config.passwordFile();
    }

    boolean isPresent() {
        return username.isPresent() || password.isPresent() || passwordFile.isPresent();
    }

    Optional<String> username() {
        return username;
    }

    /** The MQTT 5 authentication to send now, if any. */
    Optional<Mqtt5SimpleAuth> mqtt5() {
        Optional<byte[]> currentPassword = currentPassword();
        if (username.isEmpty() && currentPassword.isEmpty()) {
            return Optional.empty();
        }
        Mqtt5SimpleAuthBuilder.Complete auth = username.isPresent()
                ? Mqtt5SimpleAuth.builder().username(username.get())
                : Mqtt5SimpleAuth.builder().password(currentPassword.get());
        if (username.isPresent() && currentPassword.isPresent()) {
            auth = auth.password(currentPassword.get());
        }
        return Optional.of(auth.build());
    }

    /** The MQTT 3.1.1 authentication to send now, if any (3.1.1 has no password without a user name). */
    Optional<Mqtt3SimpleAuth> mqtt3() {
        if (username.isEmpty()) {
            return Optional.empty();
        }
        Mqtt3SimpleAuthBuilder.Complete auth = Mqtt3SimpleAuth.builder().username(username.get());
        Optional<byte[]> currentPassword = currentPassword();
        if (currentPassword.isPresent()) {
            auth = auth.password(currentPassword.get());
        }
        return Optional.of(auth.build());
    }

    private Optional<byte[]> currentPassword() {
        if (password.isPresent()) {
            return Optional.of(password.get().revealBytes());
        }
        if (passwordFile.isEmpty()) {
            return Optional.empty();
        }
        try {
            byte[] read = PasswordFiles.read(passwordFile.get());
            lastFromFile = read;
            return Optional.of(read);
        } catch (IOException e) {
            // The startup check read it, so this is a rotation in progress or a lost mount: the previous password is
            // the best guess, and the next attempt reads the file again.
            LOG.warnf("Cannot read bridge.mqtt.password-file %s (%s); this connection attempt uses the password read "
                    + "before", passwordFile.get(), e.getClass().getSimpleName());
            return Optional.ofNullable(lastFromFile);
        }
    }
}
