package io.edgegw.bridge.poll;

import java.time.InstantSource;
import java.util.concurrent.locks.LockSupport;

/** Waits until a point in the time of an {@link InstantSource}. */
@FunctionalInterface
public interface Pacer {
  /** Returns at or after {@code epochMillis}, or early when interrupted. */
  void awaitMillis(long epochMillis) throws InterruptedException;

  /** Parks the calling (virtual) thread against a real clock. */
  static Pacer parking(InstantSource clock) {
    return due -> {
      long left;
      while ((left = due - clock.millis()) > 0) {
        LockSupport.parkNanos(left * 1_000_000L);
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
      }
    };
  }
}
