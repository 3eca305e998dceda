package io.edgegw.observability;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgegw.testsupport.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
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
import org.yaml.snakeyaml.Yaml;

/**
 * Debian's Prometheus on a free 127.0.0.1 port, configured from the committed {@code
 * compose/observability/prometheus/prometheus.yml}: same jobs, metrics paths and rule files, with
 * each job's target replaced by the process the test started for it (jobs without one are left out
 * and listed in {@link #droppedJobs()}) and a 1 s scrape and evaluation interval so a test sees
 * rates within seconds. Storage is a temporary directory.
 */
final class PrometheusServer implements AutoCloseable {
  static final Duration SCRAPE_INTERVAL = Duration.ofSeconds(1);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ExternalProgram program;
  private final int port;
  private final List<String> droppedJobs;
  private final HttpClient http = HttpClient.newHttpClient();

  private PrometheusServer(ExternalProgram program, int port, List<String> droppedJobs) {
    this.program = program;
    this.port = port;
    this.droppedJobs = droppedJobs;
  }

  /**
   * Starts Prometheus with the committed configuration in {@code configDir} ({@code prometheus.yml}
   * and its {@code rules/}), scraping {@code targets} (job name to host:port).
   */
  @SuppressWarnings("unchecked")
  static PrometheusServer start(Path configDir, Map<String, String> targets, Path workDir)
      throws IOException {
    Path binary = ExternalProgram.find("prometheus", "prometheus");
    Map<String, Object> config;
    try (var in = Files.newInputStream(configDir.resolve("prometheus.yml"))) {
      config = new Yaml().load(in);
    }
    Map<String, Object> global = (Map<String, Object>) config.get("global");
    global.put("scrape_interval", SCRAPE_INTERVAL.toSeconds() + "s");
    global.put("evaluation_interval", SCRAPE_INTERVAL.toSeconds() + "s");
    global.put("scrape_timeout", SCRAPE_INTERVAL.toSeconds() + "s");
    List<String> rules = new ArrayList<>();
    for (Object r : (List<Object>) config.getOrDefault("rule_files", List.of())) {
      rules.add(configDir.resolve(r.toString()).toString());
    }
    config.put("rule_files", rules);
    List<Map<String, Object>> jobs = new ArrayList<>();
    List<String> dropped = new ArrayList<>();
    for (Map<String, Object> job : (List<Map<String, Object>>) config.get("scrape_configs")) {
      String name = job.get("job_name").toString();
      String target = targets.get(name);
      if (target == null) {
        dropped.add(name);
        continue;
      }
      job.put("static_configs", List.of(Map.of("targets", List.of(target))));
      jobs.add(job);
    }
    for (String wanted : targets.keySet()) {
      if (jobs.stream().noneMatch(j -> j.get("job_name").equals(wanted))) {
        throw new IllegalArgumentException(
            "prometheus.yml has no job '" + wanted + "' (jobs: " + config.get("scrape_configs"));
      }
    }
    config.put("scrape_configs", jobs);
    Path file = workDir.resolve("prometheus-test.yml");
    Files.writeString(file, new Yaml().dump(config));
    Path data = Files.createDirectories(workDir.resolve("prometheus-data"));
    int port = FreePorts.loopback();
    ExternalProgram program =
        ExternalProgram.start(
            "prometheus",
            List.of(
                binary.toString(),
                "--config.file=" + file,
                "--storage.tsdb.path=" + data,
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn"),
            workDir,
            workDir.resolve("prometheus.log"));
    PrometheusServer server = new PrometheusServer(program, port, List.copyOf(dropped));
    try {
      await("Prometheus ready on 127.0.0.1:" + port)
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> {
            if (!program.isAlive()) {
              throw new IllegalStateException("prometheus exited\n" + program.logTail());
            }
            return server.status("/-/ready") == 200;
          });
      return server;
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  /** The committed jobs the test had no process for. */
  List<String> droppedJobs() {
    return droppedJobs;
  }

  /** {@code /api/v1/query} at now: the {@code data.result} array. */
  JsonNode query(String promql) {
    return result("/api/v1/query?query=" + encode(promql), promql);
  }

  /** {@code /api/v1/query_range}: the {@code data.result} array (one entry per series). */
  JsonNode queryRange(String promql, Instant start, Instant end, Duration step) {
    return result(
        "/api/v1/query_range?query="
            + encode(promql)
            + "&start="
            + start.getEpochSecond()
            + "&end="
            + end.getEpochSecond()
            + "&step="
            + step.toSeconds()
            + "s",
        promql);
  }

  /** What Grafana's {@code label_values(match, label)} lists. */
  List<String> labelValues(String match, String label) {
    JsonNode data =
        get("/api/v1/label/" + label + "/values?match[]=" + encode(match), "label_values");
    List<String> values = new ArrayList<>();
    data.path("data").forEach(v -> values.add(v.asText()));
    return values;
  }

  /** Each scrape target's job and health ("up", "down", "unknown") with its last error. */
  Map<String, String> targetHealth() {
    Map<String, String> health = new LinkedHashMap<>();
    for (JsonNode t : get("/api/v1/targets", "targets").path("data").path("activeTargets")) {
      health.put(
          t.path("labels").path("job").asText(),
          t.path("health").asText() + " " + t.path("lastError").asText());
    }
    return health;
  }

  String logTail() {
    return program.logTail();
  }

  private JsonNode result(String pathAndQuery, String promql) {
    JsonNode body = get(pathAndQuery, promql);
    return body.path("data").path("result");
  }

  private JsonNode get(String pathAndQuery, String what) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                  .timeout(Duration.ofSeconds(20))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode body = JSON.readTree(r.body());
      if (r.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
        throw new AssertionError(
            "Prometheus refused " + what + ": " + r.statusCode() + " " + r.body());
      }
      return body;
    } catch (IOException e) {
      throw new UncheckedIOException("Prometheus on port " + port + " did not answer", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private int status(String path) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    program.close();
  }
}
