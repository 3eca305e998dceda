package io.edgegw.contracts;

import java.util.regex.Pattern;

/** Argument checks shared by the payload records' canonical constructors. */
final class Checks {
  private Checks() {}

  static String text(String value, String field) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("'" + field + "' is required and must not be blank");
    }
    return value;
  }

  static <T> T present(T value, String field) {
    if (value == null) {
      throw new IllegalArgumentException("'" + field + "' is required");
    }
    return value;
  }

  static long epochMillis(long value, String field) {
    if (value < 0) {
      throw new IllegalArgumentException(
          "'" + field + "' must be epoch milliseconds (UTC) >= 0, got " + value);
    }
    return value;
  }

  static int version(int v) {
    if (v != Payload.SCHEMA_VERSION) {
      throw new IllegalArgumentException(
          "unsupported schema version v=" + v + "; this build reads v=" + Payload.SCHEMA_VERSION);
    }
    return v;
  }

  /** Compiled once: every payload record checks its ids with it, on the hot path. */
  private static final Pattern TOPIC_LEVEL = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  /** A single MQTT topic level: no separators or wildcards, so it can be placed in a topic. */
  static String topicLevel(String value, String field) {
    text(value, field);
    if (!TOPIC_LEVEL.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "'" + field + "' must be 1-64 characters of [A-Za-z0-9_.-], got '" + value + "'");
    }
    return value;
  }
}
