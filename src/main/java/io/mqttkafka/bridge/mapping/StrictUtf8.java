package io.mqttkafka.bridge.mapping;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decoding of bytes that must be UTF-8 text (Kafka keys and header values used as MQTT topics and
 * properties). Bytes that are not valid UTF-8 have no text: replacing them with U+FFFD would silently
 * publish to a different topic or property than the data says.
 */
public final class StrictUtf8 {

    private StrictUtf8() {
    }

    /** The text, or null when {@code bytes} is null or not valid UTF-8. */
    public static String decode(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /**
     * Whether {@code text} can be sent as an MQTT UTF-8 string (a property, a user property's name or value): encodable
     * (no unpaired surrogate), without U+0000, and without the code points MQTT disallows
     * ({@link MqttTopicNames#isDisallowedCodePoint(int)}), on which Mosquitto and HiveMQ close the connection.
     */
    public static boolean isMqttString(String text) {
        if (text.indexOf('\u0000') >= 0 || MqttTopicNames.firstUnpairedSurrogate(text) >= 0) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            int codePoint = text.codePointAt(i);
            if (MqttTopicNames.isDisallowedCodePoint(codePoint)) {
                return false;
            }
            if (codePoint > 0xFFFF) {
                i++;
            }
        }
        return true;
    }
}
