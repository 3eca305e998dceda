package io.edgegw.buffer.bench;

import io.edgegw.buffer.store.DayPartitions;
import io.edgegw.buffer.store.TestStore;
import io.edgegw.testsupport.FreePorts;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.bench.Machine;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The query API on a full store: {@code days} x 1 Hz x {@code series} rows loaded with SQL into the
 * day partitions (ending at today's UTC midnight, so retention keeps them all), vacuumed and
 * analysed as autovacuum would leave them; then the packaged service on that database answers, in
 * turn, a 1-minute-bucket aggregate of one series over all days, a 24 h raw CSV export of every
 * series, and a 24 h raw CSV export of one series. Each is timed from request to the last byte of
 * the body, after warm-ups, and its row count is checked.
 */
final class QueryBench {

  /**
   * @param days days of data (the service's retention is 30 d)
   * @param series series, 1 Hz each
   * @param warmups untimed requests before the timed ones
   * @param reps timed requests per query
   */
  record Settings(int days, int series, int warmups, int reps) {}

  private final PostgresServer pg;
  private final BufferBench.Settings bench;
  private final Settings settings;

  QueryBench(PostgresServer pg, BufferBench.Settings bench, Settings settings) {
    this.pg = pg;
    this.bench = bench;
    this.settings = settings;
  }

  Map<String, Object> run() throws Exception {
    PGSimpleDataSource ds = (PGSimpleDataSource) TestStore.create(pg);
    String db = ds.getDatabaseName();
    Map<String, Object> out = new LinkedHashMap<>();
    Instant end = LocalDate.now(ZoneOffset.UTC).atStartOfDay(ZoneOffset.UTC).toInstant();
    try {
      out.put("days", settings.days());
      out.put("series", settings.series());
      List<Integer> ids = load(ds, end, out);
      try (MosquittoBroker broker = MosquittoBroker.builder().withUser("buffer").start()) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("quarkus.datasource.jdbc.url", pg.jdbcUrl(db));
        props.put("quarkus.datasource.username", pg.username());
        props.put("buffer.bus.port", String.valueOf(broker.port()));
        props.put(
            "buffer.devices-file",
            bench.work().resolve("no-devices.yaml").toAbsolutePath().toString());
        Map<String, String> secrets =
            Map.of(
                "quarkus.datasource.password", pg.password(),
                "buffer.bus.password", broker.password("buffer"));
        try (ServiceProcess service =
            ServiceProcess.start(
                "service-query",
                bench.work(),
                bench.appJar(),
                bench.jvmOptions(),
                FreePorts.loopback(),
                props,
                secrets)) {
          service.awaitReady(Duration.ofMinutes(2));
          Instant from = end.minus(Duration.ofDays(settings.days()));
          Instant dayBefore = end.minus(Duration.ofDays(1));
          StringJoiner all = new StringJoiner(",");
          ids.forEach(id -> all.add(String.valueOf(id)));
          Map<String, Object> bucket =
              time(
                  service,
                  "/api/v1/series/"
                      + ids.getFirst()
                      + "/aggregates?from="
                      + from
                      + "&to="
                      + end
                      + "&bucket=1m",
                  '{',
                  0,
                  (long) settings.days() * 1440);
          bucket.put("what", settings.days() + " d of one series in 1-minute buckets, JSON");
          Map<String, Object> export =
              time(
                  service,
                  "/api/v1/export?series="
                      + all
                      + "&from="
                      + dayBefore
                      + "&to="
                      + end
                      + "&format=csv",
                  '\n',
                  1,
                  86_400L * settings.series());
          export.put("what", "24 h raw samples of all " + settings.series() + " series, CSV");
          Map<String, Object> one =
              time(
                  service,
                  "/api/v1/export?series="
                      + ids.getFirst()
                      + "&from="
                      + dayBefore
                      + "&to="
                      + end
                      + "&format=csv",
                  '\n',
                  1,
                  86_400L);
          one.put("what", "24 h raw samples of one series, CSV");
          // The database's share: the API's own statements over JDBC, every row fetched.
          bucket.put(
              "sql_only_p50_ms",
              sqlOnly(
                  ds,
                  "SELECT date_bin(60000 * interval '1 millisecond', ts, timestamptz 'epoch') AS b,"
                      + " min(value), max(value), avg(value),"
                      + " (array_agg(value ORDER BY ts DESC))[1], count(*)"
                      + " FROM sample WHERE series_id = ? AND ts >= ? AND ts < ?"
                      + " AND quality = 0 AND value IS NOT NULL GROUP BY b ORDER BY b",
                  ids.subList(0, 1),
                  from,
                  end));
          export.put(
              "sql_only_p50_ms",
              sqlOnly(
                  ds,
                  "SELECT ts, value, text_value, quality FROM sample"
                      + " WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts",
                  ids,
                  dayBefore,
                  end));
          out.put("aggregates_1m", bucket);
          out.put("export_24h_all_series", export);
          out.put("export_24h_one_series", one);
          out.put("query_bucket_30d_p50_ms", bucket.get("p50_ms"));
          out.put("query_bucket_30d_p99_ms", bucket.get("p99_ms"));
          out.put("export_24h_p50_ms", export.get("p50_ms"));
          out.put("export_24h_p99_ms", export.get("p99_ms"));
          out.put(
              "percentiles",
              "nearest rank over "
                  + settings.reps()
                  + " timed requests after "
                  + settings.warmups()
                  + " warm-ups; with 20 requests p99 is the slowest one");
          out.put(
              "service_rss_mb", Math.round(Machine.rssKb(service.handle().pid()) / 102.4) / 10.0);
        }
      }
    } finally {
      BenchDatabase.admin(pg, "postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    }
    return out;
  }

  /** Loads the rows day by day on two connections; returns the series ids. */
  private List<Integer> load(DataSource ds, Instant end, Map<String, Object> out) throws Exception {
    List<Integer> ids = new ArrayList<>();
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      for (int i = 1; i <= settings.series(); i++) {
        try (ResultSet rs =
            s.executeQuery(
                "INSERT INTO series (device, tag, unit, kind) VALUES ('meter"
                    + i
                    + "', 'power', 'kW', 'number') RETURNING id")) {
          rs.next();
          ids.add(rs.getInt(1));
        }
      }
    }
    long start = System.nanoTime();
    LocalDate last = LocalDate.ofInstant(end, ZoneOffset.UTC).minusDays(1);
    ExecutorService loaders = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> days = new ArrayList<>();
      for (int d = 0; d < settings.days(); d++) {
        LocalDate day = last.minusDays(d);
        long seq = settings.days() - d;
        days.add(loaders.submit(() -> loadDay(ds, day, seq)));
      }
      for (Future<?> f : days) {
        f.get();
      }
    } finally {
      loaders.shutdownNow();
    }
    out.put("load_s", seconds(start));
    start = System.nanoTime();
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute("SELECT setval('ingest_seq', " + settings.days() + ")");
      // What autovacuum would have done by the time anyone queries: hint bits, visibility map,
      // statistics. Then a checkpoint, so no timed request competes with the load's writes.
      s.execute("VACUUM (ANALYZE) sample");
      s.execute("CHECKPOINT");
    }
    out.put("vacuum_analyze_s", seconds(start));
    out.put("rows_loaded", TestStore.scalar(ds, "SELECT count(*) FROM sample"));
    out.put(
        "store_mb",
        TestStore.scalar(
                ds, "SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('sample')")
            / (1024 * 1024));
    return ids;
  }

  private static Void loadDay(DataSource ds, LocalDate day, long seq) throws SQLException {
    String table = DayPartitions.nameOf(day);
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE "
              + table
              + " PARTITION OF sample FOR VALUES FROM ('"
              + day
              + " 00:00:00+00') TO ('"
              + day.plusDays(1)
              + " 00:00:00+00')");
      s.execute(
          "INSERT INTO "
              + table
              + " (ts, series_id, value, text_value, quality, ingest_seq)"
              + " SELECT timestamptz '"
              + day
              + " 00:00:00+00' + g * interval '1 second', s.id,"
              + " 50 + 20 * sin((g + s.id * 600) / 3600.0), NULL, 0, "
              + seq
              + " FROM series s, generate_series(0, 86399) g");
    }
    return null;
  }

  /**
   * Times a GET from sending to the last byte of the body; checks the status and the row count
   * (occurrences of {@code rowMark} minus {@code headerMarks}).
   */
  private Map<String, Object> time(
      ServiceProcess service, String pathAndQuery, char rowMark, int headerMarks, long rows)
      throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(service.uri(pathAndQuery))
            .timeout(Duration.ofMinutes(5))
            .header("Authorization", "Bearer " + service.token())
            .GET()
            .build();
    List<Double> times = new ArrayList<>();
    long bytes = 0;
    byte[] buffer = new byte[64 * 1024];
    for (int i = 0; i < settings.warmups() + settings.reps(); i++) {
      long start = System.nanoTime();
      HttpResponse<InputStream> r =
          service.http().send(request, HttpResponse.BodyHandlers.ofInputStream());
      long size = 0;
      long marks = 0;
      try (InputStream body = r.body()) {
        int n;
        while ((n = body.read(buffer)) > 0) {
          size += n;
          for (int k = 0; k < n; k++) {
            if (buffer[k] == rowMark) {
              marks++;
            }
          }
        }
      }
      double ms = (System.nanoTime() - start) / 1e6;
      if (r.statusCode() != 200 || marks - headerMarks != rows) {
        throw new IllegalStateException(
            pathAndQuery
                + " answered "
                + r.statusCode()
                + " with "
                + (marks - headerMarks)
                + " rows, expected 200 with "
                + rows);
      }
      bytes = size;
      if (i >= settings.warmups()) {
        times.add(ms);
      }
    }
    List<Double> sorted = times.stream().sorted().toList();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("request", "GET " + pathAndQuery);
    out.put("rows", rows);
    out.put("bytes", bytes);
    out.put("p50_ms", round1(rank(sorted, 0.5)));
    out.put("p99_ms", round1(rank(sorted, 0.99)));
    out.put("min_ms", round1(sorted.getFirst()));
    out.put("max_ms", round1(sorted.getLast()));
    out.put("times_ms", times.stream().map(QueryBench::round1).toList());
    return out;
  }

  /**
   * Median of 5 runs of {@code sql} for each series in turn (as the API runs it: read-only
   * transaction without JIT, cursor of 5000 rows), reading every column of every row.
   */
  private static double sqlOnly(
      DataSource ds, String sql, List<Integer> series, Instant from, Instant to)
      throws SQLException {
    List<Double> times = new ArrayList<>();
    for (int run = 0; run < 5; run++) {
      long start = System.nanoTime();
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        c.setReadOnly(true);
        try (Statement s = c.createStatement()) {
          s.execute("SET LOCAL jit = off");
        }
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          ps.setFetchSize(5000);
          for (int id : series) {
            ps.setInt(1, id);
            ps.setTimestamp(2, Timestamp.from(from));
            ps.setTimestamp(3, Timestamp.from(to));
            try (ResultSet rs = ps.executeQuery()) {
              int columns = rs.getMetaData().getColumnCount();
              while (rs.next()) {
                for (int k = 1; k <= columns; k++) {
                  rs.getObject(k);
                }
              }
            }
          }
        }
        c.commit();
      }
      times.add((System.nanoTime() - start) / 1e6);
    }
    return round1(rank(times.stream().sorted().toList(), 0.5));
  }

  /** Nearest-rank percentile of sorted values. */
  private static double rank(List<Double> sorted, double q) {
    int index = (int) Math.ceil(q * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  private static double round1(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static double seconds(long startNanos) {
    return Math.round((System.nanoTime() - startNanos) / 1e8) / 10.0;
  }
}
