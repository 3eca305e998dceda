package io.edgegw.uplink.bench;

import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.bench.Machine;
import io.edgegw.testsupport.bench.Waits;
import io.edgegw.uplink.outbox.CloudMessage;
import io.edgegw.uplink.outbox.MessageCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Throttled backfill with live traffic: a backlog that lasts longer than warm-up plus window at
 * {@code messagesPerSecond} (bytes bucket as shipped, 1 MiB/s, which these messages do not reach),
 * and, once the first backfill message has arrived, a live commit of {@code liveTags} samples every
 * {@code liveEvery}. Measured at the cloud application over a window after the warm-up: backfill
 * messages per second against the limit, and for each live commit in the window the time from its
 * commit returning to the arrival of the live message carrying it.
 */
final class ThrottleBench {

  /**
   * @param messagesPerSecond {@code uplink.backfill.messages-per-second}
   * @param samplesPerMessage {@code uplink.backfill.samples-per-message}, also rows per commit
   * @param warmup from the first backfill arrival to the window
   * @param window measured window
   * @param liveEvery pause between live commits
   * @param liveTags samples per live commit
   */
  record Settings(
      int messagesPerSecond,
      int samplesPerMessage,
      Duration warmup,
      Duration window,
      Duration liveEvery,
      int liveTags) {}

  private final UplinkBench.Settings bench;
  private final Settings settings;
  private final PostgresServer pg;

  ThrottleBench(UplinkBench.Settings bench, Settings settings, PostgresServer pg) {
    this.bench = bench;
    this.settings = settings;
    this.pg = pg;
  }

