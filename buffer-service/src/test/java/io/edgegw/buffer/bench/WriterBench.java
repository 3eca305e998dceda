package io.edgegw.buffer.bench;

import io.edgegw.buffer.store.DayPartitions;
import io.edgegw.buffer.store.SeriesKey;
import io.edgegw.buffer.store.SeriesRegistry;
import io.edgegw.buffer.store.StoreMode;
import io.edgegw.buffer.store.StoreWriter;
import io.edgegw.buffer.store.StoredSample;
import io.edgegw.buffer.store.TestStore;
import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.bench.Machine;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The write path alone: the same rows, in the same flushes, written to a fresh database by {@link
 * StoreWriter} and by a plain JDBC batch insert, alternately, on the same server. Each flush is one
 * committed transaction in both, so both pay the same commits.
 *
 * <p>Optionally also candidates that the service does not use, to see where a faster correct path
 * lies ({@link WriteAlternatives}). They are reported apart and change nothing in the service.
 */
final class WriterBench {

  /**
   * @param samples rows per run
   * @param series distinct series the rows are spread over (1 Hz each)
   * @param flushRows rows per flush (the service's buffer.ingest.batch-rows is 5000)
   * @param runs measured runs of each path, alternating
   * @param alternatives also measure the candidates of {@link WriteAlternatives}
   */
  record Settings(int samples, int series, int flushRows, int runs, boolean alternatives) {
    Settings {
      if (samples < flushRows || series < 1 || flushRows < 1 || runs < 1) {
        throw new IllegalArgumentException(
            "writer settings: need samples >= flush rows >= 1, series >= 1 and runs >= 1");
      }
    }
  }

  /** The rows of a run, already cut into flushes, and the days they fall on. */
  record Rows(List<List<StoredSample>> flushes, List<SeriesKey> series, TreeSet<LocalDate> days) {
    int count() {
      return flushes.stream().mapToInt(List::size).sum();
    }

    Rows first(int n) {
      return new Rows(flushes.subList(0, Math.min(n, flushes.size())), series, days);
    }
  }

  /** One way of writing a run of flushes. */
  interface WritePath {
    /** Untimed setup in the fresh database (e.g. series rows and partitions). */
    default void prepare(BenchDatabase db, Rows rows) throws SQLException {}

    /** Writes every flush, each in its own committed transaction; returns rows inserted. */
    long write(BenchDatabase db, Rows rows) throws SQLException;

    /** Whether writing the same rows again adds nothing and fails nothing (checked per run). */
    default boolean idempotent() {
      return true;
    }
  }

  /** One measured run: samples per second, and the cores the harness and the machine used. */
  record Run(double rate, double clientCores, double machineCores) {}

  private final PostgresServer pg;
  private final Settings settings;

  WriterBench(PostgresServer pg, Settings settings) {
    this.pg = pg;
    this.settings = settings;
  }

