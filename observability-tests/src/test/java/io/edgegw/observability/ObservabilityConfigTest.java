package io.edgegw.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.edgegw.observability.Dashboard.Source;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The files of compose/observability checked without the stack: Prometheus's own checker and rule
 * unit tests (promtool, from Debian's prometheus package), the Loki and Promtail files' structure
 * (neither program is packaged by Debian), and the Grafana provisioning against the dashboards.
 */
class ObservabilityConfigTest {
  static final Path DIR = ObservabilityFiles.directory();
  static final Duration PROMTOOL_TIMEOUT = Duration.ofSeconds(60);

  static ExternalProgram.Run promtool(String... args) {
    Path promtool = ExternalProgram.find("promtool", "prometheus");
    List<String> command = new java.util.ArrayList<>(List.of(promtool.toString()));
    command.addAll(List.of(args));
    return ExternalProgram.run(command, DIR.resolve("prometheus"), PROMTOOL_TIMEOUT);
  }

  @Test
  void prometheusConfigAndRulesPassPromtoolCheck() {
    ExternalProgram.Run config = promtool("check", "config", "prometheus.yml");
    assertThat(config.exitCode()).as(config.output()).isZero();
    assertThat(config.output()).contains("SUCCESS: 1 rule files found");
    ExternalProgram.Run rules = promtool("check", "rules", "rules/gateway.yml");
    assertThat(rules.exitCode()).as(rules.output()).isZero();
  }

  @Test
  void alertRulesFireAsTheirUnitTestsExpect() {
    ExternalProgram.Run run = promtool("test", "rules", "tests/gateway_test.yml");
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).contains("SUCCESS");
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyServiceAndNodeExporterIsScrapedAtItsMetricsPath() throws IOException {
    Map<String, Object> config = yaml(DIR.resolve("prometheus/prometheus.yml"));
    Map<String, String> jobs = new java.util.LinkedHashMap<>();
    for (Map<String, Object> job : (List<Map<String, Object>>) config.get("scrape_configs")) {
      List<Map<String, Object>> statics = (List<Map<String, Object>>) job.get("static_configs");
      jobs.put(
          job.get("job_name") + " " + job.getOrDefault("metrics_path", "/metrics"),
          ((List<String>) statics.getFirst().get("targets")).getFirst());
    }
    assertThat(jobs)
        .containsEntry("bridge /q/metrics", "bridge:8081")
        .containsEntry("buffer /q/metrics", "buffer:8082")
        .containsEntry("rules /q/metrics", "rules:8083")
        .containsEntry("uplink /q/metrics", "uplink:8084")
        .containsEntry("ota-agent /q/metrics", "host.containers.internal:8085")
        .containsEntry("node /metrics", "host.containers.internal:9100");
  }

  @Test
  @SuppressWarnings("unchecked")
  void lokiKeepsItsDataLocallyWithRetentionAndPromtailShipsTheJournalToIt() throws IOException {
    Map<String, Object> loki = yaml(DIR.resolve("loki/loki.yaml"));
    assertThat(loki)
        .containsKeys("server", "common", "schema_config", "limits_config", "compactor");
    assertThat((Map<String, Object>) loki.get("server")).containsEntry("http_listen_port", 3100);
    assertThat((Map<String, Object>) loki.get("limits_config"))
        .containsEntry("retention_period", "336h");
    assertThat((Map<String, Object>) loki.get("compactor"))
        .containsEntry("retention_enabled", true);
    Map<String, Object> promtail = yaml(DIR.resolve("promtail/promtail.yaml"));
    List<Map<String, Object>> clients = (List<Map<String, Object>>) promtail.get("clients");
    assertThat(clients)
        .extracting(c -> c.get("url"))
        .containsExactly("http://loki:3100/loki/api/v1/push");
    List<Map<String, Object>> scrapes = (List<Map<String, Object>>) promtail.get("scrape_configs");
    assertThat(scrapes).anySatisfy(s -> assertThat(s).containsKey("journal"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyDashboardUsesAProvisionedDatasourceAndLinksToTheManagementPage() throws IOException {
    Map<String, Object> provisioning =
        yaml(DIR.resolve("grafana/provisioning/datasources/datasources.yaml"));
    Set<String> uids = new HashSet<>();
    for (Map<String, Object> ds : (List<Map<String, Object>>) provisioning.get("datasources")) {
      uids.add(ds.get("type") + "/" + ds.get("uid"));
    }
    assertThat(uids)
        .contains("prometheus/prometheus", "grafana-postgresql-datasource/edge-store", "loki/loki");
    for (Dashboard d : Dashboard.loadAll(DIR.resolve("grafana/dashboards"))) {
      JsonNode root = Dashboard.JSON.readTree(d.file().toFile());
      root.findValues("datasource")
          .forEach(ds ->
              assertThat(uids)
                  .as("%s: datasource %s", d.title(), ds)
                  .contains(ds.path("type").asText() + "/" + ds.path("uid").asText()));
      assertThat(d.linkUrls()).as(d.title()).contains("${agent}/");
      assertThat(d.variables())
          .as(d.title())
          .anySatisfy(v -> {
            assertThat(v.name()).isEqualTo("agent");
            assertThat(v.current()).isEqualTo("http://localhost:8085");
          });
      assertThat(d.queries()).as(d.title()).isNotEmpty();
    }
    Map<String, Object> dashboards =
        yaml(DIR.resolve("grafana/provisioning/dashboards/dashboards.yaml"));
    assertThat((List<Object>) dashboards.get("providers")).hasSize(1);
  }

  @Test
  void theDataExplorerCoversThirtyDaysInTimeBucketsOfTheChosenSeries() {
    Dashboard d = Dashboard.load(DIR.resolve("grafana/dashboards/data-explorer.json"));
    assertThat(d.timeFrom()).isEqualTo("now-30d");
    assertThat(d.variables())
        .extracting(Dashboard.Variable::name)
        .containsExactly("agent", "device", "tag", "bucket");
    assertThat(d.queries())
        .filteredOn(q -> q.source() == Source.POSTGRES && q.format().equals("time_series"))
        .allSatisfy(q -> assertThat(q.text()).contains("$__timeGroupAlias(s.ts, '$bucket')"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void theComposeOverlayGivesEveryContainerAHealthCheckARestartPolicyAndAMemoryLimit()
      throws IOException {
    Map<String, Object> overlay = yaml(DIR.resolve("observability.yaml"));
    Map<String, Map<String, Object>> services =
        (Map<String, Map<String, Object>>) overlay.get("services");
    assertThat(services).containsOnlyKeys("prometheus", "loki", "promtail", "grafana");
    // Relative paths of an overlay resolve against the first file's directory, compose/.
    Path compose = DIR.getParent();
    services.forEach((name, service) -> {
      assertThat(service).as(name).containsKeys("healthcheck", "restart", "mem_limit");
      assertThat((List<String>) service.get("networks"))
          .as(name + ": monitoring sits on the internal bus and the management network only")
          .isSubsetOf("bus", "mgmt");
      for (Object volume : (List<Object>) service.getOrDefault("volumes", List.of())) {
        String source = volume.toString().split(":")[0];
        if (source.startsWith("./")) {
          assertThat(compose.resolve(source)).as(name + " mounts " + source).exists();
        }
      }
    });
    assertThat((List<Object>) services.get("grafana").get("secrets"))
        .anySatisfy(s -> assertThat(s.toString()).contains("target=grafana_db_password"));
  }

  static Map<String, Object> yaml(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return new Yaml().load(in);
    }
  }
}
