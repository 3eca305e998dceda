package io.edgegw.buffer.store;

import static io.edgegw.buffer.store.TestStore.exec;
import static io.edgegw.buffer.store.TestStore.scalar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.contracts.AlarmEvent;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.Severity;
import io.edgegw.testsupport.PostgresServer;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The schema and the writer on a real PostgreSQL 15 without TimescaleDB (the plain path). */
class StoreWriterIT {
  static PostgresServer pg;
  DataSource ds;
  SeriesRegistry series;
  DayPartitions partitions;
  StoreWriter writer;

  static final long T0 = Instant.parse("2026-11-25T10:00:00Z").toEpochMilli();

  @BeforeAll
  static void startPostgres() {
    pg = PostgresServer.start();
  }

  @AfterAll
  static void stopPostgres() {
    pg.close();
  }

  @BeforeEach
  void migrate() throws SQLException {
    ds = TestStore.create(pg);
    series = new SeriesRegistry(k -> k.tag().equals("temp") ? "degC" : null);
    partitions = new DayPartitions();
    try (Connection c = ds.getConnection()) {
      assertThat(StoreMode.detect(c)).isEqualTo(StoreMode.PLAIN);
    }
    writer = new StoreWriter(ds, StoreMode.PLAIN, series, partitions);
  }

  static StoredSample s(String device, String tag, long t, Object v, Quality q) {
    return StoredSample.of(device, new Sample(tag, t, v, q));
  }

  @Test
  void plainSchemaIsPartitionedByDayWithBrinOnTheOutboxPosition() throws SQLException {
    writer.write(
        List.of(
            s("plc", "temp", T0, 21.5, Quality.GOOD),
            s("plc", "temp", T0 + 86_400_000L, 22.0, Quality.GOOD)),
        List.of());
    try (Connection c = ds.getConnection()) {
      assertThat(DayPartitions.existing(c))
          .containsExactly(LocalDate.parse("2026-11-25"), LocalDate.parse("2026-11-26"));
    }
    assertThat(
            scalar(
                ds,
                "SELECT count(*) FROM pg_indexes WHERE tablename = 'sample_d20261125'"
                    + " AND indexdef LIKE '%USING brin (ingest_seq)%'"))
        .isEqualTo(1);
    assertThat(scalar(ds, "SELECT count(*) FROM sample_d20261126")).isEqualTo(1);
  }

