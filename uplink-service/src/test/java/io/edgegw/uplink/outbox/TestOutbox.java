package io.edgegw.uplink.outbox;

import io.edgegw.testsupport.PostgresServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A fresh edge store for outbox tests: one database per call, migrated by buffer-service's own
 * Flyway script (the only source of the schema), with rows written the way its StoreWriter does:
 * one transaction, one {@code nextval('ingest_seq')} for every row of it.
 */
public final class TestOutbox {
  private static final AtomicInteger COUNTER = new AtomicInteger();

  /** One sample row to commit. */
  public record Row(String device, String tag, long t, double value) {}

  /** One alarm event row to commit. */
  public record Alarm(String alarmId, long t, String transition) {}

  private TestOutbox() {}

  public static DataSource create(PostgresServer pg) throws SQLException {
    String name = "u" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(pg.jdbcUrl(name));
    ds.setUser(pg.username());
    ds.setPassword(pg.password());
    Flyway.configure()
        .dataSource(ds)
        .locations("filesystem:../buffer-service/src/main/resources/db/migration")
        .load()
        .migrate();
    // buffer-service creates day partitions as it writes; one catch-all partition does here.
    exec(ds, "CREATE TABLE sample_default PARTITION OF sample DEFAULT");
    return ds;
  }

  /** Writes one commit; returns its ingest_seq. */
  public static long commit(DataSource ds, List<Row> rows, List<Alarm> alarms) throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      long seq;
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT nextval('ingest_seq')")) {
        rs.next();
        seq = rs.getLong(1);
      }
      try (PreparedStatement series =
              c.prepareStatement(
                  "INSERT INTO series (device, tag, kind) VALUES (?, ?, 'number')"
                      + " ON CONFLICT (device, tag) DO NOTHING");
          PreparedStatement sample =
              c.prepareStatement(
                  "INSERT INTO sample (ts, series_id, value, quality, ingest_seq)"
                      + " SELECT ?, id, ?, 0, ? FROM series WHERE device = ? AND tag = ?")) {
        for (Row r : rows) {
          series.setString(1, r.device());
          series.setString(2, r.tag());
          series.executeUpdate();
          sample.setTimestamp(1, Timestamp.from(Instant.ofEpochMilli(r.t())));
          sample.setDouble(2, r.value());
          sample.setLong(3, seq);
          sample.setString(4, r.device());
          sample.setString(5, r.tag());
          sample.executeUpdate();
        }
      }
      try (PreparedStatement alarm =
          c.prepareStatement(
              "INSERT INTO alarm_event (ts, alarm_id, transition, severity, value, message,"
                  + " detail, ingest_seq) VALUES (?, ?, ?, 'HIGH', 1.5, 'hot', '{\"k\":1}', ?)")) {
        for (Alarm a : alarms) {
          alarm.setTimestamp(1, Timestamp.from(Instant.ofEpochMilli(a.t())));
          alarm.setString(2, a.alarmId());
          alarm.setString(3, a.transition());
          alarm.setLong(4, seq);
          alarm.executeUpdate();
        }
      }
      c.commit();
      return seq;
    }
  }

  public static void exec(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  public static long scalar(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
