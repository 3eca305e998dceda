package io.edgegw.contracts;

import java.util.Map;

/**
 * Health of one component, retained on {@code gw/v1/status/{component}}. The component's last will
 * sets it to {@link State#OFFLINE}.
 *
 * @param v schema version
 * @param component component name
 * @param state current state
 * @param version software version
 * @param started start time, epoch milliseconds UTC
 * @param t time of this report
 * @param detail component-specific facts (counters, mode, backlog), flat and JSON-friendly
 */
public record Status(
    int v,
    String component,
    State state,
    String version,
    long started,
    long t,
    Map<String, Object> detail)
    implements Payload {

  /** Component states. */
  public enum State {
    /** Starting; configuration loaded, not yet serving. */
    STARTING,
    /** Serving normally. */
    ONLINE,
    /** Serving, with a problem an operator should look at (listed in the detail). */
    DEGRADED,
    /** Not serving; set by the last will when the component vanished. */
    OFFLINE
  }

  public Status {
    Checks.version(v);
    Checks.topicLevel(component, "component");
    Checks.present(state, "state");
    Checks.text(version, "version");
    Checks.epochMillis(started, "started");
    Checks.epochMillis(t, "t");
    detail = detail == null ? Map.of() : Map.copyOf(detail);
  }

  /** A status in the current schema version. */
  public static Status of(
      String component,
      State state,
      String version,
      long started,
      long t,
      Map<String, Object> detail) {
    return new Status(SCHEMA_VERSION, component, state, version, started, t, detail);
  }
}
