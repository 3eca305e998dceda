package io.edgegw.ota.health;

import io.edgegw.contracts.Status;
import io.edgegw.ota.update.InstalledBundle;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway's health in one report, retained on {@code gw/v1/status/gateway}: every component's
 * state and version, the buffer's and the uplink's details, the host, and the installed bundle. Its
 * state is the worst of the expected services' states (a service never heard of counts as OFFLINE).
 */
public final class GatewayHealth {
  /** The component name of the aggregate. */
  public static final String COMPONENT = "gateway";

  /** Components whose whole detail goes into the report: device comms, buffer fill, link state. */
  private static final java.util.Set<String> DETAILED =
      java.util.Set.of("bridge", "buffer", "uplink");

  /** Statuses the agent itself publishes that get their own section instead of a service entry. */
  private static final java.util.Set<String> OWN_SECTIONS = java.util.Set.of("artifacts");

  private GatewayHealth() {}

  /** The report with one more section in its detail (e.g. the device artifacts' summary). */
  public static Status withSection(Status report, String section, Map<String, Object> value) {
    Map<String, Object> detail = new LinkedHashMap<>(report.detail());
    detail.put(section, value);
    return Status.of(
        report.component(), report.state(), report.version(), report.started(), report.t(), detail);
  }

  /**
   * @param statuses every component's latest status (the aggregate's own is ignored)
   * @param expected the services the installed bundle runs
   * @param host the host metrics
   * @param installed the installed bundle, or null
   * @param version the agent's version
   * @param started the agent's start
   * @param now the report's time
   */
  public static Status report(
      Map<String, Status> statuses,
      List<String> expected,
      Map<String, Object> host,
      InstalledBundle installed,
      String version,
      long started,
      long now) {
    Map<String, Object> services = new LinkedHashMap<>();
    Status.State worst = Status.State.ONLINE;
    for (Status s : statuses.values()) {
      if (s.component().equals(COMPONENT) || OWN_SECTIONS.contains(s.component())) {
        continue;
      }
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("state", s.state().name());
      one.put("version", s.version());
      one.put("t", s.t());
      if (DETAILED.contains(s.component())) {
        one.put("detail", s.detail());
      }
      services.put(s.component(), one);
      worst = worse(worst, s.state());
    }
    for (String service : expected) {
      if (!statuses.containsKey(service)) {
        services.put(service, Map.of("state", "UNKNOWN"));
      }
    }
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("services", services);
    detail.put("host", host);
    if (installed != null) {
      detail.put(
          "bundle",
          Map.of(
              "version", installed.version(),
              "digest", installed.digest(),
              "installedAt", installed.installedAt()));
    }
    Status.State state = worst == Status.State.OFFLINE ? Status.State.DEGRADED : worst;
    if (state == Status.State.STARTING) {
      state = Status.State.DEGRADED;
    }
    return Status.of(COMPONENT, state, version, started, now, detail);
  }

  private static Status.State worse(Status.State a, Status.State b) {
    return rank(b) > rank(a) ? b : a;
  }

  private static int rank(Status.State s) {
    return switch (s) {
      case ONLINE -> 0;
      case STARTING -> 1;
      case DEGRADED -> 2;
      case OFFLINE -> 3;
    };
  }
}