  @Test
  void aRedeliveredBatchAddsNoRows() throws SQLException {
    List<StoredSample> batch = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      batch.add(s("plc", "temp", T0 + i * 1000L, (double) i, Quality.GOOD));
    }
    StoreWriter.Written first = writer.write(batch, List.of());
    StoreWriter.Written again = writer.write(batch, List.of());
    assertThat(first.samplesInserted()).isEqualTo(100);
    assertThat(again.samplesInserted()).isZero();
    assertThat(again.duplicates()).isEqualTo(100);
    assertThat(scalar(ds, "SELECT count(*) FROM sample")).isEqualTo(100);
    // Every row of a flush carries that flush's outbox position.
    assertThat(scalar(ds, "SELECT count(DISTINCT ingest_seq) FROM sample")).isEqualTo(1);
    assertThat(scalar(ds, "SELECT min(ingest_seq) FROM sample")).isEqualTo(first.ingestSeq());
    assertThat(again.ingestSeq()).isGreaterThan(first.ingestSeq());
  }

  @Test
  void valuesOfEveryKindAreStoredExactly() throws SQLException {
    BigInteger big = new BigInteger("18446744073709551615");
    writer.write(
        List.of(
            s("plc", "temp", T0, 21.25, Quality.GOOD),
            s("plc", "run", T0, true, Quality.GOOD),
            s("plc", "name", T0, "line, \"A\"", Quality.GOOD),
            s("plc", "count", T0, (1L << 60) + 1, Quality.GOOD),
            s("plc", "u64", T0, big, Quality.GOOD),
            s("plc", "lost", T0, null, Quality.COMM_FAILURE)),
        List.of());
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT se.tag, se.kind, se.unit, sa.value, sa.text_value, sa.quality,"
                    + " (extract(epoch FROM sa.ts) * 1000)::bigint"
                    + " FROM sample sa JOIN series se ON se.id = sa.series_id ORDER BY se.tag")) {
      List<String> rows = new ArrayList<>();
      while (rs.next()) {
        double v = rs.getDouble(4);
        String value = rs.wasNull() ? "null" : Double.toString(v);
        rows.add(
            rs.getString(1)
                + "|"
                + rs.getString(2)
                + "|"
                + rs.getString(3)
                + "|"
                + value
                + "|"
                + rs.getString(5)
                + "|"
                + rs.getShort(6)
                + "|"
                + (rs.getLong(7) == T0));
      }
      assertThat(rows)
          .containsExactly(
              "count|number|null|" + (double) ((1L << 60) + 1) + "|1152921504606846977|0|true",
              "lost|null|null|null|null|3|true",
              "name|string|null|null|line, \"A\"|0|true",
              "run|boolean|null|1.0|null|0|true",
              "temp|number|degC|21.25|null|0|true",
              "u64|number|null|" + big.doubleValue() + "|18446744073709551615|0|true");
    }
  }

  @Test
  void alarmEventsAreIdempotentOnAlarmTimeAndTransition() throws SQLException {
    AlarmEvent raised =
        new AlarmEvent(
            1,
            "tank-high",
            AlarmEvent.Transition.RAISED,
            Severity.CRITICAL,
            93.5,
            T0,
            "tank level high",
            Map.of("limit", 90));
    StoreWriter.Written w = writer.write(List.of(), List.of(raised, raised));
    StoreWriter.Written again = writer.write(List.of(), List.of(raised));
    assertThat(w.alarmsInserted()).isEqualTo(1);
    assertThat(again.alarmsInserted()).isZero();
    assertThat(scalar(ds, "SELECT count(*) FROM alarm_event WHERE detail->>'limit' = '90'"))
        .isEqualTo(1);
  }

  @Test
  void aFailedFlushCachesNothingAndTheRetryRecreatesItsSeriesAndPartitions() throws SQLException {
    // A string with a NUL character is refused by PostgreSQL after the series row was inserted
    // in the same transaction: the rollback takes the series away again.
    List<StoredSample> bad =
        List.of(
            s("plc", "fresh", T0, 1.0, Quality.GOOD),
            s("plc", "bad", T0, "nul\u0000here", Quality.GOOD));
    assertThatThrownBy(() -> writer.write(bad, List.of()))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("0x00");
    assertThat(series.cached(new SeriesKey("plc", "fresh"))).isNull();
    assertThat(scalar(ds, "SELECT count(*) FROM series")).isZero();
    writer.write(List.of(s("plc", "fresh", T0, 1.0, Quality.GOOD)), List.of());
    assertThat(scalar(ds, "SELECT count(*) FROM sample")).isEqualTo(1);
    assertThat(series.cached(new SeriesKey("plc", "fresh"))).isNotNull();
  }

  @Test
  void aPartitionDroppedBehindTheWritersBackIsRecreatedOnRetry() throws SQLException {
    writer.write(List.of(s("plc", "temp", T0, 1.0, Quality.GOOD)), List.of());
    exec(ds, "DROP TABLE sample_d20261125");
    assertThatThrownBy(
            () -> writer.write(List.of(s("plc", "temp", T0 + 1, 2.0, Quality.GOOD)), List.of()))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("no partition");
    writer.write(List.of(s("plc", "temp", T0 + 1, 2.0, Quality.GOOD)), List.of());
    assertThat(scalar(ds, "SELECT count(*) FROM sample")).isEqualTo(1);
  }
}
