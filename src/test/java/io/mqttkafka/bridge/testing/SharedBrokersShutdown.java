package io.mqttkafka.bridge.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Stops the {@link SharedBrokers} when the test run ends, while the JVM still runs normally.
 *
 * <p>Why not in a JVM shutdown hook alone: Kafka's test kit deletes its data directory in a shutdown hook of its
 * own, and shutdown hooks run concurrently. A broker still running then found its log directory gone, took it
 * offline, and Kafka halts the JVM with status 1 when the directory that holds its metadata log fails. Every test
 * had passed, yet surefire reported the fork as failed ("Error occurred in starting fork"), now and then.
 * Registered in {@code META-INF/services/org.junit.platform.launcher.LauncherSessionListener}.
 */
public final class SharedBrokersShutdown implements LauncherSessionListener {

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        SharedBrokers.stopAll();
    }
}
