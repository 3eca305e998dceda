package io.edgegw.bridge;

import java.time.Duration;

/**
 * A named poll interval. Tags of one device in one group are read together in each cycle.
 *
 * @param name referenced by tags
 * @param interval time between poll starts, at least 10 ms
 */
public record PollGroup(String name, Duration interval) {
  public PollGroup {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("poll group name is required");
    }
    if (interval == null || interval.toMillis() < 10) {
      throw new IllegalArgumentException("poll interval must be at least 10ms, got " + interval);
    }
  }
}