  Map<String, Object> run() throws SQLException {
    Rows rows = rows();
    Map<String, WritePath> paths = new LinkedHashMap<>();
    paths.put("store_writer", WriterBench::storeWriter);
    paths.put("jdbc_batch", new JdbcBatch());
    Map<String, WritePath> alternatives = new LinkedHashMap<>();
    if (settings.alternatives()) {
      alternatives.putAll(WriteAlternatives.all());
    }
    Map<String, WritePath> all = new LinkedHashMap<>(paths);
    all.putAll(alternatives);

    // Warm-up of every path on a short run: JIT, server-side prepared statements, page cache.
    for (Map.Entry<String, WritePath> p : all.entrySet()) {
      measure(p.getValue(), rows.first(Math.max(1, 100_000 / settings.flushRows())));
    }
    Map<String, List<Run>> runs = new LinkedHashMap<>();
    for (int run = 0; run < settings.runs(); run++) {
      for (Map.Entry<String, WritePath> p : all.entrySet()) {
        Run r = measure(p.getValue(), rows);
        runs.computeIfAbsent(p.getKey(), k -> new ArrayList<>()).add(r);
        System.out.printf(
            "writer: %-30s %,10.0f samples/s  harness %.2f cores, machine %.2f cores%n",
            p.getKey(), r.rate(), r.clientCores(), r.machineCores());
      }
    }

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("samples", rows.count());
    out.put("series", settings.series());
    out.put("flush_rows", settings.flushRows());
    out.put("runs", settings.runs());
    out.put("statistic", "median of the runs (each run a fresh database, paths alternating)");
    out.put(
        "jdbc_batch_statement",
        JdbcBatch.SQL + " with addBatch/executeBatch per flush, reWriteBatchedInserts=true");
    out.put(
        "store_writer_statement", "INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING");
    Map<String, Object> perRun = new LinkedHashMap<>();
    Map<String, Object> cores = new LinkedHashMap<>();
    Map<String, Double> medians = new LinkedHashMap<>();
    for (Map.Entry<String, List<Run>> r : runs.entrySet()) {
      perRun.put(r.getKey(), r.getValue().stream().map(x -> Math.round(x.rate())).toList());
      medians.put(r.getKey(), median(r.getValue().stream().map(Run::rate).toList()));
      cores.put(
          r.getKey(),
          Map.of(
              "harness",
              round2(median(r.getValue().stream().map(Run::clientCores).toList())),
              "machine",
              round2(median(r.getValue().stream().map(Run::machineCores).toList()))));
    }
    out.put("samples_per_s_runs", perRun);
    out.put("busy_cores_median", cores);
    double writer = medians.get("store_writer");
    double jdbc = medians.get("jdbc_batch");
    out.put("writer_samples_per_s", Math.round(writer));
    out.put("jdbc_batch_samples_per_s", Math.round(jdbc));
    out.put("writer_vs_jdbc_batch", Math.round(writer / jdbc * 100) / 100.0);
    if (!alternatives.isEmpty()) {
      Map<String, Object> alt = new LinkedHashMap<>();
      for (String name : alternatives.keySet()) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("what", WriteAlternatives.describe(name));
        a.put("samples_per_s", Math.round(medians.get(name)));
        a.put("vs_store_writer", Math.round(medians.get(name) / writer * 100) / 100.0);
        alt.put(name, a);
      }
      out.put("alternatives", alt);
    }
    return out;
  }

  /** One run on a fresh database; checks the row count and, if idempotent, a redelivery. */
  private Run measure(WritePath path, Rows rows) throws SQLException {
    try (BenchDatabase db = BenchDatabase.create(pg, 4)) {
      path.prepare(db, rows);
      // Start each run from a clean checkpoint, so that no run pays for another's dirty pages.
      BenchDatabase.admin(pg, db.name(), "CHECKPOINT");
      double cpu0 = Machine.cpuSeconds(ProcessHandle.current());
      long[] machine0 = Machine.cpuJiffies();
      long start = System.nanoTime();
      long inserted = path.write(db, rows);
      double seconds = (System.nanoTime() - start) / 1e9;
      double cpu1 = Machine.cpuSeconds(ProcessHandle.current());
      long[] machine1 = Machine.cpuJiffies();
      long stored = TestStore.scalar(db.pool(), "SELECT count(*) FROM sample");
      if (inserted != rows.count() || stored != rows.count()) {
        throw new IllegalStateException(
            "expected " + rows.count() + " rows, inserted " + inserted + ", stored " + stored);
      }
      if (path.idempotent()) {
        long again = path.write(db, rows.first(1));
        long after = TestStore.scalar(db.pool(), "SELECT count(*) FROM sample");
        if (again != 0 || after != stored) {
          throw new IllegalStateException(
              "a redelivered flush inserted " + again + " rows; " + after + " stored");
        }
      }
      return new Run(
          rows.count() / seconds, (cpu1 - cpu0) / seconds, Machine.busyCores(machine0, machine1));
    }
  }

  /** {@code samples} rows over {@code series} series at 1 Hz, in time order, cut into flushes. */
  private Rows rows() {
    List<SeriesKey> keys = new ArrayList<>();
    for (int i = 0; i < settings.series(); i++) {
      keys.add(new SeriesKey("plc" + (i / 10), "reg" + (i % 10)));
    }
    long base =
        LocalDate.now(ZoneOffset.UTC).minusDays(2).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
    List<List<StoredSample>> flushes = new ArrayList<>();
    List<StoredSample> flush = new ArrayList<>(settings.flushRows());
    TreeSet<LocalDate> days = new TreeSet<>();
    for (int i = 0; i < settings.samples(); i++) {
      long step = i / settings.series();
      long t = (base + step) * 1000;
      SeriesKey key = keys.get(i % settings.series());
      flush.add(new StoredSample(key, "number", t, 20 + (step % 600) / 10.0, null, (short) 0));
      days.add(DayPartitions.dayOf(t));
      if (flush.size() == settings.flushRows()) {
        flushes.add(flush);
        flush = new ArrayList<>(settings.flushRows());
      }
    }
    if (!flush.isEmpty()) {
      flushes.add(flush);
    }
    return new Rows(flushes, keys, days);
  }

  static long storeWriter(BenchDatabase db, Rows rows) throws SQLException {
    StoreWriter writer =
        new StoreWriter(
            db.pool(), StoreMode.PLAIN, new SeriesRegistry(k -> null), new DayPartitions());
    long inserted = 0;
    for (List<StoredSample> flush : rows.flushes()) {
      inserted += writer.write(flush, List.of()).samplesInserted();
    }
    return inserted;
  }

  /** Series rows and day partitions made before the timed run, for paths that need them. */
  static Map<SeriesKey, Integer> seriesAndPartitions(BenchDatabase db, Rows rows)
      throws SQLException {
    try (Connection c = db.pool().getConnection()) {
      c.setAutoCommit(false);
      Map<SeriesKey, String> kinds = new LinkedHashMap<>();
      rows.series().forEach(k -> kinds.put(k, "number"));
      Map<SeriesKey, Integer> ids = new SeriesRegistry(k -> null).resolve(c, kinds);
      new DayPartitions().ensure(c, rows.days());
      c.commit();
      return ids;
    }
  }

  /** A plain {@code INSERT ... VALUES} per row, batched with reWriteBatchedInserts. */
  static final class JdbcBatch implements WritePath {
    static final String SQL = "INSERT INTO sample VALUES (?, ?, ?, ?, ?, ?)";
    private Map<SeriesKey, Integer> ids = new HashMap<>();

    @Override
    public void prepare(BenchDatabase db, Rows rows) throws SQLException {
      ids = seriesAndPartitions(db, rows);
    }

    @Override
    public boolean idempotent() {
      return false; // a redelivered row fails the whole batch
    }

    @Override
    public long write(BenchDatabase db, Rows rows) throws SQLException {
      long inserted = 0;
      long seq = 0;
      for (List<StoredSample> flush : rows.flushes()) {
        seq++;
        try (Connection c = db.pool().getConnection()) {
          c.setAutoCommit(false);
          try (PreparedStatement ps = c.prepareStatement(SQL)) {
            for (StoredSample s : flush) {
              ps.setTimestamp(1, new Timestamp(s.t()));
              ps.setInt(2, ids.get(s.series()));
              if (s.value() == null) {
                ps.setNull(3, Types.DOUBLE);
              } else {
                ps.setDouble(3, s.value());
              }
              ps.setString(4, s.text());
              ps.setShort(5, s.quality());
              ps.setLong(6, seq);
              ps.addBatch();
            }
            for (int n : ps.executeBatch()) {
              // With reWriteBatchedInserts the driver reports SUCCESS_NO_INFO (-2) per row.
              inserted += n == Statement.SUCCESS_NO_INFO ? 1 : n;
            }
          }
          c.commit();
        }
      }
      return inserted;
    }
  }

  private static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
