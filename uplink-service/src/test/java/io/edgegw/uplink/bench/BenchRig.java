package io.edgegw.uplink.bench;

import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.TestPki;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * What one phase runs against, as in UplinkProcessIT: a fresh database on the harness's PostgreSQL,
 * migrated by buffer-service's Flyway script; a local Mosquitto; a TLS Mosquitto standing in for
 * the cloud (mTLS, certificates from {@link TestPki}); the cloud application ({@link
 * CloudRecorder}); and, once the backlog is written, the packaged uplink-service.
 */
final class BenchRig implements AutoCloseable {
  static final String GATEWAY = "gw-1";
  static final String ROOT = "edgegw/" + GATEWAY;

  private final UplinkBench.Settings bench;
  final TestPki pki;
  final PGSimpleDataSource ds;
  final MosquittoBroker local;
  final MosquittoBroker cloud;
  final CloudRecorder recorder;
  private final TestPki.Issued gateway;
  private final PostgresServer pg;
  ServiceProcess uplink;

  BenchRig(UplinkBench.Settings bench, PostgresServer pg, String database) throws Exception {
    this.bench = bench;
    this.pg = pg;
    pki = TestPki.create();
    TestPki.Issued server = pki.server("127.0.0.1");
    gateway = pki.client(GATEWAY);
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + database);
      s.execute("CREATE DATABASE " + database);
    }
    ds = new PGSimpleDataSource();
    ds.setUrl(pg.jdbcUrl(database));
    ds.setUser(pg.username());
    ds.setPassword(pg.password());
    Flyway.configure()
        .dataSource(ds)
        .locations("filesystem:" + bench.migrations())
        .load()
        .migrate();
    // buffer-service creates day partitions as it writes; one catch-all partition does here.
    exec("CREATE TABLE sample_default PARTITION OF sample DEFAULT");
    local = MosquittoBroker.builder().withUser("uplink").start();
    cloud =
        MosquittoBroker.builder()
            .tls(pki.ca().certFile(), server.certFile(), server.keyFile(), true)
            .start();
    recorder = new CloudRecorder(pki, pki.client("cloud-app"), cloud.port(), ROOT + "/telemetry");
  }

  /**
   * Writes a backlog as buffer-service's StoreWriter would have: {@code samples} rows over {@code
   * series} series (device {@code dev-i}, tag {@code tag-j}, 100 tags a device), one sample per
   * series and second, {@code perCommit} rows a commit, every row of a commit with the commit's own
   * {@code ingest_seq}. One SQL statement, then ANALYZE, or VACUUM ANALYZE when {@code vacuum}.
   */
  void writeBacklog(long samples, int series, int perCommit, boolean vacuum) throws SQLException {
    int tags = Math.min(100, series);
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO series (device, tag, kind) SELECT 'dev-' || (i / %d), 'tag-' || (i %% %d),"
                  .formatted(tags, tags)
              + " 'number' FROM generate_series(0, %d) i".formatted(series - 1));
      long firstSeries = scalar(c, "SELECT min(id) FROM series WHERE device LIKE 'dev-%'");
      long seq0 = scalar(c, "SELECT nextval('ingest_seq')");
      // Values of two decimals (50 +/- 40 sine per series), timestamps one second apart.
      s.execute(
          ("INSERT INTO sample (ts, series_id, value, quality, ingest_seq)"
                  + " SELECT to_timestamp(1780000000 + i / %1$d), %2$d + i %% %1$d,"
                  + " round((50 + 40 * sin((i / %1$d) / (10.0 + i %% 50)))::numeric, 2), 0,"
                  + " %3$d + i / %4$d FROM generate_series(0, %5$d) i")
              .formatted(series, firstSeries, seq0, perCommit, samples - 1));
      long lastSeq = seq0 + (samples - 1) / perCommit;
      s.execute("SELECT setval('ingest_seq', " + lastSeq + ")");
      // VACUUM also summarizes the BRIN on ingest_seq; without it, every unsummarized page range
      // matches every seq range (as for rows written since autovacuum last ran).
      s.execute(vacuum ? "VACUUM ANALYZE" : "ANALYZE");
    }
  }

  /** Commits one live batch of {@code tags} samples of device {@code live}; returns its seq. */
  long commitLive(PreparedStatement insert, Connection c, long t, int tags) throws SQLException {
    long seq = scalar(c, "SELECT nextval('ingest_seq')");
    for (int i = 0; i < tags; i++) {
      insert.setLong(1, t);
      insert.setDouble(2, i + (t % 1000) / 100.0);
      insert.setLong(3, seq);
      insert.setString(4, "tag-" + i);
      insert.addBatch();
    }
    insert.executeBatch();
    c.commit();
    return seq;
  }

  /** A connection and statement for {@link #commitLive}, with the live series created. */
  Connection liveConnection(int tags) throws SQLException {
    Connection c = ds.getConnection();
    try (Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO series (device, tag, kind) SELECT 'live', 'tag-' || i, 'number'"
              + " FROM generate_series(0, %d) i".formatted(tags - 1));
    }
    c.setAutoCommit(false);
    return c;
  }

  static final String LIVE_INSERT =
      "INSERT INTO sample (ts, series_id, value, quality, ingest_seq)"
          + " SELECT to_timestamp(? / 1000.0), id, ?, 0, ? FROM series"
          + " WHERE device = 'live' AND tag = ?";

  /** The packaged uplink-service, with the gateway's JVM options and {@code extra} settings. */
  ServiceProcess startUplink(String name, Map<String, String> extra) {
    ServiceProcess.Builder b = UplinkBench.service(name, bench.uplinkJar(), bench.jvmOptions());
    b.property("uplink.gateway-id", GATEWAY)
        .property("uplink.cloud.host", "127.0.0.1")
        .property("uplink.cloud.port", String.valueOf(cloud.port()))
        .property("uplink.cloud.tls.ca-file", pki.ca().certFile().toString())
        .property("uplink.cloud.tls.cert-file", gateway.certFile().toString())
        .property("uplink.cloud.tls.key-file", gateway.keyFile().toString())
        .property("uplink.bus.port", String.valueOf(local.port()))
        .property("quarkus.datasource.jdbc.url", ds.getUrl())
        .property("quarkus.datasource.username", pg.username())
        .secret("QUARKUS_DATASOURCE_PASSWORD", pg.password())
        .secret("UPLINK_BUS_PASSWORD", local.password("uplink"))
        .clearEnvironmentPrefix("UPLINK_");
    extra.forEach(b::property);
    uplink = b.start();
    uplink.awaitReady(Duration.ofMinutes(2));
    return uplink;
  }

  /** The Mosquitto processes this harness started (children of this JVM). */
  static List<ProcessHandle> brokers() {
    List<ProcessHandle> out = new ArrayList<>();
    ProcessHandle.current()
        .descendants()
        .filter(p -> p.info().command().map(c -> c.endsWith("/mosquitto")).orElse(false))
        .forEach(out::add);
    return out;
  }

  void exec(String sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  static long scalar(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  long scalar(String sql) throws SQLException {
    try (Connection c = ds.getConnection()) {
      return scalar(c, sql);
    }
  }

  @Override
  public void close() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {uplink, recorder, cloud, local, pki}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          System.err.println("closing " + c + ": " + e);
        }
      }
    }
  }
}
