package io.edgegw.rules.bench;

import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.bench.Machine;
import io.edgegw.testsupport.bench.MetricsScrape;
import io.edgegw.testsupport.bench.PacedPublisher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Rule evaluation under the full stream: Mosquitto (test-support's, as on the gateway), the
 * packaged rules-service as a child JVM with a {@link SyntheticSite} of 1,000 devices x 100 tags
 * and 1,000 rules, and a {@link PacedPublisher} of 1,000 batches of 100 samples per second (QoS 1).
 * After a warm-up at the full rate it measures a window: the delta of the service's {@code
 * rules_batch_processing_seconds} histogram (arrival of a batch in the MQTT callback to its
 * transitions handed to the client), batches evaluated against batches offered, transitions per
 * second by kind, the service's CPU (from /proc/&lt;pid&gt;/stat) and resident set, Mosquitto's and
 * the harness's CPU and the machine's.
 */
final class ProcessingBench {

  /**
   * @param devices devices of the site
   * @param tags tags per device, which is also samples per batch
   * @param rules rules of the site
   * @param samplesPerSecond offered samples per second (batches/s = samplesPerSecond / tags)
   * @param warmup before the window
   * @param window measured window
   */
  record Settings(
      int devices, int tags, int rules, int samplesPerSecond, Duration warmup, Duration window) {}

  private static final double[] QUANTILES = {0.5, 0.9, 0.99, 0.999};
  private static final String[] QUANTILE_NAMES = {"p50", "p90", "p99", "p999"};
  private static final String BATCHES = "rules_batches_total";
  private static final String TRANSITIONS = "rules_transitions_total";
  private static final String TIMER = "rules_batch_processing_seconds";

  private final RulesBench.Settings bench;
  private final Settings settings;

  ProcessingBench(RulesBench.Settings bench, Settings settings) {
    this.bench = bench;
    this.settings = settings;
  }

  /** A consistent set of readings at one instant. */
  private record Snapshot(
      long nanos,
      MetricsScrape metrics,
      long sentMessages,
      long sentSamples,
      long acked,
      double serviceCpu,
      double brokerCpu,
      double harnessCpu,
      long[] machine) {}

