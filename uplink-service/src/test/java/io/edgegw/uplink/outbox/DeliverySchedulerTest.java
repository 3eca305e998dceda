package io.edgegw.uplink.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.uplink.outbox.DeliveryScheduler.Decision;
import io.edgegw.uplink.outbox.DeliveryScheduler.Waiting;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DeliverySchedulerTest {

  /** A clock that moves only when told. */
  static final class FakeTime implements TimeMeter {
    long nanos;

    @Override
    public long currentTimeNanos() {
      return nanos;
    }

    @Override
    public boolean isWallClockBased() {
      return false;
    }

    void advance(Duration d) {
      nanos += d.toNanos();
    }
  }

  final FakeTime time = new FakeTime();

  static Waiting waiting(int live, int backfill, boolean la, boolean lt, boolean ba, boolean bt) {
    return new Waiting(live, backfill, la, lt, ba, bt);
  }

  @Test
  void alarmsGoFirstThenLiveThenBackfill() {
    DeliveryScheduler s = new DeliveryScheduler(8, 100, 1_000_000, time);
    assertThat(s.decide(waiting(0, 0, false, true, true, true)))
        .isEqualTo(new Decision.Send(Lane.BACKFILL, Slice.Kind.ALARM));
    assertThat(s.decide(waiting(0, 0, true, true, true, true)))
        .isEqualTo(new Decision.Send(Lane.LIVE, Slice.Kind.ALARM));
    assertThat(s.decide(waiting(0, 0, false, true, false, true)))
        .isEqualTo(new Decision.Send(Lane.LIVE, Slice.Kind.TELEMETRY));
    assertThat(s.decide(waiting(0, 0, false, false, false, true)))
        .isEqualTo(new Decision.Send(Lane.BACKFILL, Slice.Kind.TELEMETRY));
    assertThat(s.decide(waiting(0, 0, false, false, false, false))).isEqualTo(new Decision.Idle());
  }

  @Test
  void theWindowIsTheSmallerOfTheSettingAndTheReceiveMaximum() {
    DeliveryScheduler s = new DeliveryScheduler(32, 100, 1_000_000, time);
    s.receiveMaximum(10);
    assertThat(s.window()).isEqualTo(10);
    assertThat(s.decide(waiting(6, 4, true, true, false, false)))
        .isEqualTo(new Decision.WindowFull());
    assertThat(s.decide(waiting(5, 4, true, true, false, false)))
        .isEqualTo(new Decision.Send(Lane.LIVE, Slice.Kind.ALARM));
    s.receiveMaximum(65_535);
    assertThat(s.window()).isEqualTo(32);
  }

  @Test
  void backfillLeavesAQuarterOfTheWindowToLive() {
    DeliveryScheduler s = new DeliveryScheduler(8, 100, 1_000_000, time);
    assertThat(s.backfillWindow()).isEqualTo(6);
    assertThat(s.decide(waiting(0, 6, false, false, false, true)))
        .isEqualTo(new Decision.WindowFull());
    assertThat(s.decide(waiting(0, 6, false, true, false, true)))
        .isEqualTo(new Decision.Send(Lane.LIVE, Slice.Kind.TELEMETRY));
    assertThat(new DeliveryScheduler(1, 1, 1, time).backfillWindow()).isEqualTo(1);
  }

  @Test
  void backfillKeepsToTheMessageRate() {
    DeliveryScheduler s = new DeliveryScheduler(1000, 5, 1_000_000, time);
    Waiting onlyBackfill = waiting(0, 0, false, false, false, true);
    int sent = 0;
    for (int second = 0; second < 10; second++) {
      Decision d;
      while ((d = s.decide(onlyBackfill)) instanceof Decision.Send) {
        sent++;
      }
      assertThat(d).isInstanceOf(Decision.Throttled.class);
      assertThat(((Decision.Throttled) d).retryIn()).isPositive();
      time.advance(Duration.ofSeconds(1));
    }
    // A full bucket (5) at the start, then 5 per second for 9 more seconds.
    assertThat(sent).isEqualTo(50);
  }

  @Test
  void backfillKeepsToTheByteRateChargedAfterEncoding() {
    DeliveryScheduler s = new DeliveryScheduler(1000, 1000, 10_000, time);
    Waiting onlyBackfill = waiting(0, 0, false, false, false, true);
    assertThat(s.decide(onlyBackfill)).isInstanceOf(Decision.Send.class);
    s.sent(Lane.BACKFILL, 25_000); // 15,000 bytes of debt: 2.5 s until the next
    Decision d = s.decide(onlyBackfill);
    assertThat(d).isInstanceOf(Decision.Throttled.class);
    assertThat(((Decision.Throttled) d).retryIn())
        .isBetween(Duration.ofMillis(1_500), Duration.ofMillis(1_501));
    time.advance(Duration.ofMillis(1_400));
    assertThat(s.decide(onlyBackfill)).isInstanceOf(Decision.Throttled.class);
    time.advance(Duration.ofMillis(200));
    assertThat(s.decide(onlyBackfill)).isInstanceOf(Decision.Send.class);
  }

  @Test
  void liveTrafficIsNeverThrottledOrCharged() {
    DeliveryScheduler s = new DeliveryScheduler(1000, 1, 1, time);
    for (int i = 0; i < 100; i++) {
      assertThat(s.decide(waiting(0, 0, false, true, false, true)))
          .isEqualTo(new Decision.Send(Lane.LIVE, Slice.Kind.TELEMETRY));
      s.sent(Lane.LIVE, 1_000_000);
    }
    assertThat(s.decide(waiting(0, 0, false, false, false, true)))
        .isEqualTo(new Decision.Send(Lane.BACKFILL, Slice.Kind.TELEMETRY));
  }
}
