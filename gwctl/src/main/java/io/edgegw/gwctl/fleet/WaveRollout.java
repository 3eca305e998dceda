package io.edgegw.gwctl.fleet;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A fleet operation in waves: the gateways of one wave at once, the next wave only when every
 * gateway of this one has answered (or timed out), and no new wave once {@code haltAfterFailures}
 * gateways have failed. The gateways not reached are reported as skipped; nothing is sent to them.
 *
 * <p>Pure apart from the action it is given, which returns each gateway's outcome.
 */
final class WaveRollout {

  /** What became of one gateway. */
  enum State {
    OK,
    FAILED,
    SKIPPED
  }

  /** One gateway's result. */
  record Outcome(String gateway, State state, String detail) {}

  /** All results, in gateway order, and whether the rollout halted. */
  record Report(List<Outcome> outcomes, boolean halted) {
    long count(State state) {
      return outcomes.stream().filter(o -> o.state() == state).count();
    }
  }

  private WaveRollout() {}

  /** Splits the gateways into waves of {@code size}, keeping their order. */
  static List<List<String>> waves(List<String> gateways, int size) {
    if (size < 1) {
      throw new IllegalArgumentException("--wave-size must be at least 1, got " + size);
    }
    List<List<String>> waves = new ArrayList<>();
    for (int i = 0; i < gateways.size(); i += size) {
      waves.add(List.copyOf(gateways.subList(i, Math.min(gateways.size(), i + size))));
    }
    return waves;
  }

  /**
   * Runs the rollout.
   *
   * @param action sends the operation to one gateway; its future completes with OK or FAILED
   * @param progress receives one line per event, for the operator
   */
  static Report run(
      List<String> gateways,
      int waveSize,
      int haltAfterFailures,
      Function<String, CompletableFuture<Outcome>> action,
      Consumer<String> progress) {
    if (haltAfterFailures < 1) {
      throw new IllegalArgumentException(
          "--halt-after-failures must be at least 1, got " + haltAfterFailures);
    }
    List<List<String>> waves = waves(gateways, waveSize);
    List<Outcome> outcomes = new ArrayList<>();
    int failures = 0;
    boolean halted = false;
    for (int w = 0; w < waves.size(); w++) {
      List<String> wave = waves.get(w);
      if (halted) {
        wave.forEach(g -> outcomes.add(new Outcome(g, State.SKIPPED, "halted before its wave")));
        continue;
      }
      progress.accept("wave " + (w + 1) + "/" + waves.size() + ": " + String.join(", ", wave));
      List<CompletableFuture<Outcome>> running = wave.stream().map(action).toList();
      for (CompletableFuture<Outcome> future : running) {
        Outcome outcome = future.join();
        outcomes.add(outcome);
        progress.accept("  " + outcome.gateway() + " " + outcome.state() + ": " + outcome.detail());
        if (outcome.state() == State.FAILED) {
          failures++;
        }
      }
      if (failures >= haltAfterFailures && w < waves.size() - 1) {
        halted = true;
        progress.accept(
            "halted: "
                + failures
                + " gateway(s) failed (--halt-after-failures "
                + haltAfterFailures
                + "); later waves are not started");
      }
    }
    return new Report(List.copyOf(outcomes), halted);
  }
}
