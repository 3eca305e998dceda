package io.edgegw.testsupport.bench;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.Callable;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Condition waits for benchmark harnesses, where running out of time is a result to report (an
 * incomplete iteration, a missing message), not a failure to throw.
 */
public final class Waits {
  private Waits() {}

  /**
   * Polls {@code condition} every {@code poll} until it holds or {@code atMost} has passed.
   *
   * @return whether it held
   */
  public static boolean until(Duration atMost, Duration poll, Callable<Boolean> condition) {
    try {
      await().atMost(atMost).pollDelay(Duration.ZERO).pollInterval(poll).until(condition);
      return true;
    } catch (ConditionTimeoutException e) {
      return false;
    }
  }
}
