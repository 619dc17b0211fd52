package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.hivemq.client.mqtt.exceptions.ConnectionClosedException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5Disconnect;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;

/**
 * The connection loss that gets its own error with the remedy (a broker overrunning the bridge's Receive
 * Maximum, as Mosquitto 2.0 does) is recognised by its reason code and nothing else.
 */
class ReceiveMaximumExceededTest {

    @ParameterizedTest
    @EnumSource(Mqtt5DisconnectReasonCode.class)
    void onlyTheReceiveMaximumReasonCodeIsRecognised(Mqtt5DisconnectReasonCode code) {
        Mqtt5DisconnectException disconnect = new Mqtt5DisconnectException(
                Mqtt5Disconnect.builder().reasonCode(code).build(), "disconnected: " + code);

        assertThat(MqttConnection.isReceiveMaximumExceeded(disconnect))
                .isEqualTo(code == Mqtt5DisconnectReasonCode.RECEIVE_MAXIMUM_EXCEEDED);
    }

    @org.junit.jupiter.api.Test
    void otherCausesAreNot() {
        assertThat(MqttConnection.isReceiveMaximumExceeded(new ConnectionClosedException("closed"))).isFalse();
        assertThat(MqttConnection.isReceiveMaximumExceeded(null)).isFalse();
    }
}
