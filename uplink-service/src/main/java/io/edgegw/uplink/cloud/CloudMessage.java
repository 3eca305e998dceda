package io.edgegw.uplink.cloud;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A message to the cloud.
 *
 * @param topic the full topic
 * @param payload the bytes
 * @param atLeastOnce QoS 1 (completed on PUBACK) when true, QoS 0 (completed when written) when
 *     false
 * @param retain whether the broker keeps it as the topic's retained message
 * @param contentType MQTT 5 content type; ignored under 3.1.1
 * @param userProperties MQTT 5 user properties; ignored under 3.1.1
 */
public record CloudMessage(
    String topic,
    byte[] payload,
    boolean atLeastOnce,
    boolean retain,
    Optional<String> contentType,
    Map<String, String> userProperties) {

  public CloudMessage {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(payload, "payload");
    contentType = contentType == null ? Optional.empty() : contentType;
    userProperties = userProperties == null ? Map.of() : Map.copyOf(userProperties);
  }

  /** A QoS 1, not retained message without properties. */
  public static CloudMessage atLeastOnce(String topic, byte[] payload) {
    return new CloudMessage(topic, payload, true, false, Optional.empty(), Map.of());
  }

  /** This message, retained. */
  public CloudMessage retained() {
    return new CloudMessage(topic, payload, atLeastOnce, true, contentType, userProperties);
  }

  /** This message with an MQTT 5 content type and user properties. */
  public CloudMessage withProperties(String contentType, Map<String, String> userProperties) {
    return new CloudMessage(
        topic, payload, atLeastOnce, retain, Optional.ofNullable(contentType), userProperties);
  }
}
