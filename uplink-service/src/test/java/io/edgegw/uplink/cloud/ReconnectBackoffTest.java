package io.edgegw.uplink.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReconnectBackoffTest {

  private static final Duration INITIAL = Duration.ofSeconds(1);
  private static final Duration MAX = Duration.ofSeconds(120);

  @Test
  void doublesPerAttemptWithinTheUpperHalfOfEachStep() {
    ReconnectBackoff lowest = new ReconnectBackoff(INITIAL, MAX, () -> 0.0);
    ReconnectBackoff highest = new ReconnectBackoff(INITIAL, MAX, () -> 0.999999);

    assertThat(lowest.delay(0)).isEqualTo(Duration.ofSeconds(1));
    assertThat(highest.delay(0)).isEqualTo(Duration.ofSeconds(1));
    assertThat(lowest.delay(1)).isEqualTo(Duration.ofSeconds(1));
    assertThat(highest.delay(1)).isEqualTo(Duration.ofSeconds(2));
    assertThat(lowest.delay(3)).isEqualTo(Duration.ofSeconds(4));
    assertThat(highest.delay(3)).isEqualTo(Duration.ofSeconds(8));
    assertThat(lowest.delay(6)).isEqualTo(Duration.ofSeconds(32));
    assertThat(highest.delay(6)).isEqualTo(Duration.ofSeconds(64));
  }

  @Test
  void neverExceedsTheMaximumNorOverflows() {
    ReconnectBackoff highest = new ReconnectBackoff(INITIAL, MAX, () -> 0.999999);
    ReconnectBackoff lowest = new ReconnectBackoff(INITIAL, MAX, () -> 0.0);

    assertThat(highest.delay(7)).isEqualTo(MAX);
    assertThat(highest.delay(1_000)).isEqualTo(MAX);
    assertThat(highest.delay(Integer.MAX_VALUE)).isEqualTo(MAX);
    assertThat(lowest.delay(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void jitterSpreadsTheDelays() {
    double[] values = {0.1, 0.5, 0.9};
    int[] next = {0};
    ReconnectBackoff backoff = new ReconnectBackoff(INITIAL, MAX, () -> values[next[0]++]);

    assertThat(java.util.stream.IntStream.range(0, 3).mapToObj(i -> backoff.delay(5).toMillis()))
        .containsExactly(17_600L, 24_000L, 30_400L);
  }

  @Test
  void refusesBoundsOutOfOrder() {
    assertThatThrownBy(() -> new ReconnectBackoff(MAX, INITIAL, () -> 0.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ReconnectBackoff(Duration.ZERO, MAX, () -> 0.5))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
