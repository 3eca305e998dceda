package io.edgegw.gwctl.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.gwctl.fleet.WaveRollout.Outcome;
import io.edgegw.gwctl.fleet.WaveRollout.State;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class WaveRolloutTest {

  private final List<String> sent = new ArrayList<>();
  private final List<String> lines = new ArrayList<>();

  private CompletableFuture<Outcome> act(String gateway, Set<String> failing) {
    sent.add(gateway);
    return CompletableFuture.completedFuture(
        new Outcome(gateway, failing.contains(gateway) ? State.FAILED : State.OK, "x"));
  }

  @Test
  void wavesKeepOrderAndSize() {
    assertThat(WaveRollout.waves(List.of("a", "b", "c", "d", "e"), 2))
        .containsExactly(List.of("a", "b"), List.of("c", "d"), List.of("e"));
    assertThatThrownBy(() -> WaveRollout.waves(List.of("a"), 0))
        .hasMessageContaining("--wave-size");
  }

  @Test
  void haltsOnceTheThresholdIsReachedAndSkipsTheRest() {
    var report =
        WaveRollout.run(
            List.of("a", "b", "c", "d", "e"), 2, 1, g -> act(g, Set.of("b")), lines::add);
    assertThat(sent).containsExactly("a", "b");
    assertThat(report.halted()).isTrue();
    assertThat(report.outcomes())
        .extracting(Outcome::state)
        .containsExactly(State.OK, State.FAILED, State.SKIPPED, State.SKIPPED, State.SKIPPED);
    assertThat(lines).anyMatch(l -> l.startsWith("halted: 1 gateway(s) failed"));
  }

  @Test
  void failuresBelowTheThresholdDoNotHalt() {
    var report =
        WaveRollout.run(List.of("a", "b", "c"), 1, 2, g -> act(g, Set.of("a")), lines::add);
    assertThat(sent).containsExactly("a", "b", "c");
    assertThat(report.halted()).isFalse();
    assertThat(report.count(State.FAILED)).isEqualTo(1);
    assertThat(lines).contains("wave 1/3: a", "wave 2/3: b", "wave 3/3: c");
  }

  @Test
  void aFailureInTheLastWaveIsNoHalt() {
    var report = WaveRollout.run(List.of("a", "b"), 1, 1, g -> act(g, Set.of("b")), lines::add);
    assertThat(report.halted()).isFalse();
    assertThat(report.count(State.SKIPPED)).isZero();
  }
}
