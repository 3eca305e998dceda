package io.edgegw.bridge.poll;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with jitter for a failing device: after the n-th consecutive failure the
 * device is left alone for {@code min(max, initial × 2^(n-1))}, spread by ±{@code jitter} so that
 * devices that failed together do not retry together. Pure; time comes in as arguments.
 */
public final class Backoff {
  private final long initialMs;
  private final long maxMs;
  private final double jitter;
  private final RandomGenerator random;
  private int failures;
  private long retryAt = Long.MIN_VALUE;

  /**
   * @param initial delay after the first failure
   * @param max longest delay
   * @param jitter relative spread, 0..1
   * @param random source of the spread (seeded in tests)
   */
  public Backoff(Duration initial, Duration max, double jitter, RandomGenerator random) {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException(
          "backoff needs 0 < initial <= max, got " + initial + " and " + max);
    }
    if (!(jitter >= 0 && jitter <= 1)) {
      throw new IllegalArgumentException("backoff jitter must be 0..1, got " + jitter);
    }
    this.initialMs = initial.toMillis();
    this.maxMs = max.toMillis();
    this.jitter = jitter;
    this.random = random;
  }

  /** Records a failure at {@code nowMs}; returns when the next attempt is due. */
  public long onFailure(long nowMs) {
    failures++;
    int shift = Math.min(failures - 1, 30);
    long base = Math.min(maxMs, initialMs << shift);
    double spread = 1 + jitter * (2 * random.nextDouble() - 1);
    retryAt = nowMs + Math.max(1, Math.round(base * spread));
    return retryAt;
  }

  /** Records a success: the next failure starts from the initial delay again. */
  public void onSuccess() {
    failures = 0;
    retryAt = Long.MIN_VALUE;
  }

  /** Whether an attempt at {@code nowMs} should be skipped. */
  public boolean isWaiting(long nowMs) {
    return nowMs < retryAt;
  }

  /** Consecutive failures so far. */
  public int failures() {
    return failures;
  }
}
