package io.edgegw.buffer.maintenance;

import static io.edgegw.buffer.store.TestStore.exec;
import static io.edgegw.buffer.store.TestStore.scalar;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.buffer.store.DayPartitions;
import io.edgegw.buffer.store.SeriesRegistry;
import io.edgegw.buffer.store.StoreMode;
import io.edgegw.buffer.store.StoreWriter;
import io.edgegw.buffer.store.StoredSample;
import io.edgegw.buffer.store.TestStore;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.testsupport.PostgresServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retention and the disk quota with an injected clock (the {@code now} of each run) and small
 * quotas, on a real PostgreSQL. Each day of test data is a run of flushes of its own, so it can be
 * marked delivered on its own.
 */
class StoreMaintenanceIT {
  static PostgresServer pg;
  static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
  static final int ROWS_PER_DAY = 2_000;
  static final int ROWS_PER_COMMIT = 100;

  DataSource ds;
  DayPartitions partitions;
  SimpleMeterRegistry registry;

  /** The first and last ingest_seq of the flushes that wrote each day. */
  Map<LocalDate, long[]> seqOfDay;

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
    ds = TestStore.create(pg);
    partitions = new DayPartitions();
    registry = new SimpleMeterRegistry();
    seqOfDay = new TreeMap<>();
  }

  /**
   * Writes {@link #ROWS_PER_DAY} samples (two series) on each of the days before NOW, in commits of
   * {@link #ROWS_PER_COMMIT} rows (a flush of the buffer holds a fraction of a second to a few
   * seconds of data; the quota removes whole commits).
   */
  void fill(int daysBack) throws SQLException {
    StoreWriter writer =
        new StoreWriter(ds, StoreMode.PLAIN, new SeriesRegistry(k -> null), partitions);
    for (int d = daysBack; d >= 0; d--) {
      LocalDate day = LocalDate.ofInstant(NOW, java.time.ZoneOffset.UTC).minusDays(d);
      long start = day.atStartOfDay(java.time.ZoneOffset.UTC).toInstant().toEpochMilli();
      List<StoredSample> rows = new ArrayList<>();
      long first = -1;
      long last = -1;
      for (int i = 0; i < ROWS_PER_DAY / 2; i++) {
        long t = start + i * 30_000L;
        rows.add(StoredSample.of("plc", new Sample("a", t, (double) i, Quality.GOOD)));
        rows.add(StoredSample.of("plc", new Sample("b", t, (double) -i, Quality.GOOD)));
        if (rows.size() == ROWS_PER_COMMIT || i == ROWS_PER_DAY / 2 - 1) {
          last = writer.write(rows, List.of()).ingestSeq();
          first = first < 0 ? last : first;
          rows = new ArrayList<>();
        }
      }
      seqOfDay.put(day, new long[] {first, last});
    }
  }

  void delivered(LocalDate... days) throws SQLException {
    for (LocalDate day : days) {
      long[] seqs = seqOfDay.get(day);
      exec(
          ds,
          "INSERT INTO outbox_delivered (consumer, from_seq, to_seq) VALUES ('cloud', "
              + seqs[0]
              + ", "
              + seqs[1]
              + ")");
    }
  }

  StoreMaintenance maintenance(long quota) {
    return new StoreMaintenance(
        ds,
        StoreMode.PLAIN,
        partitions,
        new StoreMaintenance.Settings(Duration.ofDays(30), quota, Duration.ofHours(1), 2, "cloud"),
        registry);
  }

  static LocalDate day(int back) {
    return LocalDate.ofInstant(NOW, java.time.ZoneOffset.UTC).minusDays(back);
  }

  List<LocalDate> days() throws SQLException {
    try (Connection c = ds.getConnection()) {
      return DayPartitions.existing(c);
    }
  }

  long size() throws SQLException {
    try (Connection c = ds.getConnection()) {
      return maintenance(Long.MAX_VALUE).measure(c);
    }
  }

  @Test
  void retentionDropsWholeDaysOlderThanThirtyDaysAndRecordsTheUnsentOnes() throws SQLException {
    fill(33);
    delivered(day(33)); // day 33 was sent; days 32 and 31 were not
    StoreMaintenance.Report r = maintenance(Long.MAX_VALUE).run(NOW);
    // Days ending before NOW - 30d are gone: 33, 32, 31 (day 30 ends after the cutoff).
    assertThat(r.daysDropped()).isEqualTo(3);
    assertThat(days().getFirst()).isEqualTo(day(30));
    // Partitions for today and two days ahead exist before any data arrives.
    assertThat(days().getLast()).isEqualTo(day(-2));
    assertThat(scalar(ds, "SELECT count(*) FROM sample")).isEqualTo(31L * ROWS_PER_DAY);
    assertThat(r.drops())
        .extracting(StoreMaintenance.Drop::rows, StoreMaintenance.Drop::reason)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple((long) ROWS_PER_DAY, "retention"),
            org.assertj.core.groups.Tuple.tuple((long) ROWS_PER_DAY, "retention"));
    assertThat(scalar(ds, "SELECT sum(row_count) FROM data_dropped WHERE reason = 'retention'"))
        .isEqualTo(2L * ROWS_PER_DAY);
  }

  @Test
  void theQuotaTakesDeliveredDaysFirstAndLeavesUnsentDataAlone() throws SQLException {
    fill(5);
    delivered(day(5), day(4), day(1));
    long full = size();
    long perDay = full / 6;
    // Room for everything but about two and a half days: removing delivered data is enough.
    long quota = full - perDay * 5 / 2;
    StoreMaintenance.Report r = maintenance(quota).run(NOW);
    assertThat(r.bytesAfter()).isLessThanOrEqualTo(quota);
    assertThat(r.drops()).isEmpty();
    assertThat(scalar(ds, "SELECT count(*) FROM data_dropped")).isZero();
    // Oldest delivered first: days 5 and 4 went whole, then day 1's delivered rows.
    assertThat(days()).doesNotContain(day(5), day(4));
    assertThat(r.deliveredRowsRemoved()).isEqualTo(3L * ROWS_PER_DAY);
    // Every unsent row is still there.
    assertThat(scalar(ds, "SELECT count(*) FROM sample")).isEqualTo(3L * ROWS_PER_DAY);
    assertThat(
            registry.find("buffer_data_dropped_rows_total").counter() == null
                ? 0
                : registry.find("buffer_data_dropped_rows_total").counter().count())
        .isZero();
  }

  @Test
  void whenDeliveredDataIsNotEnoughUnsentDataGoesOldestFirstAndIsRecorded() throws SQLException {
    fill(3);
    delivered(day(0));
    long full = size();
    long quota = full / 3;
    StoreMaintenance.Report r = maintenance(quota).run(NOW);
    assertThat(r.bytesAfter()).isLessThanOrEqualTo(quota);
    // Today's delivered rows went first, before any unsent row.
    assertThat(r.deliveredRowsRemoved()).isEqualTo(ROWS_PER_DAY);
    assertThat(r.drops()).isNotEmpty().allMatch(d -> d.reason().equals("quota"));
    long droppedRows = r.drops().stream().mapToLong(StoreMaintenance.Drop::rows).sum();
    long remaining = scalar(ds, "SELECT count(*) FROM sample");
    assertThat(droppedRows + remaining).isEqualTo(3L * ROWS_PER_DAY);
    // Oldest first: every dropped range ends before the oldest remaining sample.
    long oldestLeft = scalar(ds, "SELECT (extract(epoch FROM min(ts)) * 1000)::bigint FROM sample");
    assertThat(r.drops()).allMatch(d -> d.to().toEpochMilli() < oldestLeft);
    assertThat(r.drops().getFirst().from())
        .isEqualTo(day(3).atStartOfDay(java.time.ZoneOffset.UTC).toInstant());
    // The record: one data_dropped row per step, with its range and rows, and the metric.
    assertThat(scalar(ds, "SELECT sum(row_count) FROM data_dropped WHERE reason = 'quota'"))
        .isEqualTo(droppedRows);
    assertThat(
            registry.get("buffer_data_dropped_rows_total").tag("reason", "quota").counter().count())
        .isEqualTo((double) droppedRows);
  }

  /**
   * Commits of four hours each that overlap by two: a quota step of one hour cuts through them. The
   * quota must remove whole commits (uplink reads a large commit in parts by position, so a commit
   * left in part loses rows at the cloud), and record exactly what it removed.
   */
  @Test
  void theQuotaRemovesWholeCommitsNeverAPartOfOne() throws SQLException {
    StoreWriter writer =
        new StoreWriter(ds, StoreMode.PLAIN, new SeriesRegistry(k -> null), partitions);
    long start = day(1).atStartOfDay(java.time.ZoneOffset.UTC).toInstant().toEpochMilli();
    int commits = 6;
    int perCommit = 2 * 2_000; // large enough that the empty partitions' overhead is small
    List<Long> seqs = new ArrayList<>();
    for (int j = 0; j < commits; j++) {
      List<StoredSample> rows = new ArrayList<>();
      for (int i = 0; i < perCommit / 2; i++) {
        // Commit j spans four hours from hour 2j: each overlaps the next one's first two hours.
        long t = start + j * 7_200_000L + i * 7_200L + j; // + j: no (series, ts) twice
        rows.add(StoredSample.of("plc", new Sample("a", t, (double) i, Quality.GOOD)));
        rows.add(StoredSample.of("plc", new Sample("b", t, (double) -i, Quality.GOOD)));
      }
      seqs.add(writer.write(rows, List.of()).ingestSeq());
    }
    long full = size();
    StoreMaintenance.Report r = maintenance(full / 2).run(NOW);
    long remaining = scalar(ds, "SELECT count(*) FROM sample");
    assertThat(remaining).as("something is removed, not everything").isBetween(1L, 5L * perCommit);
    for (long seq : seqs) {
      assertThat(scalar(ds, "SELECT count(*) FROM sample WHERE ingest_seq = " + seq))
          .as("rows left of commit %d", seq)
          .isIn(0L, (long) perCommit);
    }
    long droppedRows = r.drops().stream().mapToLong(StoreMaintenance.Drop::rows).sum();
    assertThat(droppedRows + remaining).isEqualTo((long) commits * perCommit);
    assertThat(scalar(ds, "SELECT sum(row_count) FROM data_dropped WHERE reason = 'quota'"))
        .isEqualTo(droppedRows);
    // Oldest commits first.
    assertThat(scalar(ds, "SELECT min(ingest_seq) FROM sample"))
        .isEqualTo(seqs.get((int) (commits - remaining / perCommit)));
  }

  @Test
  void underTheQuotaNothingIsRemoved() throws SQLException {
    fill(2);
    StoreMaintenance.Report r = maintenance(size() * 2).run(NOW);
    assertThat(r.deliveredRowsRemoved()).isZero();
    assertThat(r.drops()).isEmpty();
    assertThat(scalar(ds, "SELECT count(*) FROM sample")).isEqualTo(3L * ROWS_PER_DAY);
  }

  @Test
  void aClockThatJumpsAMonthAheadExpiresEverythingOnce() throws SQLException {
    fill(1);
    delivered(day(1), day(0));
    StoreMaintenance m = maintenance(Long.MAX_VALUE);
    StoreMaintenance.Report r = m.run(NOW.plus(Duration.ofDays(40)));
    assertThat(scalar(ds, "SELECT count(*) FROM sample")).isZero();
    assertThat(r.drops()).isEmpty(); // all of it had been delivered
    StoreMaintenance.Report again = m.run(NOW.plus(Duration.ofDays(40)));
    assertThat(again.daysDropped()).isZero();
  }
}
