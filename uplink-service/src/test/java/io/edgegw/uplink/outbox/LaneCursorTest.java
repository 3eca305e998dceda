package io.edgegw.uplink.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LaneCursorTest {

  static LaneCursor live(long start) {
    return new LaneCursor(Lane.LIVE, OutboxPosition.through(start), Long.MAX_VALUE);
  }

  @Test
  void outOfOrderAcknowledgementsMoveThePositionToTheContiguousPoint() {
    LaneCursor c = live(10);
    c.add(
        List.of(
            Slice.whole(Slice.Kind.TELEMETRY, 11, 11, 5),
            Slice.whole(Slice.Kind.TELEMETRY, 12, 12, 5),
            Slice.whole(Slice.Kind.TELEMETRY, 14, 14, 5)),
        14);
    Slice a = c.take(Slice.Kind.TELEMETRY, null);
    Slice b = c.take(Slice.Kind.TELEMETRY, null);
    Slice d = c.take(Slice.Kind.TELEMETRY, null);
    assertThat(c.acknowledged(d)).isEmpty();
    assertThat(c.acknowledged(b)).isEmpty();
    assertThat(c.position()).isEqualTo(OutboxPosition.through(10));
    LaneCursor.Advance adv = c.acknowledged(a).orElseThrow();
    // 13 had no rows (a rolled-back commit), so the position passes it.
    assertThat(adv.position()).isEqualTo(OutboxPosition.through(14));
    assertThat(adv.deliveredFrom()).isEqualTo(11);
    assertThat(adv.deliveredTo()).isEqualTo(14);
    assertThat(c.drained()).isFalse(); // the live lane never ends
  }

  @Test
  void acknowledgedPartsOfACommitMakeAPartialPosition() {
    LaneCursor c = live(0);
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    c.add(
        List.of(
            Slice.whole(Slice.Kind.ALARM, 1, 1, 1),
            Slice.part(Slice.Kind.TELEMETRY, 1, 0, 10),
            Slice.part(Slice.Kind.TELEMETRY, 1, 10, 10),
            Slice.part(Slice.Kind.TELEMETRY, 1, 20, 3)),
        1);
    Slice alarm = c.take(Slice.Kind.ALARM, null);
    Slice p0 = c.take(Slice.Kind.TELEMETRY, new LaneCursor.RowKey(4, t));
    Slice p1 = c.take(Slice.Kind.TELEMETRY, new LaneCursor.RowKey(7, t));
    Slice p2 = c.take(Slice.Kind.TELEMETRY, new LaneCursor.RowKey(9, t));
    // Part 0 without the commit's alarm events is no progress.
    assertThat(c.acknowledged(p0)).isEmpty();
    LaneCursor.Advance adv = c.acknowledged(alarm).orElseThrow();
    assertThat(adv.position()).isEqualTo(new OutboxPosition(1, 4, t));
    assertThat(adv.delivered()).isFalse();
    assertThat(c.acknowledged(p2)).isEmpty();
    adv = c.acknowledged(p1).orElseThrow();
    assertThat(adv.position()).isEqualTo(OutboxPosition.through(1));
    assertThat(adv.deliveredFrom()).isEqualTo(1);
    assertThat(adv.deliveredTo()).isEqualTo(1);
  }

  @Test
  void aPackedSliceCompletesAllItsCommits() {
    LaneCursor c = new LaneCursor(Lane.BACKFILL, OutboxPosition.through(0), 100);
    c.add(List.of(Slice.whole(Slice.Kind.TELEMETRY, 3, 40, 90)), 100);
    assertThat(c.pendingRows()).isEqualTo(90);
    Slice s = c.take(Slice.Kind.TELEMETRY, null);
    assertThat(c.acknowledged(s).orElseThrow().position()).isEqualTo(OutboxPosition.through(100));
    assertThat(c.drained()).isTrue();
    assertThat(c.pendingRows()).isZero();
  }

  @Test
  void aLostSessionSendsWhatWasInFlightAgainFirst() {
    LaneCursor c = live(0);
    c.add(
        List.of(
            Slice.whole(Slice.Kind.TELEMETRY, 1, 1, 1),
            Slice.whole(Slice.Kind.TELEMETRY, 2, 2, 1),
            Slice.whole(Slice.Kind.TELEMETRY, 3, 3, 1)),
        3);
    Slice one = c.take(Slice.Kind.TELEMETRY, null);
    c.take(Slice.Kind.TELEMETRY, null);
    c.returnInFlight();
    assertThat(c.inFlight()).isZero();
    assertThat(c.peek(Slice.Kind.TELEMETRY)).contains(one);
    assertThatThrownBy(() -> c.acknowledged(one)).hasMessageContaining("not in flight");
  }
}
