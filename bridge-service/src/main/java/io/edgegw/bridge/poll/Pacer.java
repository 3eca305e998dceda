package io.edgegw.bridge.poll;

import java.time.InstantSource;
import java.util.concurrent.locks.LockSupport;

/** Waits until a point in the time of an {@link InstantSource}. */
@FunctionalInterface
public interface Pacer {
  /**
   * Returns at or after {@code epochMillis}, or early when interrupted or when the clock stepped
   * back while it waited (the caller plans again from the new time).
   */
  void awaitMillis(long epochMillis) throws InterruptedException;

  /** Parks the calling (virtual) thread against a real clock. */
  static Pacer parking(InstantSource clock) {
    return due -> {
      long left = due - clock.millis();
      while (left > 0) {
        LockSupport.parkNanos(left * 1_000_000L);
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
        long now = due - clock.millis();
        if (now > left) {
          return; // stepped back: waiting on would stop the polling for the length of the step
        }
        left = now;
      }
    };
  }
}
