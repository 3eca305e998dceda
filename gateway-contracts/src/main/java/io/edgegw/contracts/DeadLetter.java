package io.edgegw.contracts;

/**
 * A payload a consumer could not use, with the reason, on {@code gw/v1/dlq/{component}}.
 *
 * @param v schema version
 * @param component the component that rejected it
 * @param topic where the payload arrived
 * @param reason why it was rejected
 * @param t time of the rejection, epoch milliseconds UTC
 * @param payload the payload as text (UTF-8, invalid bytes replaced), cut to 4096 characters
 * @param size the payload's full size in bytes
 */
public record DeadLetter(
    int v, String component, String topic, String reason, long t, String payload, long size)
    implements Payload {

  /** Longest payload excerpt kept in a dead letter. */
  public static final int MAX_EXCERPT = 4096;

  public DeadLetter {
    Checks.version(v);
    Checks.topicLevel(component, "component");
    Checks.text(topic, "topic");
    Checks.text(reason, "reason");
    Checks.epochMillis(t, "t");
    payload = payload == null ? "" : payload;
    if (payload.length() > MAX_EXCERPT) {
      payload = payload.substring(0, MAX_EXCERPT);
    }
  }

  /** A dead letter for raw bytes, keeping an excerpt. */
  public static DeadLetter of(String component, String topic, String reason, long t, byte[] raw) {
    String text = new String(raw, java.nio.charset.StandardCharsets.UTF_8);
    return new DeadLetter(SCHEMA_VERSION, component, topic, reason, t, text, raw.length);
  }
}
