package io.edgegw.uplink.bench;

import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.bench.Machine;
import io.edgegw.testsupport.bench.Waits;
import io.edgegw.uplink.outbox.CloudMessage;
import io.edgegw.uplink.outbox.MessageCodec;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Unthrottled backfill: a backlog of {@code samples} rows written before the service starts, both
 * token buckets at their largest allowed value (1e9), everything else as shipped (TLS, 5,000
 * samples per message, gzip above 16 KiB, in-flight 32). The clock runs at the cloud application:
 * from the arrival of the first backfill message to the arrival of the message that brings the
 * count of unique samples (device, tag, t) to {@code samples}.
 */
final class BackfillBench {

  /**
   * @param samples backlog rows
   * @param series series they are spread over (one sample per series and second)
   * @param perCommit rows per commit
   * @param budget longest wait for the whole backlog at the cloud
   * @param vacuum VACUUM (which summarizes the BRIN) rather than only ANALYZE after the write
   */
  record Settings(long samples, int series, int perCommit, Duration budget, boolean vacuum) {}

  private final UplinkBench.Settings bench;
  private final Settings settings;
  private final PostgresServer pg;

  BackfillBench(UplinkBench.Settings bench, Settings settings, PostgresServer pg) {
    this.bench = bench;
    this.settings = settings;
    this.pg = pg;
  }

