package io.edgegw.ota.update;

import java.time.Duration;

/** Exponential retry delays between two bounds: initial, twice that, ... up to the maximum. */
public final class RetryBackoff {
  private final Duration initial;
  private final Duration max;

  /**
   * @param initial first delay
   * @param max largest delay
   */
  public RetryBackoff(Duration initial, Duration max) {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException(
          "retry delays need 0 < initial <= max, got " + initial + " and " + max);
    }
    this.initial = initial;
    this.max = max;
  }

  /** The delay before retry number {@code attempt} (1 for the first retry). */
  public Duration delay(int attempt) {
    Duration d = initial;
    for (int i = 1; i < attempt && d.compareTo(max) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(max) > 0 ? max : d;
  }
}
