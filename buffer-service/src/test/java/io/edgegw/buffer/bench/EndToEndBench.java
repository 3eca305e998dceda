package io.edgegw.buffer.bench;

import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.testsupport.FreePorts;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.bench.Machine;
import io.edgegw.testsupport.bench.MetricsScrape;
import io.edgegw.testsupport.bench.PacedPublisher;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Bus to committed rows with the real service: Mosquitto as test-support starts it (as on the
 * gateway: persistence on, max_queued_messages 1,000,000), the packaged service as a child JVM on a
 * fresh database, and a {@link PacedPublisher} at a fixed rate. It creates every series first, at a
 * gentle rate; after a warm-up at the full rate it measures a window: rows committed per second
 * (the service's {@code buffer_ingest_samples_total}, counted after commit), publish-to-commit lag
 * (the delta of the {@code buffer_commit_lag} histogram over the window), what the publisher really
 * offered, and the backlog left at the end. Then it stops publishing, waits for the backlog to
 * drain and checks the row count in the database against everything published.
 */
final class EndToEndBench {

  /**
   * @param samplesPerSecond offered load
   * @param samplesPerMessage samples per batch (tags per device)
   * @param devices devices; each publishes every devices / (samplesPerSecond / samplesPerMessage) s
   * @param warmup before the window (series creation, JIT)
   * @param window measured window
   * @param drain longest wait for the backlog after the window
   */
  record Settings(
      int samplesPerSecond,
      int samplesPerMessage,
      int devices,
      Duration warmup,
      Duration window,
      Duration drain) {}

  private static final double[] QUANTILES = {0.5, 0.9, 0.99, 0.999};
  private static final String[] QUANTILE_NAMES = {"p50_ms", "p90_ms", "p99_ms", "p999_ms"};

  private final PostgresServer pg;
  private final BufferBench.Settings bench;
  private final Settings settings;

  EndToEndBench(PostgresServer pg, BufferBench.Settings bench, Settings settings) {
    this.pg = pg;
    this.bench = bench;
    this.settings = settings;
  }

  /** A consistent set of readings at one instant. */
  private record Snapshot(
      long nanos,
      MetricsScrape metrics,
      long sentSamples,
      long ackedMessages,
      double serviceCpu,
      double harnessCpu,
      long[] machine) {}

  Map<String, Object> run() throws Exception {
    String db = "e2e_" + ProcessHandle.current().pid();
    admin("CREATE DATABASE " + db);
    Map<String, Object> out = new LinkedHashMap<>();
    try (MosquittoBroker broker =
        MosquittoBroker.builder().withUser("buffer").withUser("producer").start()) {
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
              "service-e2e",
              bench.work(),
              bench.appJar(),
              bench.jvmOptions(),
              FreePorts.loopback(),
              props,
              secrets)) {
        service.awaitReady(Duration.ofMinutes(2));
        out.putAll(measure(broker, service));
      }
      long rows = scalar(db, "SELECT count(*) FROM sample");
      out.put("rows_in_database", rows);
      out.put("series_in_database", scalar(db, "SELECT count(*) FROM series"));
    } finally {
      admin("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    }
    return out;
  }

  private Map<String, Object> measure(MosquittoBroker broker, ServiceProcess service)
      throws Exception {
    double messagesPerSecond = (double) settings.samplesPerSecond() / settings.samplesPerMessage();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("offered_samples_per_s", settings.samplesPerSecond());
    out.put("samples_per_message", settings.samplesPerMessage());
    out.put("messages_per_s", messagesPerSecond);
    out.put("devices", settings.devices());
    out.put("series", (long) settings.devices() * settings.samplesPerMessage());
    out.put("warmup_s", settings.warmup().toSeconds());
    out.put("service_jvm_options", String.join(" ", bench.jvmOptions()));
    try (PacedPublisher publisher =
        new PacedPublisher(
            broker.port(),
            "producer",
            broker.password("producer"),
            settings.devices(),
            messagesPerSecond,
            samples(settings.samplesPerMessage()))) {
      // Every series is created once, at a gentle rate, before the load: creating 100,000 series
      // under full load is a one-off that would otherwise fall into the warm-up.
      long primeStart = System.nanoTime();
      publisher.prime(PRIME_MESSAGES_PER_S);
      long primed = (long) settings.devices() * settings.samplesPerMessage();
      long primeEnd = System.nanoTime() + settings.drain().toNanos();
      while (service.metrics().total(INGESTED) < primed && System.nanoTime() < primeEnd) {
        Thread.sleep(250);
      }
      out.put("priming_s", Math.round((System.nanoTime() - primeStart) / 1e8) / 10.0);
      publisher.start();
      Thread.sleep(settings.warmup().toMillis());
      publisher.takeWorstBehindMs();
      long reconnects0 = service.logLines(LOST_BUS);
      long overruns0 = service.logLines(RECEIVE_MAXIMUM);
      Snapshot s0 = snapshot(service, publisher);
      long end = s0.nanos() + settings.window().toNanos();
      long rssPeakKb = 0;
      double queuePeak = 0;
      List<Long> perSecond = new ArrayList<>();
      MetricsScrape last = s0.metrics();
      long lastNanos = s0.nanos();
      while (System.nanoTime() < end) {
        Thread.sleep(Math.max(1, Math.min(1000, (end - System.nanoTime()) / 1_000_000)));
        rssPeakKb = Math.max(rssPeakKb, Machine.rssKb(service.handle().pid()));
        MetricsScrape now = service.metrics();
        long nowNanos = System.nanoTime();
        queuePeak = Math.max(queuePeak, now.total("buffer_ingest_queue_messages"));
        perSecond.add(
            Math.round(
                (now.total(INGESTED) - last.total(INGESTED)) / ((nowNanos - lastNanos) / 1e9)));
        last = now;
        lastNanos = nowNanos;
      }
      Snapshot s1 = snapshot(service, publisher);
      double worstBehindMs = publisher.takeWorstBehindMs();
      publisher.stop();

      double seconds = (s1.nanos() - s0.nanos()) / 1e9;
      double committed = s1.metrics().total(INGESTED) - s0.metrics().total(INGESTED);
      out.put("window_s", Math.round(seconds * 10) / 10.0);
      out.put("e2e_samples_per_s", Math.round(committed / seconds));
      out.put("committed_samples_per_s_each_second", perSecond);
      out.put("committed_samples_per_s_min_10s", tenSecondMinimum(perSecond));
      out.put("ingest_queue_peak_messages", Math.round(queuePeak));
      out.put("bus_reconnects_in_window", service.logLines(LOST_BUS) - reconnects0);
      // The HiveMQ client's error when the broker sends more unacknowledged messages than the
      // buffer's Receive Maximum; it then drops the connection (see docs/benchmarks.md).
      out.put("receive_maximum_exceeded_in_window", service.logLines(RECEIVE_MAXIMUM) - overruns0);
      out.put(
          "published_samples_per_s", Math.round((s1.sentSamples() - s0.sentSamples()) / seconds));
      out.put(
          "broker_acked_samples_per_s",
          Math.round(
              (s1.ackedMessages() - s0.ackedMessages()) * settings.samplesPerMessage() / seconds));
      out.put("publisher_worst_behind_schedule_ms", Math.round(worstBehindMs * 10) / 10.0);
      out.put("publish_failures", publisher.failed());
      out.put(
          "backlog_at_window_end_samples",
          Math.round(s1.sentSamples() - s1.metrics().total(INGESTED)));

      TreeMap<Double, Double> lag = MetricsScrape.delta(s0.metrics(), s1.metrics(), LAG);
      Map<String, Object> lagOut = new LinkedHashMap<>();
      lagOut.put(
          "method",
          "delta of the buffer_commit_lag histogram over the window; each figure is the upper"
              + " bound of the SLO bucket holding the quantile (buckets 10,25,50,100,250,500,750,"
              + "1000,2500,5000,10000 ms)");
      lagOut.put("messages", Math.round(lag.isEmpty() ? 0 : lag.lastEntry().getValue()));
      for (int i = 0; i < QUANTILES.length; i++) {
        lagOut.put(QUANTILE_NAMES[i], ms(MetricsScrape.quantileUpperBound(lag, QUANTILES[i])));
      }
      lagOut.put("share_within_1s", round4(MetricsScrape.shareAtOrBelow(lag, 1.0)));
      out.put("commit_lag", lagOut);
      out.put("e2e_p99_ms", lagOut.get("p99_ms"));

      TreeMap<Double, Double> flushes = MetricsScrape.delta(s0.metrics(), s1.metrics(), FLUSH);
      double flushCount =
          s1.metrics().total("buffer_flush_rows_count")
              - s0.metrics().total("buffer_flush_rows_count");
      Map<String, Object> flushOut = new LinkedHashMap<>();
      flushOut.put("flushes", Math.round(flushCount));
      flushOut.put(
          "mean_rows",
          flushCount == 0
              ? null
              : Math.round(
                  (s1.metrics().total("buffer_flush_rows_sum")
                          - s0.metrics().total("buffer_flush_rows_sum"))
                      / flushCount));
      flushOut.put(
          "mean_ms",
          flushCount == 0
              ? null
              : Math.round(
                      (s1.metrics().total("buffer_flush_duration_seconds_sum")
                              - s0.metrics().total("buffer_flush_duration_seconds_sum"))
                          / flushCount
                          * 10_000)
                  / 10.0);
      flushOut.put("p99_ms_bucket_bound", ms(MetricsScrape.quantileUpperBound(flushes, 0.99)));
      out.put("flush", flushOut);

      out.put("service_cpu_cores", round2((s1.serviceCpu() - s0.serviceCpu()) / seconds));
      out.put("harness_cpu_cores", round2((s1.harnessCpu() - s0.harnessCpu()) / seconds));
      out.put("machine_busy_cores", round2(Machine.busyCores(s0.machine(), s1.machine())));
      out.put("service_rss_peak_mb", Math.round(rssPeakKb / 102.4) / 10.0);
      out.put("load_average_after_window", Machine.loadAverage());

      // Drain: everything published must end up committed, exactly once.
      long published = publisher.sentSamples();
      long drainStart = System.nanoTime();
      long drainEnd = drainStart + settings.drain().toNanos();
      double ingested = service.metrics().total(INGESTED);
      while (ingested < published && System.nanoTime() < drainEnd) {
        Thread.sleep(250);
        ingested = service.metrics().total(INGESTED);
      }
      out.put("published_samples_total", published);
      out.put("committed_samples_total", Math.round(ingested));
      out.put("drained", ingested >= published);
      out.put("drain_s", Math.round((System.nanoTime() - drainStart) / 1e8) / 10.0);
      out.put(
          "duplicates_total",
          Math.round(service.metrics().total("buffer_ingest_duplicates_total")));
    }
    return out;
  }

  private static final String INGESTED = "buffer_ingest_samples_total";
  private static final String LOST_BUS = "lost the local bus";
  private static final String RECEIVE_MAXIMUM = "than allowed by receive maximum (";
  private static final double PRIME_MESSAGES_PER_S = 100;
  private static final String LAG = "buffer_commit_lag_seconds_bucket";
  private static final String FLUSH = "buffer_flush_duration_seconds_bucket";

  /**
   * {@code tags} samples per batch, {@code tag000} onwards, each stamped with the batch's publish
   * time, so the service's commit lag is the time from publish to commit.
   */
  private static PacedPublisher.Samples samples(int tags) {
    String[] names = new String[tags];
    for (int j = 0; j < tags; j++) {
      names[j] = PacedPublisher.tagName(j);
    }
    return (device, t) -> {
      List<Sample> batch = new ArrayList<>(tags);
      double base = (t % 86_400_000L) / 1000.0;
      for (int j = 0; j < tags; j++) {
        batch.add(new Sample(names[j], t, base + j, Quality.GOOD));
      }
      return batch;
    };
  }

  /** The lowest mean over 10 consecutive one-second readings (the whole list when shorter). */
  private static long tenSecondMinimum(List<Long> perSecond) {
    int w = Math.min(10, perSecond.size());
    long min = Long.MAX_VALUE;
    for (int i = 0; i + w <= perSecond.size(); i++) {
      long sum = 0;
      for (int k = i; k < i + w; k++) {
        sum += perSecond.get(k);
      }
      min = Math.min(min, sum / Math.max(1, w));
    }
    return min == Long.MAX_VALUE ? 0 : min;
  }

  private Snapshot snapshot(ServiceProcess service, PacedPublisher publisher) throws Exception {
    MetricsScrape m = service.metrics();
    return new Snapshot(
        System.nanoTime(),
        m,
        publisher.sentSamples(),
        publisher.acked(),
        Machine.cpuSeconds(service.handle()),
        Machine.cpuSeconds(ProcessHandle.current()),
        Machine.cpuJiffies());
  }

  private static Object ms(double seconds) {
    if (Double.isNaN(seconds)) {
      return null;
    }
    return Double.isInfinite(seconds) ? "> 10000" : Math.round(seconds * 1000);
  }

  private static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static double round4(double v) {
    return Double.isNaN(v) ? v : Math.round(v * 10_000) / 10_000.0;
  }

  private void admin(String sql) throws SQLException {
    BenchDatabase.admin(pg, "postgres", sql);
  }

  private long scalar(String db, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db), pg.username(), pg.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