  Map<String, Object> run() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("settings", settings.toString());
    try (BenchRig rig = new BenchRig(bench, pg, "bench_backfill")) {
      long t0 = System.nanoTime();
      rig.writeBacklog(
          settings.samples(), settings.series(), settings.perCommit(), settings.vacuum());
      out.put("backlog_write_s", seconds(System.nanoTime() - t0));
      out.put("backlog_rows", rig.scalar("SELECT count(*) FROM sample"));
      out.put("backlog_commits", rig.scalar("SELECT count(DISTINCT ingest_seq) FROM sample"));
      out.put(
          "backlog_table_mb",
          rig.scalar("SELECT pg_total_relation_size('sample_default')") / 1_048_576);
      Map<String, String> config = new LinkedHashMap<>();
      config.put("uplink.backfill.messages-per-second", "1000000000");
      config.put("uplink.backfill.bytes-per-second", "1000000000");
      out.put("service_settings", config);
      long[] machine0 = Machine.cpuJiffies();
      long started = System.nanoTime();
      ServiceProcess uplink = rig.startUplink("uplink-backfill", config);
      long ready = System.nanoTime();
      out.put("service_ready_s", seconds(ready - started));
      ProcessHandle service = ProcessHandle.of(uplink.pid()).orElseThrow();
      List<ProcessHandle> brokers = BenchRig.brokers();
      double serviceCpu0 = Machine.cpuSeconds(service);
      double brokerCpu0 = cpu(brokers);
      double harnessCpu0 = Machine.cpuSeconds(ProcessHandle.current());
      long[] rssPeakKbHolder = {0};
      double[] ackedHolder = {0};
      // Every 250 ms: the RSS sample, and whether everything is acknowledged.
      Waits.until(
          Duration.ofNanos(
              Math.max(1_000_000, ready + settings.budget().toNanos() - System.nanoTime())),
          Duration.ofMillis(250),
          () -> {
            rssPeakKbHolder[0] = Math.max(rssPeakKbHolder[0], Machine.rssKb(uplink.pid()));
            ackedHolder[0] = uplink.metric("uplink_samples_acked_total");
            return ackedHolder[0] >= settings.samples();
          });
      long rssPeakKb = rssPeakKbHolder[0];
      double acked = ackedHolder[0];
      long done = System.nanoTime();
      double serviceCpu = Machine.cpuSeconds(service) - serviceCpu0;
      double brokerCpu = cpu(brokers) - brokerCpu0;
      double harnessCpu = Machine.cpuSeconds(ProcessHandle.current()) - harnessCpu0;
      long[] machine1 = Machine.cpuJiffies();
      // The last PUBLISH reaches the cloud application about with its PUBACK: wait for as many
      // messages there as the service published.
      double published =
          uplink.metric("uplink_messages_published_total", Map.of("kind", "telemetry"));
      Waits.until(
          Duration.ofSeconds(10),
          Duration.ofMillis(50),
          () -> rig.recorder.arrivals().size() >= published);
      out.put("samples_acked_metric", acked);
      out.put("service_rss_peak_mb", Math.round(rssPeakKb / 102.4) / 10.0);
      out.put("service_rss_hwm_mb", Math.round(Machine.peakRssKb(uplink.pid()) / 102.4) / 10.0);
      out.putAll(analyse(rig.recorder.arrivals()));
      double busy = seconds(done - ready);
      out.put("service_cpu_s", round(serviceCpu));
      out.put("measured_from_ready_s", busy);
      out.put("service_cpu_cores", round(serviceCpu / busy));
      out.put("brokers_cpu_cores", round(brokerCpu / busy));
      out.put("harness_cpu_cores", round(harnessCpu / busy));
      out.put("machine_busy_cores", round(Machine.busyCores(machine0, machine1)));
      out.put(
          "messages_published_metric",
          uplink.metric("uplink_messages_published_total", Map.of("kind", "telemetry")));
      out.put("service_log_warnings", UplinkBench.logLines(uplink, " WARN"));
      out.put("service_log_errors", UplinkBench.logLines(uplink, " ERROR"));
      out.put("service_log", uplink.toString());
      if (acked < settings.samples()) {
        throw new AssertionError(
            "only "
                + acked
                + " of "
                + settings.samples()
                + " samples acknowledged within "
                + settings.budget());
      }
    }
    return out;
  }

  /** Decodes what arrived: unique samples over time, messages, bytes, compression. */
  private Map<String, Object> analyse(List<CloudRecorder.Arrival> arrivals) {
    MessageCodec codec = new MessageCodec(Integer.MAX_VALUE);
    Set<String> keys = new HashSet<>();
    Set<String> unique = new HashSet<>();
    long messages = 0;
    long duplicates = 0;
    long wireBytes = 0;
    long gzipped = 0;
    long jsonBytes = 0;
    long samplesInFirst = 0;
    Long first = null;
    Long complete = null;
    long lastArrival = 0;
    for (CloudRecorder.Arrival a : arrivals) {
      if (!"backfill".equals(a.lane())) {
        continue;
      }
      CloudMessage.Telemetry m = codec.decodeTelemetry(a.payload(), a.contentType());
      messages++;
      wireBytes += a.payload().length;
      if (MessageCodec.JSON_GZIP.equals(a.contentType())) {
        gzipped++;
      }
      jsonBytes += jsonLength(a);
      if (!keys.add(m.key())) {
        duplicates++;
      }
      for (CloudMessage.Sample s : m.samples()) {
        unique.add(s.device() + "/" + s.tag() + "@" + s.t());
      }
      if (first == null) {
        first = a.nanos();
        samplesInFirst = m.samples().size();
      }
      lastArrival = a.nanos();
      if (complete == null && unique.size() >= settings.samples()) {
        complete = a.nanos();
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("backfill_messages", messages);
    out.put("duplicate_keys", duplicates);
    out.put("unique_samples_at_cloud", unique.size());
    out.put("gzip_messages", gzipped);
    out.put("compression", gzipped == messages ? "all" : gzipped == 0 ? "none" : "some");
    out.put("wire_bytes", wireBytes);
    out.put("json_bytes", jsonBytes);
    out.put("mean_wire_bytes_per_message", messages == 0 ? null : wireBytes / messages);
    out.put("mean_samples_per_message", messages == 0 ? null : unique.size() / messages);
    if (first == null || complete == null) {
      out.put("complete", false);
      return out;
    }
    out.put("complete", true);
    double s = (complete - first) / 1e9;
    out.put("first_to_last_s", round(s));
    out.put("last_arrival_after_complete_ms", round((lastArrival - complete) / 1e6));
    // The first message's samples arrived at the start of the interval, not during it.
    out.put("samples_per_s", Math.round((settings.samples() - samplesInFirst) / s));
    out.put("samples_per_s_incl_first", Math.round(settings.samples() / s));
    out.put("messages_per_s", round((messages - 1) / s));
    out.put("wire_bytes_per_s", Math.round(wireBytes / s));
    out.put("json_bytes_per_s", Math.round(jsonBytes / s));
    return out;
  }

  private static long jsonLength(CloudRecorder.Arrival a) {
    if (!MessageCodec.JSON_GZIP.equals(a.contentType())) {
      return a.payload().length;
    }
    try (var in =
        new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(a.payload()))) {
      return in.transferTo(java.io.OutputStream.nullOutputStream());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static double cpu(List<ProcessHandle> processes) {
    return processes.stream().mapToDouble(Machine::cpuSeconds).sum();
  }

  static double seconds(long nanos) {
    return Math.round(nanos / 1e7) / 100.0;
  }

  static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
