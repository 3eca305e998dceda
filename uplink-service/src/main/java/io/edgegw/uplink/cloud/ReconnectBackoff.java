package io.edgegw.uplink.cloud;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Reconnect delays: exponential from {@code initial}, doubling per failed attempt up to {@code
 * max}, with "equal jitter": the delay is drawn uniformly from the upper half of the exponential
 * step, and never leaves [{@code initial}, {@code max}]. The jitter spreads a fleet of gateways
 * that lost the cloud at the same moment, so that they do not all come back at once.
 *
 * <p>HiveMQ's own automatic reconnect also doubles with jitter, but adds up to +25% on top of its
 * maximum and cannot be told which random source to use; this one is tested with a fixed one.
 */
final class ReconnectBackoff {

  private final long initialMillis;
  private final long maxMillis;
  private final DoubleSupplier random;

  /**
   * @param random uniform values in [0, 1)
   */
  ReconnectBackoff(Duration initial, Duration max, DoubleSupplier random) {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException(
          "reconnect delays must be 0 < initial <= max, got " + initial + " and " + max);
    }
    this.initialMillis = initial.toMillis();
    this.maxMillis = max.toMillis();
    this.random = random;
  }

  /**
   * The delay before a reconnect.
   *
   * @param failedAttempts attempts since the last successful connection, 0 for the first
   */
  Duration delay(int failedAttempts) {
    int doublings = Math.min(Math.max(failedAttempts, 0), 62);
    long step = initialMillis;
    for (int i = 0; i < doublings && step < maxMillis; i++) {
      step *= 2;
    }
    step = Math.min(step, maxMillis);
    long half = step / 2;
    long jittered = half + (long) (random.getAsDouble() * (step - half + 1));
    return Duration.ofMillis(Math.clamp(jittered, initialMillis, maxMillis));
  }
}
