package io.edgegw.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgegw.observability.PanelQueryRunner.Outcome;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The dashboard test. Grafana cannot run here, so every query of every panel of every dashboard in
 * {@code compose/observability/grafana/dashboards} runs for real: the PromQL against Debian's
 * Prometheus, configured from the committed prometheus.yml and rules, scraping the four packaged
 * services and node-exporter ({@link GatewayStack}); the SQL against the edge store those services
 * filled. Grafana's macros and template variables are expanded as Grafana does ({@link
 * GrafanaExpansion}). Each query must return data; one that does not fails the test with its
 * dashboard, panel title and expanded query.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DashboardQueriesProcessIT {
  static final Duration DATA_DEADLINE = Duration.ofSeconds(90);

  static Path observability;
  static Path work;
  static GatewayStack stack;
  static NodeExporter node;
  static PrometheusServer prometheus;
  static Instant prometheusStart;
  static PanelQueryRunner runner;
  static OtlpReceiver otlp;
  static List<Dashboard> dashboards;

  @BeforeAll
  static void start() throws Exception {
    observability = ObservabilityFiles.directory();
    dashboards = Dashboard.loadAll(observability.resolve("grafana/dashboards"));
    work = Files.createTempDirectory("observability-it");
    otlp = OtlpReceiver.start();
    stack = GatewayStack.start(otlp.endpoint());
    node = NodeExporter.start(work);
    Map<String, String> targets = new java.util.LinkedHashMap<>(stack.targets());
    targets.put("node", node.target());
    prometheusStart = Instant.now();
    prometheus = PrometheusServer.start(observability.resolve("prometheus"), targets, work);
    runner = new PanelQueryRunner(prometheus, DashboardQueriesProcessIT::store, prometheusStart);
  }

  static Connection store() {
    try {
      return stack.store();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot connect to the edge store", e);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {prometheus, node, stack, otlp}) {
      if (c != null) {
        c.close();
      }
    }
  }

  static List<Outcome> runAll() {
    Instant now = Instant.now();
    List<Outcome> all = new ArrayList<>();
    for (Dashboard d : dashboards) {
      all.addAll(runner.run(d, now));
    }
    return all;
  }

  static List<Outcome> failed(List<Outcome> outcomes) {
    return outcomes.stream().filter(o -> !o.ok()).toList();
  }

  @Test
  @Order(1)
  void everyScrapeTargetIsUp() {
    // The committed config has an ota-agent job; that agent is not part of this test.
    assertThat(prometheus.droppedJobs()).containsExactly("ota-agent");
    await("every target scraped")
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() ->
            assertThat(prometheus.targetHealth())
                .containsOnlyKeys("bridge", "buffer", "rules", "uplink", "node")
                .allSatisfy((job, health) -> assertThat(health).as(job).startsWith("up")));
  }

  @Test
  @Order(2)
  void everyPanelQueryOfEveryDashboardReturnsData() {
    List<List<Outcome>> last = new ArrayList<>(List.of(List.of()));
    try {
      // Data flows in over seconds (rates need two scrapes, the alarm needs its samples): wait
      // until every query has data, then hold the outcomes of that run.
      await("every panel query returns data")
          .atMost(DATA_DEADLINE)
          .pollInterval(Duration.ofSeconds(2))
          .until(() -> {
            List<Outcome> outcomes = runAll();
            last.set(0, outcomes);
            return failed(outcomes).isEmpty();
          });
    } catch (ConditionTimeoutException e) {
      // reported below with every failing panel
    }
    List<Outcome> outcomes = last.getFirst();
    String failures =
        failed(outcomes).stream().map(Outcome::report).collect(Collectors.joining("\n"));
    assertThat(failed(outcomes))
        .as(
            "panel queries without data after %s:\n%s\n(Prometheus targets: %s)",
            DATA_DEADLINE, failures, prometheus.targetHealth())
        .isEmpty();
    long panelQueries = dashboards.stream().mapToLong(d -> d.queries().size()).sum();
    assertThat(outcomes.size()).isEqualTo(panelQueries);
    assertThat(dashboards)
        .extracting(Dashboard::title)
        .contains("Gateway health", "Device communication", "Data explorer", "Alarms");
  }

  /** The rows of a panel query's outcome, described by the query for failure messages. */
  static org.assertj.core.api.ListAssert<String> assertRows(String dashboard, String panelPrefix) {
    Outcome o = outcome(dashboard, panelPrefix);
    return assertThat(o.rows()).as("%s\n%s\n%s", o.where(), o.query(), o.problem());
  }

  static Outcome outcome(String dashboard, String panelPrefix) {
    return runAll().stream()
        .filter(o -> o.where().startsWith(dashboard + " / " + panelPrefix))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no panel " + dashboard + " / " + panelPrefix));
  }

  @Test
  @Order(3)
  void thePanelsShowWhatTheStackDid() {
    // The cloud broker is up: once the backlog stored before uplink started is sent
    // (BACKFILLING), the uplink state panel shows ONLINE and nothing else, with no backlog.
    await("the uplink state panel shows ONLINE")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(() ->
            assertRows("Gateway health", "Uplink state (A)")
                .singleElement(InstanceOfAssertFactories.STRING)
                .contains("\"state\":\"ONLINE\""));
    assertRows("Gateway health", "Backlog (unsent samples)")
        .singleElement(InstanceOfAssertFactories.STRING)
        .endsWith(" 0");
    // The data explorer's first device and tag are tank/inlet; the tank's level is 95 %.
    assertRows("Data explorer", "$device: latest value")
        .anySatisfy(r ->
            assertThat(r).contains("tag=level").contains("value=95 ").contains("quality=GOOD"));
    // The unreachable vent: errors per second by kind, and COMM_FAILURE samples in the store.
    assertRows("Device communication", "Errors per second by kind")
        .anySatisfy(r -> assertThat(r).contains("\"device\":\"vent\""));
    assertRows("Device communication", "Samples that are not GOOD")
        .anySatisfy(r -> assertThat(r).contains("device=vent").contains("quality=COMM_FAILURE"));
    // The tank's high level raised its alarm, which is not cleared, and its interlock ran.
    assertRows("Alarms", "Rules loaded")
        .singleElement(InstanceOfAssertFactories.STRING)
        .endsWith(" 2");
    assertRows("Alarms", "Alarms not cleared")
        .anySatisfy(
            r -> assertThat(r).contains("alarm_id=tank-high").contains("severity=CRITICAL"));
    assertRows("Alarms", "Rule transitions and interlocks per second (B)")
        .anySatisfy(r -> assertThat(r).contains("\"ok\":\"true\""));
    assertThat(stack.tank.coil(0)).isFalse();
  }

  @Test
  @Order(4)
  void tracesGoOutOverOtlpOnlyFromTheServiceWhoseSdkIsSwitchedOn() throws Exception {
    HttpResponse<String> series =
        stack
            .buffer
            .http()
            .send(
                HttpRequest.newBuilder(stack.buffer.uri("/api/v1/series"))
                    .header("Authorization", "Bearer " + stack.bufferToken())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(series.statusCode()).as(series.body()).isEqualTo(200);
    await("buffer-service's span of GET /api/v1/series at the collector")
        .atMost(Duration.ofSeconds(30))
        .until(() ->
            otlp.exports().stream()
                .anyMatch(e -> e.mentions("buffer-service") && e.mentions("/api/v1/series")));
    assertThat(otlp.exports())
        .allSatisfy(e -> {
          assertThat(e.path()).isEqualTo("/v1/traces");
          assertThat(e.contentType()).isEqualTo("application/x-protobuf");
        });
    // bridge-service has the endpoint but not the switch: it handled the interlock's write
    // command (test 3 saw the coil written) and exported nothing.
    assertThat(otlp.exports()).noneMatch(e -> e.mentions("bridge-service"));
  }
}
