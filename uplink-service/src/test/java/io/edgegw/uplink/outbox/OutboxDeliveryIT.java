package io.edgegw.uplink.outbox;

import static io.edgegw.uplink.outbox.TestOutbox.commit;
import static io.edgegw.uplink.outbox.TestOutbox.scalar;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.testsupport.PostgresServer;
import io.edgegw.uplink.outbox.OutboxDelivery.Outgoing;
import io.edgegw.uplink.outbox.OutboxDelivery.Step;
import io.edgegw.uplink.outbox.TestOutbox.Alarm;
import io.edgegw.uplink.outbox.TestOutbox.Row;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Delivery from the outbox against a real PostgreSQL migrated by buffer-service's Flyway script.
 * The "cloud" is this test: it keeps every message by key, and acknowledges when told.
 */
class OutboxDeliveryIT {
  static final long T0 = 1_780_000_000_000L;
  static PostgresServer pg;

  DataSource ds;
  final DeliverySchedulerTest.FakeTime time = new DeliverySchedulerTest.FakeTime();
  final MessageCodec codec = new MessageCodec(400);
  final Map<String, Outgoing> cloud = new LinkedHashMap<>();
  int resent;
  final List<String> sentLog = new ArrayList<>();
  long t = T0;

  @BeforeAll
  static void startPostgres() {
    pg = PostgresServer.start();
  }

  @AfterAll
  static void stopPostgres() {
    pg.close();
  }

  @BeforeEach
  void fresh() throws SQLException {
    ds = TestOutbox.create(pg);
  }

  OutboxDelivery delivery(int window, int liveN, int backfillN) throws SQLException {
    OutboxDelivery d =
        new OutboxDelivery(
            new OutboxReader(ds),
            new DeliveryLedger(ds, "cloud"),
            new DeliveryScheduler(window, 1_000_000, 1L << 28, time),
            codec,
            new OutboxDelivery.Settings("gw1", liveN, backfillN));
    d.start();
    return d;
  }