  Map<String, Object> run() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("settings", settings.toString());
    double runS = settings.warmup().toSeconds() + settings.window().toSeconds() + 20;
    long backlog = (long) (runS * settings.messagesPerSecond() * settings.samplesPerMessage());
    out.put("backlog_rows", backlog);
    try (BenchRig rig = new BenchRig(bench, pg, "bench_throttle")) {
      rig.writeBacklog(backlog, 10_000, settings.samplesPerMessage(), false);
      Map<String, String> config = new LinkedHashMap<>();
      config.put(
          "uplink.backfill.messages-per-second", String.valueOf(settings.messagesPerSecond()));
      config.put(
          "uplink.backfill.samples-per-message", String.valueOf(settings.samplesPerMessage()));
      out.put("service_settings", config);
      out.put("live_poll_interval", "1s (default)");
      Connection live = rig.liveConnection(settings.liveTags());
      ServiceProcess uplink = rig.startUplink("uplink-throttle", config);
      if (!Waits.until(
          Duration.ofSeconds(30),
          Duration.ofMillis(10),
          () -> rig.recorder.first("backfill") != null)) {
        throw new AssertionError("no backfill message within 30 s of readiness");
      }
      long first = rig.recorder.first("backfill").nanos();
      long windowStart = first + settings.warmup().toNanos();
      long windowEnd = windowStart + settings.window().toNanos();
      ProcessHandle service = ProcessHandle.of(uplink.pid()).orElseThrow();
      Map<Long, Long> committedAt = new ConcurrentHashMap<>();
      List<Long> windowSeqs = new ArrayList<>();
      double[] cpu0 = {0};
      long[][] machine0 = {null};
      long[] lateCommits = {0};
      // One live commit every liveEvery, on a scheduler at a fixed rate, until the window ends; a
      // commit that starts a whole period behind its slot counts as late.
      ScheduledExecutorService committer = Executors.newSingleThreadScheduledExecutor();
      CompletableFuture<Void> done = new CompletableFuture<>();
      long period = settings.liveEvery().toNanos();
      long begin = System.nanoTime();
      try (PreparedStatement insert = live.prepareStatement(BenchRig.LIVE_INSERT)) {
        long[] k = {0};
        committer.scheduleAtFixedRate(
            () -> {
              try {
                long now = System.nanoTime();
                if (now >= windowEnd) {
                  done.complete(null);
                  return;
                }
                if (machine0[0] == null && now >= windowStart) {
                  cpu0[0] = Machine.cpuSeconds(service);
                  machine0[0] = Machine.cpuJiffies();
                }
                if (now - (begin + k[0] * period) >= period) {
                  lateCommits[0]++;
                }
                long seq =
                    rig.commitLive(
                        insert,
                        live,
                        1_790_000_000_000L + k[0] * settings.liveEvery().toMillis(),
                        settings.liveTags());
                k[0]++;
                long at = System.nanoTime();
                committedAt.put(seq, at);
                if (at >= windowStart && at < windowEnd) {
                  windowSeqs.add(seq);
                }
              } catch (Exception e) {
                done.completeExceptionally(e);
              }
            },
            0,
            period,
            TimeUnit.NANOSECONDS);
        done.get(windowEnd - begin + TimeUnit.MINUTES.toNanos(1), TimeUnit.NANOSECONDS);
      } finally {
        committer.shutdownNow();
        committer.awaitTermination(10, TimeUnit.SECONDS);
      }
      double cpu = Machine.cpuSeconds(service) - cpu0[0];
      long[] machine1 = Machine.cpuJiffies();
      // Let the window's last live commits arrive (the live lane polls once a second): the live
      // position moves past the last one on its PUBACK, by which time the cloud has it too.
      long lastLive = windowSeqs.isEmpty() ? 0 : windowSeqs.getLast();
      Waits.until(
          Duration.ofSeconds(15),
          Duration.ofMillis(100),
          () ->
              rig.scalar(
                      "SELECT coalesce(max(ingest_seq), 0) FROM outbox_position WHERE lane = 'live'")
                  >= lastLive);
      live.close();
      double windowS = settings.window().toNanos() / 1e9;
      out.put("service_cpu_cores", BackfillBench.round(cpu / windowS));
      out.put("machine_busy_cores", BackfillBench.round(Machine.busyCores(machine0[0], machine1)));
      out.put("live_commits_late", lateCommits[0]);
      out.putAll(analyse(rig.recorder.arrivals(), windowStart, windowEnd, committedAt, windowSeqs));
      out.put("service_log_warnings", UplinkBench.logLines(uplink, " WARN"));
      out.put("service_log_errors", UplinkBench.logLines(uplink, " ERROR"));
      out.put("service_log", uplink.toString());
    }
    return out;
  }

  private Map<String, Object> analyse(
      List<CloudRecorder.Arrival> arrivals,
      long windowStart,
      long windowEnd,
      Map<Long, Long> committedAt,
      List<Long> windowSeqs) {
    MessageCodec codec = new MessageCodec(Integer.MAX_VALUE);
    long inWindow = 0;
    int seconds = (int) Math.round((windowEnd - windowStart) / 1e9);
    long[] perSecond = new long[seconds];
    Map<Long, Long> arrivedAt = new LinkedHashMap<>();
    long liveMessages = 0;
    for (CloudRecorder.Arrival a : arrivals) {
      if ("backfill".equals(a.lane())) {
        if (a.nanos() >= windowStart && a.nanos() < windowEnd) {
          inWindow++;
          perSecond[(int) Math.min(seconds - 1, (a.nanos() - windowStart) / 1_000_000_000L)]++;
        }
      } else if ("live".equals(a.lane())) {
        liveMessages++;
        CloudMessage.Telemetry m = codec.decodeTelemetry(a.payload(), a.contentType());
        for (long s = m.fromSeq(); s <= m.toSeq(); s++) {
          arrivedAt.putIfAbsent(s, a.nanos());
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    double windowS = (windowEnd - windowStart) / 1e9;
    double rate = inWindow / windowS;
    out.put("limit_messages_per_s", settings.messagesPerSecond());
    out.put("backfill_messages_in_window", inWindow);
    out.put("window_s", BackfillBench.round(windowS));
    out.put("measured_messages_per_s", Math.round(rate * 1000) / 1000.0);
    out.put(
        "error_pct",
        Math.round((rate - settings.messagesPerSecond()) / settings.messagesPerSecond() * 10000)
            / 100.0);
    List<Long> ps = new ArrayList<>();
    for (long c : perSecond) {
      ps.add(c);
    }
    out.put("per_second_min", Collections.min(ps));
    out.put("per_second_max", Collections.max(ps));
    out.put("per_second", ps);
    List<Double> latencies = new ArrayList<>();
    long missing = 0;
    for (long seq : windowSeqs) {
      Long arrived = arrivedAt.get(seq);
      if (arrived == null) {
        missing++;
      } else {
        latencies.add((arrived - committedAt.get(seq)) / 1e6);
      }
    }
    Collections.sort(latencies);
    Map<String, Object> lat = new LinkedHashMap<>();
    lat.put("commits_in_window", windowSeqs.size());
    lat.put("arrived", latencies.size());
    lat.put("missing", missing);
    lat.put("live_messages", liveMessages);
    if (!latencies.isEmpty()) {
      lat.put("p50_ms", rank(latencies, 0.50));
      lat.put("p99_ms", rank(latencies, 0.99));
      lat.put("max_ms", Math.round(latencies.getLast() * 10) / 10.0);
      lat.put("min_ms", Math.round(latencies.getFirst() * 10) / 10.0);
    }
    lat.put("statistic", "nearest rank over the live commits of the window");
    out.put("live", lat);
    return out;
  }

  static double rank(List<Double> sorted, double q) {
    int i = (int) Math.ceil(q * sorted.size()) - 1;
    return Math.round(sorted.get(Math.max(0, i)) * 10) / 10.0;
  }
}
