package io.edgegw.ota.update;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;

/**
 * Decides whether a freshly applied bundle is healthy: every service must pass its check without a
 * break for the whole window, and that must happen before the timeout. Time and waiting are
 * injected, so the decision is tested without waiting.
 */
public final class HealthGate {

  /** Checks every service once; returns what is wrong, empty when all is well. */
  @FunctionalInterface
  public interface Probe {
    List<String> problems();
  }

  /** Waits between probes. */
  @FunctionalInterface
  public interface Pause {
    void pause(Duration d) throws InterruptedException;
  }

  /**
   * The gate's verdict.
   *
   * @param passed whether every service stayed healthy for the window
   * @param problems what was wrong at the last failed probe (empty when passed)
   */
  public record Verdict(boolean passed, List<String> problems) {
    public Verdict {
      problems = List.copyOf(problems);
    }
  }

  private final InstantSource clock;
  private final Pause pause;
  private final Duration window;
  private final Duration timeout;
  private final Duration interval;

  /**
   * @param clock time
   * @param pause waiting between probes
   * @param window how long all must stay healthy
   * @param timeout how long to wait for that
   * @param interval time between probes
   */
  public HealthGate(
      InstantSource clock, Pause pause, Duration window, Duration timeout, Duration interval) {
    if (timeout.compareTo(window) < 0) {
      throw new IllegalArgumentException(
          "ota.health-gate.timeout ("
              + timeout
              + ") must not be shorter than the window ("
              + window
              + ")");
    }
    this.clock = clock;
    this.pause = pause;
    this.window = window;
    this.timeout = timeout;
    this.interval = interval;
  }

  /** Probes until the window passes healthy or the timeout ends it. */
  public Verdict await(Probe probe) throws InterruptedException {
    long start = clock.millis();
    long healthySince = -1;
    List<String> last = List.of("not probed yet");
    while (true) {
      long now = clock.millis();
      List<String> problems = probe.problems();
      if (problems.isEmpty()) {
        if (healthySince < 0) {
          healthySince = now;
        }
        if (now - healthySince >= window.toMillis()) {
          return new Verdict(true, List.of());
        }
      } else {
        healthySince = -1;
        last = problems;
      }
      if (now - start >= timeout.toMillis()) {
        return new Verdict(false, problems.isEmpty() ? last : problems);
      }
      pause.pause(interval);
    }
  }
}
