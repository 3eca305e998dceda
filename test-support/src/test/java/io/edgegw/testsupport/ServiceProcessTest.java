package io.edgegw.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link ServiceProcess} decides without starting anything: the command line, the environment
 * and the reading of {@code /q/metrics}. Starting, killing and restarting are exercised on the
 * packaged buffer-service by its {@code *ProcessIT} tests.
 */
class ServiceProcessTest {

  private static final String EXPOSITION =
      """
      # HELP rules_alarms_total Alarms raised
      # TYPE rules_alarms_total counter
      rules_alarms_total 7.0
      rules_alarms_total{device="pump-1",severity="MAJOR"} 3.0
      rules_alarms_total{severity="MAJOR",device="pump-2",} 4.0
      rules_alarms_total_created 1.7E9
      odd_label{text="a \\"quoted\\", comma\\\\"} 1.0
      lag_bucket{le="+Inf"} 12.0
      lag_max +Inf
      """;

  @TempDir Path temp;

  @Test
  void aMetricWithoutLabelsIsTheLineWithoutLabels() {
    assertThat(MetricLine.find(EXPOSITION, "rules_alarms_total", Map.of())).hasValue(7.0);
    assertThat(MetricLine.find(EXPOSITION, "rules_alarms", Map.of())).isEmpty();
  }

  @Test
  void labelsMatchExactlyInAnyOrder() {
    assertThat(
            MetricLine.find(
                EXPOSITION, "rules_alarms_total", Map.of("severity", "MAJOR", "device", "pump-1")))
        .hasValue(3.0);
    assertThat(
            MetricLine.find(
                EXPOSITION, "rules_alarms_total", Map.of("device", "pump-2", "severity", "MAJOR")))
        .hasValue(4.0);
    assertThat(MetricLine.find(EXPOSITION, "rules_alarms_total", Map.of("severity", "MAJOR")))
        .as("a subset of the labels is not a match")
        .isEmpty();
  }

  @Test
  void labelValuesAreUnescapedAndInfinityIsANumber() {
    assertThat(MetricLine.find(EXPOSITION, "odd_label", Map.of("text", "a \"quoted\", comma\\")))
        .hasValue(1.0);
    assertThat(MetricLine.find(EXPOSITION, "lag_bucket", Map.of("le", "+Inf"))).hasValue(12.0);
    assertThat(MetricLine.find(EXPOSITION, "lag_max", Map.of())).hasValue(Double.POSITIVE_INFINITY);
  }

  @Test
  void theCommandLineCarriesPropertiesInOrderAndNoSecret() throws IOException {
    Path jar = packagedJar();
    try (ServiceProcess p =
        ServiceProcess.builder("svc", jar)
            .jvmOption("-XX:+UseSerialGC")
            .heap("64m")
            .property("b.second", "2")
            .fileProperty("a.file", "devices.yaml")
            .property("c.third", "x y")
            .secret("SVC_PASSWORD", "s3cret-value")
            .build()) {
      List<String> command = p.command();

      assertThat(command).noneMatch(arg -> arg.contains("s3cret-value"));
      assertThat(command.get(1)).isEqualTo("-Xmx64m");
      assertThat(command)
          .containsSubsequence(
              "-XX:+UseSerialGC",
              "-XX:+ExitOnOutOfMemoryError",
              "-Dquarkus.http.port=" + p.port(),
              "-Dquarkus.log.console.json.enabled=false",
              "-Db.second=2",
              "-Da.file=" + p.directory().resolve("devices.yaml"),
              "-Dc.third=x y");
      assertThat(command.subList(command.size() - 2, command.size()))
          .containsExactly("-jar", jar.toString());
      assertThat(p.directory()).isDirectory();
    }
  }

  @Test
  void theEnvironmentLosesClearedPrefixesAndGainsTheSecrets() throws IOException {
    try (ServiceProcess p =
        ServiceProcess.builder("svc", packagedJar())
            .clearEnvironmentPrefix("SVC_")
            .secret("SVC_PASSWORD", "s3cret-value")
            .build()) {
      Map<String, String> environment =
          p.environment(
              Map.of(
                  "PATH", "/usr/bin",
                  "QUARKUS_PROFILE", "dev",
                  "SVC_BUS_PORT", "1",
                  "OTHER_SVC_X", "kept"));

      assertThat(environment)
          .containsOnly(
              Map.entry("PATH", "/usr/bin"),
              Map.entry("OTHER_SVC_X", "kept"),
              Map.entry("SVC_PASSWORD", "s3cret-value"));
    }
  }

  @Test
  void closeDeletesTheDirectory() throws IOException {
    ServiceProcess p = ServiceProcess.builder("svc", packagedJar()).build();
    Path dir = p.directory();
    p.close();
    assertThat(dir).doesNotExist();
  }

  @Test
  void thePortIsNotAPropertyToSet() {
    assertThatThrownBy(() ->
            ServiceProcess.builder("svc", temp.resolve("x.jar")).property("quarkus.http.port", "1"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aMissingJarSaysToPackageFirst() {
    assertThatThrownBy(() -> ServiceProcess.builder("svc", temp.resolve("none.jar")).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("package the service first");
  }

  private Path packagedJar() throws IOException {
    Path app = Files.createDirectories(temp.resolve("target/quarkus-app"));
    return Files.createFile(app.resolve("quarkus-run.jar"));
  }
}
