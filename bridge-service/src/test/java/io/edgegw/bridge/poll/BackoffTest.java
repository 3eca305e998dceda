package io.edgegw.bridge.poll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void delaysDoubleUpToTheMaximumWithoutJitter() {
    Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), 0, new Random(1));
    assertThat(b.onFailure(0)).isEqualTo(1_000);
    assertThat(b.onFailure(1_000)).isEqualTo(3_000);
    assertThat(b.onFailure(3_000)).isEqualTo(7_000);
    assertThat(b.onFailure(7_000)).isEqualTo(15_000);
    assertThat(b.onFailure(15_000)).isEqualTo(23_000);
    assertThat(b.failures()).isEqualTo(5);
  }

  @Test
  void waitsUntilTheRetryTimeAndResetsOnSuccess() {
    Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(10), 0, new Random(1));
    assertThat(b.isWaiting(0)).isFalse();
    b.onFailure(1_000);
    assertThat(b.isWaiting(1_499)).isTrue();
    assertThat(b.isWaiting(1_500)).isFalse();
    b.onSuccess();
    assertThat(b.failures()).isZero();
    assertThat(b.onFailure(2_000)).isEqualTo(2_500);
  }

  @Test
  void jitterSpreadsDevicesThatFailedTogether() {
    long[] retries = new long[50];
    Random seeds = new Random(42);
    for (int i = 0; i < retries.length; i++) {
      Backoff b =
          new Backoff(
              Duration.ofSeconds(4), Duration.ofSeconds(60), 0.2, new Random(seeds.nextLong()));
      retries[i] = b.onFailure(0);
    }
    for (long r : retries) {
      assertThat(r).isBetween(3_200L, 4_800L);
    }
    assertThat(java.util.Arrays.stream(retries).distinct().count()).isGreaterThan(40);
  }

  @Test
  void longOutagesDoNotOverflow() {
    Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(1), 0, new Random(1));
    long now = 0;
    for (int i = 0; i < 100; i++) {
      now = b.onFailure(now);
    }
    assertThat(b.onFailure(now) - now).isEqualTo(60_000);
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), 0, new Random()))
        .hasMessageContaining("0 < initial <= max");
    assertThatThrownBy(
            () -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 1.5, new Random()))
        .hasMessageContaining("jitter must be 0..1");
  }
}
