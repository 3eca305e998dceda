package io.edgegw.ota.update;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HealthGateTest {
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final InstantSource clock = () -> java.time.Instant.ofEpochMilli(now.get());
  private final HealthGate gate =
      new HealthGate(
          clock,
          d -> now.addAndGet(d.toMillis()),
          Duration.ofSeconds(10),
          Duration.ofSeconds(30),
          Duration.ofSeconds(1));

  @Test
  void passesOnceHealthyForTheWholeWindow() throws Exception {
    Deque<List<String>> answers = new ArrayDeque<>();
    answers.add(List.of("web: not running"));
    answers.add(List.of("web: not running"));
    long start = now.get();
    HealthGate.Verdict v = gate.await(() -> answers.isEmpty() ? List.of() : answers.poll());
    assertThat(v.passed()).isTrue();
    // two bad probes, then 10 s of good ones
    assertThat(now.get() - start).isEqualTo(12_000);
  }

  @Test
  void aBreakStartsTheWindowAgainAndTheTimeoutFailsIt() throws Exception {
    AtomicLong probes = new AtomicLong();
    // healthy for 5 s, then one failure, repeatedly: never 10 s in a row
    HealthGate.Verdict v =
        gate.await(() -> probes.incrementAndGet() % 6 == 0 ? List.of("web: 503") : List.of());
    assertThat(v.passed()).isFalse();
    assertThat(v.problems()).containsExactly("web: 503");
    assertThat(now.get() - 1_000_000).isEqualTo(30_000);
  }

  @Test
  void aTimeoutShorterThanTheWindowIsRefused() {
    assertThatThrownBy(() ->
            new HealthGate(
                clock,
                d -> {},
                Duration.ofSeconds(10),
                Duration.ofSeconds(5),
                Duration.ofSeconds(1)))
        .hasMessageContaining("ota.health-gate.timeout");
  }
}
