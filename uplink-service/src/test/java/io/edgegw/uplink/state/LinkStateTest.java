package io.edgegw.uplink.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.uplink.state.LinkState.Mode;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;

class LinkStateTest {
  static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  /** A wall clock and a monotonic ticker that move only when told. */
  static final class FakeClock implements InstantSource {
    Instant now = T0;
    long nanos = 1_000;

    @Override
    public Instant instant() {
      return now;
    }

    long nanos() {
      return nanos;
    }

    void advance(Duration d) {
      now = now.plus(d);
      nanos += d.toNanos();
    }

    /** The wall clock alone jumps (NTP, an operator); monotonic time does not. */
    void step(Duration d) {
      now = now.plus(d);
    }
  }

  final FakeClock clock = new FakeClock();
  final LinkState link =
      new LinkState(clock, clock::nanos, Duration.ofSeconds(30), Duration.ofSeconds(10));

  @Test
  void aWallClockSteppedBackDoesNotDelayOfflineNorAForwardStepBringItEarly() {
    link.sessionUp();
    link.published();
    clock.step(Duration.ofHours(-1));
    clock.advance(Duration.ofSeconds(30));
    assertThat(link.mode()).isEqualTo(Mode.OFFLINE);
    link.acknowledged(false, 0);
    // The outage is reported with its measured length, from when it began on the wall clock.
    assertThat(link.outage())
        .hasValueSatisfying(o -> {
          assertThat(o.start()).isEqualTo(T0);
          assertThat(o.end()).isEqualTo(T0.plusSeconds(30));
        });
    link.sessionDown();
    clock.step(Duration.ofHours(2));
    clock.advance(Duration.ofSeconds(29));
    assertThat(link.mode()).isEqualTo(Mode.ONLINE);
    clock.advance(Duration.ofSeconds(1));
    assertThat(link.mode()).isEqualTo(Mode.OFFLINE);
  }

  @Test
  void anOpenSocketWithoutAcknowledgementsGoesOfflineAfterN() {
    link.sessionUp();
    link.published();
    clock.advance(Duration.ofSeconds(29));
    assertThat(link.mode()).isEqualTo(Mode.ONLINE);
    clock.advance(Duration.ofSeconds(1));
    assertThat(link.mode()).isEqualTo(Mode.OFFLINE);
  }

  @Test
  void aQuietLinkWithNothingOutstandingStaysOnline() {
    link.sessionUp();
    link.published();
    clock.advance(Duration.ofSeconds(1));
    link.acknowledged(false, 0);
    clock.advance(Duration.ofHours(1));
    assertThat(link.mode()).isEqualTo(Mode.ONLINE);
  }

  @Test
  void aSessionDownForNIsOffline() {
    link.sessionUp();
    clock.advance(Duration.ofSeconds(5));
    link.sessionDown();
    clock.advance(Duration.ofSeconds(29));
    assertThat(link.mode()).isEqualTo(Mode.ONLINE);
    clock.advance(Duration.ofSeconds(1));
    assertThat(link.mode()).isEqualTo(Mode.OFFLINE);
  }

  @Test
  void acknowledgementsResumeBackfillingUntilDrainedThenOnlineAndOneOutageSummary() {
    link.sessionUp();
    link.published();
    clock.advance(Duration.ofSeconds(40));
    link.backlog(2_000, T0);
    assertThat(link.mode()).isEqualTo(Mode.OFFLINE);
    assertThat(link.outage()).isEmpty();

    clock.advance(Duration.ofSeconds(20));
    link.acknowledged(true, 500); // the cloud answers again at T0+60s
    link.backlog(1_500, T0.plusSeconds(10));
    assertThat(link.mode()).isEqualTo(Mode.BACKFILLING);
    assertThat(link.outage()).isEmpty(); // reported once the backlog is drained

    clock.advance(Duration.ofSeconds(5));
    link.acknowledged(false, 1_500);
    link.backlog(0, null);
    assertThat(link.mode()).isEqualTo(Mode.ONLINE);
    OutageSummary outage = link.outage().orElseThrow();
    assertThat(outage.start()).isEqualTo(T0);
    assertThat(outage.end()).isEqualTo(T0.plusSeconds(60));
    assertThat(outage.duration()).isEqualTo(Duration.ofSeconds(60));
    assertThat(outage.rowsBackfilled()).isEqualTo(2_000);
    assertThat(outage.backlogAtEnd()).isEqualTo(2_000);
    assertThat(link.outage()).isEmpty();
  }

  @Test
  void backlogAgeRateAndEta() {
    link.sessionUp();
    link.backlog(10_000, T0.minusSeconds(3_600));
    LinkState.Snapshot s = link.snapshot();
    assertThat(s.mode()).isEqualTo(Mode.BACKFILLING);
    assertThat(s.oldestUnsentAge()).isEqualTo(Duration.ofHours(1));
    assertThat(s.backfillRowsPerSecond()).isZero();
    assertThat(s.eta()).isEmpty();

    // 1,000 rows acknowledged every second for a long time: the EWMA settles at 1,000 rows/s.
    for (int i = 0; i < 300; i++) {
      clock.advance(Duration.ofSeconds(1));
      link.published();
      link.acknowledged(false, 1_000);
    }
    s = link.snapshot();
    // The EWMA of a steady 1,000 rows/s, sampled just after a PUBACK, lies within 1,000 +- 3.5%.
    assertThat(s.backfillRowsPerSecond()).isBetween(1_000.0, 1_040.0);
    assertThat(s.eta().orElseThrow())
        .isBetween(Duration.ofMillis(9_660), Duration.ofMillis(10_000));
    assertThat(s.oldestUnsentAge()).isEqualTo(Duration.ofSeconds(3_900));

    link.backlog(0, null);
    s = link.snapshot();
    assertThat(s.mode()).isEqualTo(Mode.ONLINE);
    assertThat(s.eta()).contains(Duration.ZERO);
    assertThat(s.oldestUnsentAge()).isZero();
  }
}