  Map<String, Object> run() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    SyntheticSite site = new SyntheticSite(settings.devices(), settings.tags(), settings.rules());
    Path dir = Files.createDirectories(bench.work().resolve("processing"));
    Path devicesFile = Files.writeString(dir.resolve("devices.yaml"), site.devicesYaml());
    Path rulesFile = Files.writeString(dir.resolve("rules.yaml"), site.rulesYaml());
    out.put("devices", settings.devices());
    out.put("tags_per_device", settings.tags());
    out.put("rules", settings.rules());
    out.put("rule_mix", site.mix());
    out.put("devices_yaml_bytes", Files.size(devicesFile));
    out.put("rules_yaml", rulesFile.toString());
    try (MosquittoBroker broker =
            MosquittoBroker.builder().withUser("rules").withUser("producer").start();
        ServiceProcess rules =
            RulesBench.service("rules-processing", bench.rulesJar(), bench.jvmOptions())
                .property("rules.bus.port", String.valueOf(broker.port()))
                .property("rules.rules-file", rulesFile.toString())
                .property("rules.devices-file", devicesFile.toString())
                .secret("RULES_BUS_PASSWORD", broker.password("rules"))
                .clearEnvironmentPrefix("RULES_")
                .start()) {
      long startNanos = System.nanoTime();
      rules.awaitReady(Duration.ofMinutes(2));
      out.put("service_ready_s", Math.round((System.nanoTime() - startNanos) / 1e8) / 10.0);
      out.put("service_log", rules.toString());
      out.putAll(measure(broker, rules, site));
      out.put("service_log_warnings", RulesBench.logLines(rules, " WARN"));
      out.put("service_log_errors", RulesBench.logLines(rules, " ERROR"));
    }
    return out;
  }

  private Map<String, Object> measure(
      MosquittoBroker broker, ServiceProcess rules, SyntheticSite site) throws Exception {
    double messagesPerSecond = (double) settings.samplesPerSecond() / settings.tags();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("offered_samples_per_s", settings.samplesPerSecond());
    out.put("offered_batches_per_s", messagesPerSecond);
    out.put("warmup_s", settings.warmup().toSeconds());
    ProcessHandle brokerProcess = RulesBench.mosquitto();
    ProcessHandle service = ProcessHandle.of(rules.pid()).orElseThrow();
    try (PacedPublisher publisher =
        new PacedPublisher(
            broker.port(),
            "producer",
            broker.password("producer"),
            settings.devices(),
            messagesPerSecond,
            site)) {
      publisher.start();
      // The timeline runs on a scheduler: the window's start after the warm-up, a sample each
      // second of the window, its end after the window.
      ScheduledExecutorService timeline = Executors.newSingleThreadScheduledExecutor();
      CompletableFuture<Snapshot> started = new CompletableFuture<>();
      CompletableFuture<Void> ended = new CompletableFuture<>();
      long[] rssPeakKb = {0};
      List<Long> perSecond = new ArrayList<>();
      MetricsScrape[] last = new MetricsScrape[1];
      long[] lastNanos = new long[1];
      try {
        long warmupMs = settings.warmup().toMillis();
        long windowMs = settings.window().toMillis();
        timeline.schedule(
            () -> {
              try {
                publisher.takeWorstBehindMs();
                Snapshot s0 = snapshot(rules, publisher, service, brokerProcess);
                last[0] = s0.metrics();
                lastNanos[0] = s0.nanos();
                started.complete(s0);
              } catch (Exception e) {
                started.completeExceptionally(e);
              }
            },
            warmupMs,
            TimeUnit.MILLISECONDS);
        timeline.scheduleAtFixedRate(
            () -> {
              if (!started.isDone() || ended.isDone()) {
                return;
              }
              try {
                rssPeakKb[0] = Math.max(rssPeakKb[0], Machine.rssKb(rules.pid()));
                MetricsScrape now = RulesBench.scrape(rules);
                long nowNanos = System.nanoTime();
                perSecond.add(
                    Math.round(
                        (now.total(BATCHES) - last[0].total(BATCHES))
                            / ((nowNanos - lastNanos[0]) / 1e9)));
                last[0] = now;
                lastNanos[0] = nowNanos;
              } catch (Exception e) {
                ended.completeExceptionally(e);
              }
            },
            warmupMs + 1000,
            1000,
            TimeUnit.MILLISECONDS);
        timeline.schedule(() -> ended.complete(null), warmupMs + windowMs, TimeUnit.MILLISECONDS);
        ended.get(warmupMs + windowMs + 60_000, TimeUnit.MILLISECONDS);
      } finally {
        timeline.shutdownNow();
      }
      Snapshot s0 = started.get();
      Snapshot s1 = snapshot(rules, publisher, service, brokerProcess);
      double worstBehindMs = publisher.takeWorstBehindMs();
      publisher.stop();

      double seconds = (s1.nanos() - s0.nanos()) / 1e9;
      MetricsScrape m0 = s0.metrics();
      MetricsScrape m1 = s1.metrics();
      double evaluated = m1.total(BATCHES) - m0.total(BATCHES);
      out.put("window_s", round1(seconds));
      out.put("published_batches_per_s", round1((s1.sentMessages() - s0.sentMessages()) / seconds));
      out.put(
          "published_samples_per_s", Math.round((s1.sentSamples() - s0.sentSamples()) / seconds));
      out.put("broker_acked_batches_per_s", round1((s1.acked() - s0.acked()) / seconds));
      out.put("evaluated_batches_per_s", round1(evaluated / seconds));
      out.put("evaluated_batches_per_s_each_second", perSecond);
      out.put("publisher_worst_behind_schedule_ms", round1(worstBehindMs));
      out.put("publish_failures", publisher.failed());
      // Batches handed to the client but not evaluated yet at the end of the window: a service
      // that keeps up has about one round trip's worth.
      out.put("backlog_at_window_end_batches", Math.round(s1.sentMessages() - m1.total(BATCHES)));

      Map<String, Object> latency = new LinkedHashMap<>();
      TreeMap<Double, Double> h = MetricsScrape.delta(m0, m1, TIMER + "_bucket");
      latency.put(
          "method",
          "delta of the rules_batch_processing_seconds histogram (Micrometer percentile histogram,"
              + " buckets about 10-25% apart) over the window; each quantile is given as the"
              + " bucket that holds it: the true value is above the lower and at most the upper"
              + " bound");
      latency.put("batches", Math.round(h.isEmpty() ? 0 : h.lastEntry().getValue()));
      for (int i = 0; i < QUANTILES.length; i++) {
        double upper = MetricsScrape.quantileUpperBound(h, QUANTILES[i]);
        Double lower = Double.isNaN(upper) ? null : h.lowerKey(upper);
        latency.put(QUANTILE_NAMES[i] + "_ms", ms(upper));
        latency.put(QUANTILE_NAMES[i] + "_ms_above", lower == null ? 0.0 : ms(lower));
      }
      double count = m1.total(TIMER + "_count") - m0.total(TIMER + "_count");
      double sum = m1.total(TIMER + "_sum") - m0.total(TIMER + "_sum");
      latency.put("mean_ms", count == 0 ? null : round4(sum / count * 1000));
      latency.put("max_ms_recent", round4(m1.total(TIMER + "_max") * 1000));
      latency.put("share_within_1ms", round4(shareAtOrBelow(h, 0.001)));
      latency.put("buckets_ms", bucketsMs(h));
      out.put("processing", latency);

      Map<String, Object> transitions = new LinkedHashMap<>();
      double all = m1.total(TRANSITIONS) - m0.total(TRANSITIONS);
      transitions.put("per_s", round1(all / seconds));
      Map<String, Double> before = m0.byLabels(TRANSITIONS);
      m1.byLabels(TRANSITIONS)
          .forEach((labels, value) ->
              transitions.put(
                  labels.replaceAll(".*transition=\"([A-Z_]+)\".*", "$1").toLowerCase() + "_per_s",
                  round1((value - before.getOrDefault(labels, 0.0)) / seconds)));
      transitions.put("per_evaluated_batch", evaluated == 0 ? null : round4(all / evaluated));
      out.put("transitions", transitions);
      out.put("alarms_active_at_end", Math.round(m1.total("rules_alarms_active")));
      out.put("rules_faulted_at_end", Math.round(m1.total("rules_faulted")));
      out.put("dead_letters_total", Math.round(m1.total("rules_dlq_total")));

      out.put("service_cpu_cores", round2((s1.serviceCpu() - s0.serviceCpu()) / seconds));
      out.put("mosquitto_cpu_cores", round2((s1.brokerCpu() - s0.brokerCpu()) / seconds));
      out.put("harness_cpu_cores", round2((s1.harnessCpu() - s0.harnessCpu()) / seconds));
      out.put("machine_busy_cores", round2(Machine.busyCores(s0.machine(), s1.machine())));
      out.put("service_rss_peak_mb", Math.round(rssPeakKb[0] / 102.4) / 10.0);
      out.put(
          "service_rss_high_water_mb", Math.round(Machine.peakRssKb(rules.pid()) / 102.4) / 10.0);
      out.put("load_average_after_window", Machine.loadAverage());
    }
    return out;
  }

  private Snapshot snapshot(
      ServiceProcess rules, PacedPublisher publisher, ProcessHandle service, ProcessHandle broker)
      throws Exception {
    MetricsScrape m = RulesBench.scrape(rules);
    return new Snapshot(
        System.nanoTime(),
        m,
        publisher.sentMessages(),
        publisher.sentSamples(),
        publisher.acked(),
        Machine.cpuSeconds(service),
        broker == null ? 0 : Machine.cpuSeconds(broker),
        Machine.cpuSeconds(ProcessHandle.current()),
        Machine.cpuJiffies());
  }

  /** Share of the observations at or below {@code seconds}, from the buckets around it. */
  private static double shareAtOrBelow(TreeMap<Double, Double> h, double seconds) {
    if (h.isEmpty() || h.lastEntry().getValue() <= 0) {
      return Double.NaN;
    }
    Map.Entry<Double, Double> at = h.floorEntry(seconds);
    return at == null ? 0 : at.getValue() / h.lastEntry().getValue();
  }

  /** The non-empty buckets of the window: upper bound in ms to the count in that bucket. */
  private static Map<String, Long> bucketsMs(TreeMap<Double, Double> h) {
    Map<String, Long> b = new LinkedHashMap<>();
    double previous = 0;
    for (Map.Entry<Double, Double> e : h.entrySet()) {
      long inBucket = Math.round(e.getValue() - previous);
      previous = e.getValue();
      if (inBucket > 0) {
        b.put(String.valueOf(ms(e.getKey())), inBucket);
      }
    }
    return b;
  }

  /**
   * Seconds to ms with 4 decimals; NaN (no data) to null, beyond the largest bucket to "+Inf" (JSON
   * has no infinity).
   */
  private static Object ms(double seconds) {
    if (Double.isNaN(seconds)) {
      return null;
    }
    return Double.isInfinite(seconds) ? "+Inf" : Math.round(seconds * 1e7) / 1e4;
  }

  private static double round1(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static Double round4(double v) {
    return Double.isNaN(v) ? null : Math.round(v * 10_000) / 10_000.0;
  }
}
