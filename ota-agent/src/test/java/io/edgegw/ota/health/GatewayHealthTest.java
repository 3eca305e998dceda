package io.edgegw.ota.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.contracts.Status;
import io.edgegw.ota.update.InstalledBundle;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class GatewayHealthTest {
  private static Status status(String component, Status.State state, Map<String, Object> detail) {
    return Status.of(component, state, "1.0.0", 1_000, 2_000, detail);
  }

  @Test
  void theWorstServiceDecidesAndDetailsOfBufferUplinkAndBridgeAreKept() {
    Map<String, Status> statuses = new TreeMap<>();
    statuses.put("bridge", status("bridge", Status.State.ONLINE, Map.of("unreachable", 0)));
    statuses.put("buffer", status("buffer", Status.State.ONLINE, Map.of("fillPercent", 12.5)));
    statuses.put(
        "uplink",
        status("uplink", Status.State.DEGRADED, Map.of("link", "OFFLINE", "backlogRows", 42)));
    statuses.put("rules", status("rules", Status.State.ONLINE, Map.of("faulted", 0)));
    statuses.put("gateway", status("gateway", Status.State.OFFLINE, Map.of()));
    Status report =
        GatewayHealth.report(
            statuses,
            List.of("mosquitto", "buffer"),
            Map.of("diskUsedPercent", 40.0),
            new InstalledBundle("2.0.0", "sha256:abc", "2.0.0-abc", 5_000, "c1"),
            "0.1.0",
            1_000,
            9_000);
    assertThat(report.component()).isEqualTo("gateway");
    assertThat(report.state()).isEqualTo(Status.State.DEGRADED);
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> services =
        (Map<String, Map<String, Object>>) report.detail().get("services");
    assertThat(services).containsOnlyKeys("bridge", "buffer", "uplink", "rules", "mosquitto");
    assertThat(services.get("uplink").get("detail"))
        .isEqualTo(Map.of("link", "OFFLINE", "backlogRows", 42));
    assertThat(services.get("rules")).doesNotContainKey("detail");
    assertThat(services.get("mosquitto")).containsEntry("state", "UNKNOWN");
    assertThat(report.detail().get("bundle"))
        .isEqualTo(Map.of("version", "2.0.0", "digest", "sha256:abc", "installedAt", 5_000L));
  }

  @Test
  void anOfflineServiceMakesTheGatewayDegradedNotOffline() {
    Status report =
        GatewayHealth.report(
            Map.of("bridge", status("bridge", Status.State.OFFLINE, Map.of())),
            List.of(),
            Map.of(),
            null,
            "0.1.0",
            1_000,
            9_000);
    // the gateway itself (the agent reporting) is up; OFFLINE is for the last will
    assertThat(report.state()).isEqualTo(Status.State.DEGRADED);
    assertThat(report.detail()).doesNotContainKey("bundle");
  }
}
