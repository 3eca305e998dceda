package io.edgegw.rules.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.bench.Machine;
import io.edgegw.testsupport.bench.MetricsScrape;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rules benchmark, started by {@code bench/rules.sh}: rule evaluation of the packaged service
 * under a 100,000 samples/s stream ({@link ProcessingBench}), and from a register change in a
 * simulated device through the packaged bridge and rules to the alarm on the bus and the interlock
 * write in the device ({@link EndToEndBench}). Each phase starts its own Mosquitto from
 * test-support; the services run as child JVMs with the gateway's {@code bin/jvm-options}.
 *
 * <p>Settings come from environment variables, listed in {@link Settings#fromEnvironment()} and in
 * the header of {@code bench/rules.sh}. The measurements go to one JSON file, which {@code
 * bench/rules_report.py} turns into {@code bench/results/rules.json} and a row of {@code
 * docs/benchmarks.md}.
 *
 * <p>A harness, not a test: the name has no Test/IT suffix, so surefire and failsafe skip it.
 */
public final class RulesBench {

  /**
   * What to run and how large.
   *
   * @param phases any of processing, e2e
   * @param work scratch directory for the generated files
   * @param output the measurements file
   * @param rulesJar the packaged rules-service ({@code quarkus-run.jar})
   * @param bridgeJar the packaged bridge-service
   * @param jvmOptions options of the service JVMs (bin/jvm-options)
   * @param processing processing settings
   * @param e2e end-to-end settings
   */
  record Settings(
      Set<String> phases,
      Path work,
      Path output,
      Path rulesJar,
      Path bridgeJar,
      List<String> jvmOptions,
      ProcessingBench.Settings processing,
      EndToEndBench.Settings e2e) {

    static Settings fromEnvironment() throws IOException {
      Path work = Path.of(env("WORK", "bench/work/rules"));
      return new Settings(
          Set.of(env("PHASES", "processing,e2e").split(",")),
          work,
          Path.of(env("RAW_OUT", work.resolve("raw.json").toString())),
          Path.of(env("RULES_JAR", "rules-service/target/quarkus-app/quarkus-run.jar")),
          Path.of(env("BRIDGE_JAR", "bridge-service/target/quarkus-app/quarkus-run.jar")),
          serviceJvmOptions(
              Path.of(env("JVM_OPTIONS_FILE", "bin/jvm-options")), env("SERVICE_JVM_EXTRA", "")),
          new ProcessingBench.Settings(
              intEnv("PROC_DEVICES", 1_000),
              intEnv("PROC_TAGS", 100),
              intEnv("PROC_RULES", 1_000),
              intEnv("PROC_RATE", 100_000),
              Duration.ofSeconds(intEnv("PROC_WARMUP", 20)),
              Duration.ofSeconds(intEnv("PROC_WINDOW", 60))),
          new EndToEndBench.Settings(
              Duration.ofMillis(intEnv("E2E_POLL_MS", 100)),
              intEnv("E2E_ITERATIONS", 100),
              intEnv("E2E_WARMUP_ITERATIONS", 5),
              Duration.ofSeconds(intEnv("E2E_BUDGET", 180)),
              Duration.ofSeconds(5)));
    }

    boolean runs(String phase) {
      return phases.contains(phase);
    }
  }

  private RulesBench() {}

  /** Runs the phases and writes the measurements; exits non-zero when a phase fails. */
  public static void main(String[] args) throws Exception {
    Settings settings = Settings.fromEnvironment();
    Files.createDirectories(settings.work());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("started", Instant.now().toString());
    out.put("machine", Machine.describe());
    Map<String, Object> effective = new LinkedHashMap<>();
    effective.put("phases", String.join(",", settings.phases()));
    effective.put("processing", settings.processing().toString());
    effective.put("e2e", settings.e2e().toString());
    effective.put("service_jvm_options", String.join(" ", settings.jvmOptions()));
    out.put("settings", effective);
    long start = System.nanoTime();
    try {
      if (settings.runs("processing")) {
        phase(
            out,
            "processing",
            () ->
                out.put("processing", new ProcessingBench(settings, settings.processing()).run()));
      }
      if (settings.runs("e2e")) {
        phase(out, "e2e", () -> out.put("e2e", new EndToEndBench(settings, settings.e2e()).run()));
      }
    } finally {
      out.put("total_s", Math.round((System.nanoTime() - start) / 1e8) / 10.0);
      out.put("load_average_at_end", Machine.loadAverage());
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(settings.output().toFile(), out);
    }
    System.out.println("measurements written to " + settings.output());
    if (out.containsKey("failed")) {
      System.err.println("phases failed: " + out.get("failed") + "; see " + settings.output());
      System.exit(1);
    }
    // A HiveMQ client's event loop (a non-daemon thread) has been seen to outlive its client's
    // disconnect; everything is written, so end here rather than hold the build lock.
    System.exit(0);
  }

  /** A phase of the benchmark. */
  @FunctionalInterface
  interface Phase {
    void run() throws Exception;
  }

  /**
   * Runs a phase; a failure is recorded under "failed" and the next phase still runs. The harness
   * then exits non-zero.
   */
  private static void phase(Map<String, Object> out, String name, Phase phase) {
    try {
      phase.run();
    } catch (Exception | AssertionError e) {
      e.printStackTrace();
      @SuppressWarnings("unchecked")
      Map<String, String> failed =
          (Map<String, String>) out.computeIfAbsent("failed", k -> new LinkedHashMap<>());
      failed.put(name, e.toString());
    }
  }

  /**
   * A packaged service with the gateway's JVM options; {@code -D} options among them become
   * properties, as {@link ServiceProcess} keeps the two apart.
   */
  static ServiceProcess.Builder service(String name, Path jar, List<String> jvmOptions) {
    ServiceProcess.Builder b = ServiceProcess.builder(name, jar);
    for (String option : jvmOptions) {
      if (option.startsWith("-D")) {
        String[] kv = option.substring(2).split("=", 2);
        b.property(kv[0], kv.length > 1 ? kv[1] : "");
      } else {
        b.jvmOption(option);
      }
    }
    return b;
  }

  /** A Prometheus scrape of the service's /q/metrics. */
  static MetricsScrape scrape(ServiceProcess service) throws IOException, InterruptedException {
    HttpResponse<String> r =
        service
            .http()
            .send(
                HttpRequest.newBuilder(service.uri("/q/metrics"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(
          "/q/metrics of " + service.name() + " answered " + r.statusCode());
    }
    return MetricsScrape.parse(r.body());
  }

  /** Lines of the service's log that contain {@code needle}. */
  static long logLines(ServiceProcess service, String needle) {
    return service.log().lines().filter(l -> l.contains(needle)).count();
  }

  /** The mosquitto this harness started (a child of this JVM), or null. */
  static ProcessHandle mosquitto() {
    return ProcessHandle.current()
        .descendants()
        .filter(p -> p.info().command().map(c -> c.endsWith("/mosquitto")).orElse(false))
        .findFirst()
        .orElse(null);
  }

  /**
   * The JVM options in a file like bin/jvm-options (one or more per line, # comments), then {@code
   * extra} (space-separated, e.g. a flight recording to see where the time goes).
   */
  static List<String> serviceJvmOptions(Path file, String extra) throws IOException {
    List<String> options = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String l = line.strip();
      if (!l.isEmpty() && !l.startsWith("#")) {
        options.addAll(List.of(l.split("\\s+")));
      }
    }
    if (!extra.isBlank()) {
      options.addAll(List.of(extra.strip().split("\\s+")));
    }
    return options;
  }

  static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v.strip();
  }

  static int intEnv(String name, int fallback) {
    String v = env(name, null);
    if (v == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "environment variable " + name + " must be a whole number, got '" + v + "'");
    }
  }
}
