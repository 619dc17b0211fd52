/**
 * Pure mapping logic between MQTT topics and Kafka records: topic filter parsing and matching,
 * placeholder templates, topic-name validation and the MQTT → Kafka route table.
 *
 * <p>Deliberately free of MQTT client, Kafka client, Quarkus and CDI types so that every rule can be
 * unit-tested in isolation and reused by both bridge directions.
 */
package io.mqttkafka.bridge.mapping;
