package io.edgegw.bridge.publish;

/**
 * One encoded message waiting for the broker.
 *
 * @param topic destination topic
 * @param payload encoded payload
 * @param retain retain flag
 * @param samples samples it carries (0 for non-telemetry), for the metrics
 */
public record Outgoing(String topic, byte[] payload, boolean retain, int samples) {
  /** Bytes this message holds in the queue. */
  public int size() {
    return payload.length + topic.length();
  }
}