  /** A commit of {@code n} samples over two series. */
  long rows(int n) throws SQLException {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(new Row("plc", i % 2 == 0 ? "a" : "b", t, i));
      if (i % 2 == 1) {
        t += 1000;
      }
    }
    t += 1000;
    return commit(ds, rows, List.of());
  }

  long alarm(String id) throws SQLException {
    t += 1000;
    long seq = commit(ds, List.of(new Row("plc", "a", t, 99)), List.of(new Alarm(id, t, "RAISED")));
    t += 1000;
    return seq;
  }

  /** Everything the delivery will send now (until the window is full or nothing waits). */
  List<Outgoing> sendAll(OutboxDelivery d) throws SQLException {
    List<Outgoing> out = new ArrayList<>();
    Step step;
    while ((step = d.next()) instanceof Step.Publish p) {
      Outgoing o = p.message();
      if (cloud.putIfAbsent(o.key(), o) != null) {
        resent++;
      }
      out.add(o);
      sentLog.add(o.key());
    }
    return out;
  }

  void ack(OutboxDelivery d, List<Outgoing> messages) throws SQLException {
    for (Outgoing o : messages) {
      d.acknowledged(o);
    }
  }

  /** Sends and acknowledges until nothing is left. */
  void drain(OutboxDelivery d) throws SQLException {
    d.pollLive();
    List<Outgoing> sent;
    while (!(sent = sendAll(d)).isEmpty()) {
      ack(d, sent);
    }
  }

  List<List<Object>> ranges() throws SQLException {
    List<List<Object>> out = new ArrayList<>();
    try (var c = ds.getConnection();
        var s = c.createStatement();
        var rs =
            s.executeQuery(
                "SELECT from_seq, to_seq FROM outbox_delivered WHERE consumer = 'cloud'"
                    + " ORDER BY from_seq")) {
      while (rs.next()) {
        out.add(List.of(rs.getLong(1), rs.getLong(2)));
      }
    }
    return out;
  }

  OutboxPosition stored(Lane lane) throws SQLException {
    return new DeliveryLedger(ds, "cloud").positions().get(lane);
  }

  /** Every sample the cloud holds, one entry per distinct key (the cloud's dedup). */
  List<String> cloudSamples() {
    List<String> out = new ArrayList<>();
    for (Outgoing o : cloud.values()) {
      if (o.slice().kind() == Slice.Kind.TELEMETRY) {
        for (CloudMessage.Sample s :
            codec.decodeTelemetry(o.payload().payload(), o.payload().contentType()).samples()) {
          out.add(s.device() + "/" + s.tag() + "@" + s.t());
        }
      }
    }
    return out;
  }

  /**
   * A PUBACK that arrives after the session was lost, for a message sent on it: the client
   * completes such a send when it resumes the session and resends it itself, possibly before the
   * delivery starts again. It is ignored (the slice was returned to be sent again), where it used
   * to throw "not in flight" on the delivery thread (found by FaultsProcessIT, 2026-11-27).
   */
  @Test
  void aPubackArrivingAfterTheSessionWasLostIsIgnoredAndTheSliceGoesAgain() throws SQLException {
    rows(4);
    OutboxDelivery d = delivery(8, 100, 100);
    List<Outgoing> first = sendAll(d);
    assertThat(first).isNotEmpty();
    d.sessionLost();
    ack(d, first); // late: before start() plans again
    assertThat(d.inFlight()).isZero();
    d.start();
    drain(d);
    assertThat(sentLog).as("sent again after the lost session").hasSize(2 * first.size());
    assertThat(cloudSamples()).hasSize(4);
  }

  /**
   * The cloud cut twice during one backfill, each time with a window in flight that the cloud
   * received without a PUBACK: the second session sends those rows again with the keys they had. It
   * used to pack the commits that the first session had sent one per message, so the cloud got the
   * same samples under other keys (found by FaultsProcessIT, 2026-11-27).
   */
  @Test
  void twoLostSessionsInOneBackfillResendTheSameRowsUnderTheSameKeys() throws SQLException {
    rows(4);
    OutboxDelivery d = delivery(8, 100, 100);
    drain(d);
    for (int i = 0; i < 30; i++) {
      rows(6); // the outage: the live lane is stuck before them
    }
    d.sessionLost();
    d.start(); // backfill of the outage, one commit per message above the old live position
    List<Outgoing> first = sendAll(d);
    assertThat(first).hasSize(6).allMatch(o -> o.slice().fromSeq() == o.slice().toSeq());
    d.sessionLost(); // the cloud stored them; their PUBACKs never came
    d.start();
    sentLog.clear();
    drain(d);
    assertThat(sentLog).containsAll(first.stream().map(Outgoing::key).toList());
    assertThat(resent).isEqualTo(first.size());
    List<String> samples = cloudSamples();
    assertThat(samples).doesNotHaveDuplicates();
    assertThat((long) samples.size()).isEqualTo(scalar(ds, "SELECT count(*) FROM sample"));
  }

  /**
   * The same with a crash instead of the second cut: the restarted delivery knows the first
   * session's barrier from the store ({@code packed_through}) and sends the window again with the
   * keys it had. It used to take the live position stored at the reconnect, so it packed them.
   */
  @Test
  void aRestartAfterALostSessionInOneBackfillResendsTheSameRowsUnderTheSameKeys()
      throws SQLException {
    rows(4);
    OutboxDelivery d = delivery(8, 100, 100);
    drain(d);
    for (int i = 0; i < 30; i++) {
      rows(6);
    }
    d.sessionLost();
    d.start();
    List<Outgoing> first = sendAll(d);
    assertThat(first).hasSize(6).allMatch(o -> o.slice().fromSeq() == o.slice().toSeq());
    OutboxDelivery restarted = delivery(8, 100, 100); // the crash: no PUBACK came back
    sentLog.clear();
    drain(restarted);
    assertThat(sentLog).containsAll(first.stream().map(Outgoing::key).toList());
    assertThat(resent).isEqualTo(first.size());
    List<String> samples = cloudSamples();
    assertThat(samples).doesNotHaveDuplicates();
    assertThat((long) samples.size()).isEqualTo(scalar(ds, "SELECT count(*) FROM sample"));
  }

  @Test
  void positionsMoveOnlyOnAcknowledgementAndDeliveredRangesMerge() throws SQLException {
    long first = rows(4);
    rows(4);
    long third = rows(4);
    OutboxDelivery d = delivery(8, 100, 100);
    assertThat(stored(Lane.LIVE)).isEqualTo(OutboxPosition.through(third));

    List<Outgoing> backfill = sendAll(d);
    assertThat(backfill).extracting(Outgoing::key).containsExactly("gw1:t:" + first + "-" + third);
    assertThat(backfill.getFirst().payload().contentType()).isEqualTo(MessageCodec.JSON_GZIP);
    // The row holds the packing barrier from the start; the position has not moved.
    assertThat(stored(Lane.BACKFILL)).isEqualTo(OutboxPosition.through(0));
    assertThat(ranges()).isEmpty();

    ack(d, backfill);
    assertThat(stored(Lane.BACKFILL)).isEqualTo(OutboxPosition.through(third));
    assertThat(ranges()).containsExactly(List.of(1L, third));

    long fourth = rows(2);
    long fifth = rows(2);
    d.pollLive();
    List<Outgoing> live = sendAll(d);
    assertThat(live)
        .extracting(Outgoing::key)
        .containsExactly("gw1:t:" + fourth + "-" + fourth, "gw1:t:" + fifth + "-" + fifth);
    assertThat(live).allMatch(o -> o.payload().contentType().equals(MessageCodec.JSON));
    assertThat(stored(Lane.LIVE)).isEqualTo(OutboxPosition.through(third));
    ack(d, live);
    assertThat(stored(Lane.LIVE)).isEqualTo(OutboxPosition.through(fifth));
    assertThat(ranges()).containsExactly(List.of(1L, fifth));
    assertThat(cloudSamples()).hasSize(16).doesNotHaveDuplicates();
  }

  @Test
  void outOfOrderAcknowledgementsMoveTheStoredPositionToTheContiguousPoint() throws SQLException {
    OutboxDelivery d = delivery(8, 100, 100);
    long start = stored(Lane.LIVE).seq();
    long a = rows(2);
    long b = rows(2);
    long c = rows(2);
    d.pollLive();
    List<Outgoing> live = sendAll(d);
    assertThat(live).hasSize(3);
    d.acknowledged(live.get(2));
    d.acknowledged(live.get(1));
    assertThat(stored(Lane.LIVE)).isEqualTo(OutboxPosition.through(start));
    assertThat(ranges()).isEmpty();
    d.acknowledged(live.get(0));
    assertThat(stored(Lane.LIVE)).isEqualTo(OutboxPosition.through(c));
    assertThat(ranges()).containsExactly(List.of(a, c));
    assertThat(b).isBetween(a, c);
  }

  @Test
  void alarmsGoFirstThenLiveThenBackfillOldestFirst() throws SQLException {
    long b1 = rows(6);
    long b2 = alarm("A1");
    long b3 = rows(6);
    OutboxDelivery d = delivery(16, 100, 4);
    long l1 = rows(2);
    d.pollLive();
    List<Outgoing> sent = sendAll(d);
    assertThat(sent.getFirst().key()).isEqualTo("gw1:a:" + b2 + "-" + b2);
    assertThat(sent.get(1).key()).isEqualTo("gw1:t:" + l1 + "-" + l1);
    List<Outgoing> backfill = sent.subList(2, sent.size());
    assertThat(backfill).allMatch(o -> o.lane() == Lane.BACKFILL);
    assertThat(backfill)
        .extracting(Outgoing::key)
        .containsExactly(
            "gw1:t:" + b1 + "-" + b1 + ":0-3",
            "gw1:t:" + b1 + "-" + b1 + ":4-5",
            "gw1:t:" + b2 + "-" + b2,
            "gw1:t:" + b3 + "-" + b3 + ":0-3",
            "gw1:t:" + b3 + "-" + b3 + ":4-5");
    CloudMessage.Alarms alarms =
        codec.decodeAlarms(sent.getFirst().payload().payload(), MessageCodec.JSON);
    assertThat(alarms.events())
        .singleElement()
        .satisfies(e -> {
          assertThat(e.alarmId()).isEqualTo("A1");
          assertThat(e.transition()).isEqualTo("RAISED");
          assertThat(e.detail()).containsEntry("k", 1);
        });
  }

  @Test
  void aCrashResendsAtMostTheWindowWithTheSameKeysAndEverythingArrivesOnce() throws SQLException {
    Random random = new Random(11);
    for (int i = 0; i < 60; i++) {
      if (i % 17 == 5) {
        alarm("A" + i);
      } else {
        rows(i == 30 ? 120 : 1 + random.nextInt(20));
      }
    }
    int window = 8;
    OutboxDelivery d = delivery(window, 10, 25);
    for (int i = 0; i < 12; i++) {
      rows(1 + random.nextInt(30)); // live traffic during the backfill
    }
    d.pollLive();
    for (int round = 0; round < 5; round++) {
      List<Outgoing> sent = sendAll(d);
      Collections.shuffle(sent, random);
      ack(d, sent);
    }
    // The crash: a window sent, some acknowledged out of order, the rest never.
    List<Outgoing> inFlight = sendAll(d);
    // Only backfill waits now, and it may fill three quarters of the window.
    assertThat(inFlight).hasSize(6);
    d.acknowledged(inFlight.get(3));
    d.acknowledged(inFlight.get(5));
    Set<String> unacknowledged = new HashSet<>();
    inFlight.forEach(o -> unacknowledged.add(o.key()));
    unacknowledged.remove(inFlight.get(3).key());
    unacknowledged.remove(inFlight.get(5).key());

    Set<String> sentBefore = new HashSet<>(cloud.keySet());
    Set<String> inFlightKeys = new HashSet<>();
    inFlight.forEach(o -> inFlightKeys.add(o.key()));

    OutboxDelivery restarted = delivery(window, 10, 25);
    rows(7); // and new data after the restart
    sentLog.clear();
    drain(restarted);
    List<String> resentKeys = sentLog.stream().filter(sentBefore::contains).toList();
    // Only what was in flight is sent again, with the keys it had, so the cloud drops it. The
    // alarm events went ahead of the telemetry and were acknowledged while the position still
    // stood before their commits: they are not among it (alarms_through).
    assertThat(sentBefore).anyMatch(k -> k.contains(":a:"));
    assertThat(resentKeys).hasSizeLessThanOrEqualTo(window);
    assertThat(inFlightKeys).containsAll(resentKeys);
    assertThat(resentKeys).containsAll(unacknowledged);
    assertThat(resent).isEqualTo(resentKeys.size());

    assertThat(restarted.backfillDrained()).isTrue();
    List<String> samples = cloudSamples();
    assertThat(samples).doesNotHaveDuplicates();
    assertThat((long) samples.size()).isEqualTo(scalar(ds, "SELECT count(*) FROM sample"));
    long alarmsInCloud =
        cloud.values().stream().filter(o -> o.slice().kind() == Slice.Kind.ALARM).count();
    assertThat(alarmsInCloud).isEqualTo(scalar(ds, "SELECT count(*) FROM alarm_event"));
    long newest = scalar(ds, "SELECT max(ingest_seq) FROM sample");
    assertThat(ranges()).containsExactly(List.of(1L, newest));
  }

  @Test
  void aRestartResumesInsideAPartlyAcknowledgedCommit() throws SQLException {
    long big = rows(25);
    OutboxDelivery d = delivery(8, 10, 10);
    List<Outgoing> parts = sendAll(d);
    assertThat(parts)
        .extracting(Outgoing::key)
        .containsExactly(
            "gw1:t:" + big + "-" + big + ":0-9",
            "gw1:t:" + big + "-" + big + ":10-19",
            "gw1:t:" + big + "-" + big + ":20-24");
    d.acknowledged(parts.get(0));
    d.acknowledged(parts.get(2));
    OutboxPosition partial = stored(Lane.BACKFILL);
    assertThat(partial.partial()).isTrue();
    assertThat(partial.seq()).isEqualTo(big);

    OutboxDelivery restarted = delivery(8, 10, 10);
    List<Outgoing> again = sendAll(restarted);
    assertThat(again)
        .extracting(Outgoing::key)
        .containsExactly(
            "gw1:t:" + big + "-" + big + ":10-19", "gw1:t:" + big + "-" + big + ":20-24");
    ack(restarted, again);
    assertThat(stored(Lane.BACKFILL)).isEqualTo(OutboxPosition.through(big));
    assertThat(cloudSamples()).hasSize(25).doesNotHaveDuplicates();
  }
}
