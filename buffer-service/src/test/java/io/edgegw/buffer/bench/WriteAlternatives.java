package io.edgegw.buffer.bench;

import io.edgegw.buffer.bench.WriterBench.Rows;
import io.edgegw.buffer.bench.WriterBench.WritePath;
import io.edgegw.buffer.store.DayPartitions;
import io.edgegw.buffer.store.SeriesKey;
import io.edgegw.buffer.store.SeriesRegistry;
import io.edgegw.buffer.store.StoredSample;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.postgresql.PGConnection;

/**
 * Write paths the service does not use, measured next to {@code StoreWriter} to see where the time
 * goes and whether a faster correct path exists. Each does what {@code StoreWriter} does per flush
 * (one transaction, {@code nextval('ingest_seq')}, series ids through {@link SeriesRegistry},
 * partitions through {@link DayPartitions}) and differs only in how the samples reach the table.
 * Nothing here changes the service.
 */
final class WriteAlternatives {
  private WriteAlternatives() {}

  /** 2000-01-01T00:00:00Z, the epoch of PostgreSQL's binary timestamps, in epoch milliseconds. */
  private static final long PG_EPOCH_MS = 946_684_800_000L;

  private static final Map<String, String> WHAT =
      Map.of(
          "copy_staging",
          "binary COPY into a temporary table (ON COMMIT DELETE ROWS), then INSERT INTO sample"
              + " SELECT ... ON CONFLICT DO NOTHING",
          "unnest_optimistic",
          "StoreWriter's unnest statement without ON CONFLICT inside a savepoint; on a unique"
              + " violation (a redelivered row) roll back to the savepoint and run StoreWriter's"
              + " statement with ON CONFLICT DO NOTHING",
          "copy_optimistic",
          "binary COPY straight into sample inside a savepoint; on a unique violation roll back"
              + " to the savepoint and run StoreWriter's statement with ON CONFLICT DO NOTHING",
          "store_writer_2_connections",
          "StoreWriter unchanged, called from two threads at once (flushes dealt alternately),"
              + " i.e. two ingest writer threads; series and partitions exist beforehand",
          "copy_optimistic_2_connections",
          "copy_optimistic from two threads at once; series and partitions exist beforehand");

  static Map<String, WritePath> all() {
    Map<String, WritePath> paths = new LinkedHashMap<>();
    paths.put("copy_staging", new PerFlush(WriteAlternatives::copyStaging));
    paths.put(
        "unnest_optimistic",
        new PerFlush((c, seq, flush, ids) ->
            optimistic(
                c,
                () -> unnest(c, seq, flush, ids, false),
                () -> unnest(c, seq, flush, ids, true))));
    WritePath copyOptimistic =
        new PerFlush((c, seq, flush, ids) ->
            optimistic(
                c, () -> copyDirect(c, seq, flush, ids), () -> unnest(c, seq, flush, ids, true)));
    paths.put("copy_optimistic", copyOptimistic);
    paths.put("store_writer_2_connections", new Parallel(2, WriterBench::storeWriter));
    paths.put("copy_optimistic_2_connections", new Parallel(2, copyOptimistic));
    return paths;
  }

  static String describe(String name) {
    return WHAT.get(name);
  }

  /** Inserts one flush's samples inside the flush's transaction; returns rows inserted. */
  @FunctionalInterface
  interface SampleInsert {
    long insert(Connection c, long seq, List<StoredSample> flush, Map<SeriesKey, Integer> ids)
        throws SQLException;
  }

  /**
   * Another path run from {@code threads} threads at once, each with every n-th flush. Series and
   * partitions are created before the timed run, so the threads do not race to create them.
   */
  static final class Parallel implements WritePath {
    private final int threads;
    private final WritePath inner;

    Parallel(int threads, WritePath inner) {
      this.threads = threads;
      this.inner = inner;
    }

    @Override
    public void prepare(BenchDatabase db, Rows rows) throws SQLException {
      WriterBench.seriesAndPartitions(db, rows);
    }

