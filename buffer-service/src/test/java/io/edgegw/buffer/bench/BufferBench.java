package io.edgegw.buffer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.bench.Machine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The buffer benchmark, started by {@code bench/buffer.sh}: the writer alone against a plain JDBC
 * batch insert, the packaged service end to end from the bus to committed rows, and the query API
 * on 30 days of data. All phases share one PostgreSQL from test-support (its settings are recorded
 * with the results); each phase uses fresh databases.
 *
 * <p>Settings come from environment variables, listed in {@link Settings#fromEnvironment()} and in
 * the header of {@code bench/buffer.sh}. The measurements go to one JSON file, which {@code
 * bench/buffer_report.py} turns into {@code bench/results/buffer.json} and a row of {@code
 * docs/benchmarks.md}.
 *
 * <p>A harness, not a test: the name has no Test/IT suffix, so surefire and failsafe skip it.
 */
public final class BufferBench {

  /**
   * What to run and how large.
   *
   * @param phases any of writer, e2e, query
   * @param work scratch directory for logs, secrets and the service's files
   * @param output the measurements file
   * @param appJar the packaged service ({@code quarkus-run.jar})
   * @param jvmOptions options of the service JVM (bin/jvm-options)
   * @param writer writer-alone settings
   * @param e2e end-to-end settings, one per offered rate; the first is the headline
   * @param query query settings
   */
  record Settings(
      Set<String> phases,
      Path work,
      Path output,
      Path appJar,
      List<String> jvmOptions,
      WriterBench.Settings writer,
      List<EndToEndBench.Settings> e2e,
      QueryBench.Settings query) {

    static Settings fromEnvironment() throws IOException {
      Path work = Path.of(env("WORK", "bench/work/buffer"));
      Path jvmFile = Path.of(env("JVM_OPTIONS_FILE", "bin/jvm-options"));
      return new Settings(
          Set.of(env("PHASES", "writer,e2e,query").split(",")),
          work,
          Path.of(env("RAW_OUT", work.resolve("raw.json").toString())),
          Path.of(env("APP_JAR", "buffer-service/target/quarkus-app/quarkus-run.jar")),
          ServiceProcess.readJvmOptions(jvmFile),
          new WriterBench.Settings(
              intEnv("WRITER_SAMPLES", 2_000_000),
              intEnv("WRITER_SERIES", 100),
              intEnv("WRITER_FLUSH", 5_000),
              intEnv("WRITER_RUNS", 2),
              !"0".equals(env("WRITER_ALTERNATIVES", "1"))),
          Arrays.stream(env("E2E_RATE", "100000").split(","))
              .map(rate ->
                  new EndToEndBench.Settings(
                      parse("E2E_RATE", rate),
                      intEnv("E2E_BATCH", 100),
                      intEnv("E2E_DEVICES", 1_000),
                      Duration.ofSeconds(intEnv("E2E_WARMUP", 20)),
                      Duration.ofSeconds(intEnv("E2E_WINDOW", 60)),
                      Duration.ofSeconds(intEnv("E2E_DRAIN", 60))))
              .toList(),
          new QueryBench.Settings(
              intEnv("QUERY_DAYS", 30),
              intEnv("QUERY_SERIES", 10),
              intEnv("QUERY_WARMUPS", 2),
              intEnv("QUERY_REPS", 20)));
    }

    boolean runs(String phase) {
      return phases.contains(phase);
    }
  }

  private BufferBench() {}

  /** Runs the phases and writes the measurements; exits non-zero when a phase fails. */
  public static void main(String[] args) throws Exception {
    Settings settings = Settings.fromEnvironment();
    Files.createDirectories(settings.work());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("started", Instant.now().toString());
    out.put("machine", Machine.describe());
    Map<String, Object> effective = new LinkedHashMap<>();
    effective.put("phases", String.join(",", settings.phases()));
    effective.put("writer", settings.writer().toString());
    effective.put("e2e", settings.e2e().stream().map(Record::toString).toList());
    effective.put("query", settings.query().toString());
    effective.put("service_jvm_options", String.join(" ", settings.jvmOptions()));
    out.put("settings", effective);
    long start = System.nanoTime();
    PostgresServer pg = PostgresServer.start();
    // pg_ctl starts a daemon: stop it also when the harness is interrupted (SIGTERM from the
    // script).
    Thread stopPostgres = new Thread(pg::close, "bench-stop-postgres");
    Runtime.getRuntime().addShutdownHook(stopPostgres);
    try {
      String tuning = env("PG_SETTINGS", "");
      if (!tuning.isEmpty()) {
        tune(pg, tuning);
      }
      out.put("postgres", serverSettings(pg));
      if (settings.runs("writer")) {
        phase(out, "writer", () -> out.put("writer", new WriterBench(pg, settings.writer()).run()));
      }
      if (settings.runs("e2e")) {
        List<Map<String, Object>> runs = new ArrayList<>();
        phase(
            out,
            "e2e",
            () -> {
              for (EndToEndBench.Settings e2e : settings.e2e()) {
                runs.add(new EndToEndBench(pg, settings, e2e).run());
              }
            });
        if (!runs.isEmpty()) {
          out.put("e2e", runs.getFirst());
        }
        if (runs.size() > 1) {
          out.put("e2e_other_rates", runs.subList(1, runs.size()));
        }
      }
      if (settings.runs("query")) {
        phase(
            out,
            "query",
            () -> out.put("query", new QueryBench(pg, settings, settings.query()).run()));
      }
    } finally {
      out.put("total_s", Math.round((System.nanoTime() - start) / 1e8) / 10.0);
      out.put("load_average_at_end", Machine.loadAverage());
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(settings.output().toFile(), out);
      pg.close();
      Runtime.getRuntime().removeShutdownHook(stopPostgres);
    }
    System.out.println("measurements written to " + settings.output());
    if (out.containsKey("failed")) {
      System.err.println("phases failed: " + out.get("failed") + "; see " + settings.output());
      System.exit(1);
    }
  }

  /** A phase of the benchmark. */
  @FunctionalInterface
  interface Phase {
    void run() throws Exception;
  }

  /**
   * Runs a phase; a failure is recorded under "failed" and the next phase still runs, so that one
   * broken part does not cost the measurements of the others. The harness then exits non-zero.
   */
  private static void phase(Map<String, Object> out, String name, Phase phase) {
    try {
      phase.run();
    } catch (Exception e) {
      e.printStackTrace();
      @SuppressWarnings("unchecked")
      Map<String, String> failed =
          (Map<String, String>) out.computeIfAbsent("failed", k -> new LinkedHashMap<>());
      failed.put(name, e.toString());
    }
  }

  /**
   * Applies {@code name=value;name=value} with ALTER SYSTEM and restarts the server; for
   * sensitivity runs only. The recorded settings show what was in effect.
   */
  static void tune(PostgresServer pg, String settings) throws SQLException {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
        Statement s = c.createStatement()) {
      for (String pair : settings.split(";")) {
        String[] kv = pair.split("=", 2);
        if (kv.length != 2 || !kv[0].strip().matches("[a-z_]+")) {
          throw new IllegalArgumentException(
              "PG_SETTINGS: expected name=value;name=value, got '" + pair + "'");
        }
        s.execute(
            "ALTER SYSTEM SET " + kv[0].strip() + " = '" + kv[1].strip().replace("'", "''") + "'");
      }
    }
    pg.restart();
  }

  /** The server settings that decide what a commit costs, for the record. */
  static Map<String, Object> serverSettings(PostgresServer pg) throws SQLException {
    Map<String, Object> settings = new LinkedHashMap<>();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT name, setting || COALESCE(' ' || unit, '') FROM pg_settings WHERE name IN"
                    + " ('server_version', 'fsync', 'synchronous_commit', 'full_page_writes',"
                    + " 'wal_level', 'shared_buffers', 'max_wal_size', 'checkpoint_timeout',"
                    + " 'work_mem', 'effective_cache_size', 'jit',"
                    + " 'max_parallel_workers_per_gather') ORDER BY name")) {
      while (rs.next()) {
        settings.put(rs.getString(1), rs.getString(2));
      }
    }
    String tuning = env("PG_SETTINGS", "");
    settings.put(
        "source",
        "io.edgegw.testsupport.PostgresServer (initdb defaults + its conf)"
            + (tuning.isEmpty() ? "" : " + ALTER SYSTEM " + tuning));
    return settings;
  }

  static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v.strip();
  }

  static int intEnv(String name, int fallback) {
    String v = env(name, null);
    return v == null ? fallback : parse(name, v);
  }

  static int parse(String name, String v) {
    try {
      return Integer.parseInt(v.strip().replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "environment variable " + name + " must be a whole number, got '" + v + "'");
    }
  }
}
