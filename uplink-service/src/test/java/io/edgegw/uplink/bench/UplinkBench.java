package io.edgegw.uplink.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.bench.Machine;
import java.io.IOException;
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
 * The uplink benchmark, started by {@code bench/uplink.sh}: unthrottled backfill of a large backlog
 * to a loopback TLS broker ({@link BackfillBench}), then throttled backfill with live commits every
 * 100 ms ({@link ThrottleBench}). One PostgreSQL for both, a fresh database, brokers and service
 * per phase; the service runs packaged with the gateway's {@code bin/jvm-options}.
 *
 * <p>Settings come from environment variables (see the header of {@code bench/uplink.sh}); the
 * measurements go to one JSON file that {@code bench/uplink_report.py} turns into {@code
 * bench/results/uplink.json} and a row of {@code docs/benchmarks.md}.
 *
 * <p>A harness, not a test: the name has no Test/IT suffix, so surefire and failsafe skip it.
 */
public final class UplinkBench {

  /**
   * @param phases any of backfill, throttle
   * @param output the measurements file
   * @param uplinkJar the packaged uplink-service
   * @param migrations buffer-service's Flyway directory
   * @param jvmOptions options of the service JVM (bin/jvm-options)
   */
  record Settings(
      Set<String> phases,
      Path output,
      Path uplinkJar,
      Path migrations,
      List<String> jvmOptions,
      BackfillBench.Settings backfill,
      ThrottleBench.Settings throttle) {

    static Settings fromEnvironment() throws IOException {
      return new Settings(
          Set.of(env("PHASES", "backfill,throttle").split(",")),
          Path.of(env("RAW_OUT", "bench/work/uplink/raw.json")),
          Path.of(env("UPLINK_JAR", "uplink-service/target/quarkus-app/quarkus-run.jar")),
          Path.of(env("MIGRATIONS", "buffer-service/src/main/resources/db/migration"))
              .toAbsolutePath(),
          serviceJvmOptions(
              Path.of(env("JVM_OPTIONS_FILE", "bin/jvm-options")), env("SERVICE_JVM_EXTRA", "")),
          new BackfillBench.Settings(
              intEnv("BACKFILL_SAMPLES", 1_000_000),
              intEnv("BACKFILL_SERIES", 10_000),
              intEnv("BACKFILL_PER_COMMIT", 1_000),
              Duration.ofSeconds(intEnv("BACKFILL_BUDGET", 120)),
              intEnv("BACKFILL_VACUUM", 0) == 1),
          new ThrottleBench.Settings(
              intEnv("THROTTLE_RATE", 20),
              intEnv("THROTTLE_SAMPLES_PER_MESSAGE", 100),
              Duration.ofSeconds(intEnv("THROTTLE_WARMUP", 10)),
              Duration.ofSeconds(intEnv("THROTTLE_WINDOW", 60)),
              Duration.ofMillis(intEnv("LIVE_EVERY_MS", 100)),
              intEnv("LIVE_TAGS", 10)));
    }
  }

  private UplinkBench() {}

  /** Runs the phases and writes the measurements; exits non-zero when a phase fails. */
  public static void main(String[] args) throws Exception {
    Settings settings = Settings.fromEnvironment();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("started", Instant.now().toString());
    out.put("machine", Machine.describe());
    Map<String, Object> effective = new LinkedHashMap<>();
    effective.put("phases", String.join(",", settings.phases()));
    effective.put("backfill", settings.backfill().toString());
    effective.put("throttle", settings.throttle().toString());
    effective.put("service_jvm_options", String.join(" ", settings.jvmOptions()));
    out.put("settings", effective);
    long start = System.nanoTime();
    try (PostgresServer pg = PostgresServer.start()) {
      if (settings.phases().contains("backfill")) {
        phase(
            out,
            "backfill",
            () -> out.put("backfill", new BackfillBench(settings, settings.backfill(), pg).run()));
      }
      if (settings.phases().contains("throttle")) {
        phase(
            out,
            "throttle",
            () -> out.put("throttle", new ThrottleBench(settings, settings.throttle(), pg).run()));
      }
    } finally {
      out.put("total_s", Math.round((System.nanoTime() - start) / 1e8) / 10.0);
      out.put("load_average_at_end", Machine.loadAverage());
      Files.createDirectories(settings.output().toAbsolutePath().getParent());
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(settings.output().toFile(), out);
    }
    System.out.println("measurements written to " + settings.output());
    if (out.containsKey("failed")) {
      System.err.println("phases failed: " + out.get("failed") + "; see " + settings.output());
      System.exit(1);
    }
    // HiveMQ client event loops can outlive their disconnect; everything is written, so end here.
    System.exit(0);
  }

  /** A phase of the benchmark. */
  @FunctionalInterface
  interface Phase {
    void run() throws Exception;
  }

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

  /** Lines of the service's log that contain {@code needle}. */
  static long logLines(ServiceProcess service, String needle) {
    return service.log().lines().filter(l -> l.contains(needle)).count();
  }

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