    @Override
    public long write(BenchDatabase db, Rows rows) throws SQLException {
      List<Future<Long>> parts = new ArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        for (int t = 0; t < threads; t++) {
          List<List<StoredSample>> mine = new ArrayList<>();
          for (int i = t; i < rows.flushes().size(); i += threads) {
            mine.add(rows.flushes().get(i));
          }
          Rows part = new Rows(mine, rows.series(), rows.days());
          parts.add(pool.submit(() -> inner.write(db, part)));
        }
        long inserted = 0;
        for (Future<Long> f : parts) {
          inserted += f.get();
        }
        return inserted;
      } catch (ExecutionException e) {
        if (e.getCause() instanceof SQLException sql) {
          throw sql;
        }
        throw new IllegalStateException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** A statement that inserts and returns the rows inserted. */
  @FunctionalInterface
  interface Insert {
    long run() throws SQLException;
  }

  /**
   * The fast insert in a savepoint; when it hits a row that is already stored (unique violation, a
   * redelivery), the same rows again with ON CONFLICT DO NOTHING. Duplicates only come with
   * redeliveries, so the common flush pays for neither the conflict checks nor a retry.
   */
  static long optimistic(Connection c, Insert fast, Insert safe) throws SQLException {
    Savepoint savepoint = c.setSavepoint();
    try {
      long n = fast.run();
      c.releaseSavepoint(savepoint);
      return n;
    } catch (SQLException e) {
      if (!"23505".equals(e.getSQLState())) {
        throw e;
      }
      c.rollback(savepoint);
      return safe.run();
    }
  }

  /** The per-flush transaction of StoreWriter around a different sample insert. */
  static final class PerFlush implements WritePath {
    private final SampleInsert insert;

    PerFlush(SampleInsert insert) {
      this.insert = insert;
    }

    @Override
    public long write(BenchDatabase db, Rows rows) throws SQLException {
      SeriesRegistry series = new SeriesRegistry(k -> null);
      DayPartitions partitions = new DayPartitions();
      long inserted = 0;
      for (List<StoredSample> flush : rows.flushes()) {
        try (Connection c = db.pool().getConnection()) {
          c.setAutoCommit(false);
          long seq;
          try (Statement s = c.createStatement();
              ResultSet rs = s.executeQuery("SELECT nextval('ingest_seq')")) {
            rs.next();
            seq = rs.getLong(1);
          }
          Map<SeriesKey, String> kinds = new LinkedHashMap<>();
          Set<LocalDate> days = new HashSet<>();
          for (StoredSample s : flush) {
            kinds.putIfAbsent(s.series(), s.kind());
            days.add(DayPartitions.dayOf(s.t()));
          }
          Map<SeriesKey, Integer> ids = series.resolve(c, kinds);
          List<LocalDate> made = partitions.ensure(c, days);
          inserted += insert.insert(c, seq, flush, ids);
          c.commit();
          series.remember(ids);
          partitions.remember(made);
        }
      }
      return inserted;
    }
  }

  private static long copyStaging(
      Connection c, long seq, List<StoredSample> flush, Map<SeriesKey, Integer> ids)
      throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(
          "CREATE TEMP TABLE IF NOT EXISTS sample_stage (ts timestamptz, series_id int4,"
              + " value float8, text_value text, quality int2) ON COMMIT DELETE ROWS");
      copy(c, "COPY sample_stage FROM STDIN (FORMAT binary)", flush, ids, -1);
      return s.executeUpdate(
          "INSERT INTO sample (ts, series_id, value, text_value, quality, ingest_seq)"
              + " SELECT ts, series_id, value, text_value, quality, "
              + seq
              + " FROM sample_stage ON CONFLICT DO NOTHING");
    }
  }

  private static long copyDirect(
      Connection c, long seq, List<StoredSample> flush, Map<SeriesKey, Integer> ids)
      throws SQLException {
    return copy(
        c,
        "COPY sample (ts, series_id, value, text_value, quality, ingest_seq)"
            + " FROM STDIN (FORMAT binary)",
        flush,
        ids,
        seq);
  }

  private static long unnest(
      Connection c,
      long seq,
      List<StoredSample> flush,
      Map<SeriesKey, Integer> ids,
      boolean onConflictDoNothing)
      throws SQLException {
    int n = flush.size();
    Long[] t = new Long[n];
    Integer[] s = new Integer[n];
    Double[] v = new Double[n];
    String[] x = new String[n];
    Short[] q = new Short[n];
    for (int i = 0; i < n; i++) {
      StoredSample row = flush.get(i);
      t[i] = row.t();
      s[i] = ids.get(row.series());
      v[i] = row.value();
      x[i] = row.text();
      q[i] = row.quality();
    }
    try (var ps =
        c.prepareStatement(
            "INSERT INTO sample (ts, series_id, value, text_value, quality, ingest_seq)"
                + " SELECT timestamptz 'epoch' + u.t * interval '1 millisecond', u.s, u.v, u.x,"
                + " u.q, ? FROM unnest(?::int8[], ?::int4[], ?::float8[], ?::text[], ?::int2[])"
                + " AS u(t, s, v, x, q)"
                + (onConflictDoNothing ? " ON CONFLICT DO NOTHING" : ""))) {
      ps.setLong(1, seq);
      ps.setArray(2, c.createArrayOf("int8", t));
      ps.setArray(3, c.createArrayOf("int4", s));
      ps.setArray(4, c.createArrayOf("float8", v));
      ps.setArray(5, c.createArrayOf("text", x));
      ps.setArray(6, c.createArrayOf("int2", q));
      return ps.executeUpdate();
    }
  }

  /**
   * Sends the rows in PostgreSQL's binary COPY format: ts, series_id, value, text_value, quality
   * and, when {@code seq >= 0}, ingest_seq. Returns the rows copied.
   */
  private static long copy(
      Connection c, String sql, List<StoredSample> flush, Map<SeriesKey, Integer> ids, long seq)
      throws SQLException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(flush.size() * 48 + 32);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeBytes("PGCOPY\n");
      out.write(new byte[] {(byte) 0xff, '\r', '\n', 0});
      out.writeInt(0); // flags
      out.writeInt(0); // header extension length
      short fields = (short) (seq >= 0 ? 6 : 5);
      for (StoredSample s : flush) {
        out.writeShort(fields);
        out.writeInt(8);
        out.writeLong((s.t() - PG_EPOCH_MS) * 1000); // microseconds since 2000-01-01 UTC
        out.writeInt(4);
        out.writeInt(ids.get(s.series()));
        if (s.value() == null) {
          out.writeInt(-1);
        } else {
          out.writeInt(8);
          out.writeDouble(s.value());
        }
        if (s.text() == null) {
          out.writeInt(-1);
        } else {
          byte[] text = s.text().getBytes(StandardCharsets.UTF_8);
          out.writeInt(text.length);
          out.write(text);
        }
        out.writeInt(2);
        out.writeShort(s.quality());
        if (seq >= 0) {
          out.writeInt(8);
          out.writeLong(seq);
        }
      }
      out.writeShort(-1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      return c.unwrap(PGConnection.class)
          .getCopyAPI()
          .copyIn(sql, new ByteArrayInputStream(bytes.toByteArray()));
    } catch (IOException e) {
      throw new SQLException("COPY failed: " + e.getMessage(), e);
    }
  }
}
