package io.edgegw.ota.health;

import io.edgegw.contracts.Status;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest retained status of every component on {@code gw/v1/status/+}, as the agent heard it:
 * the health gate asks it whether a service is online, the gateway aggregate reports it.
 */
public final class StatusBoard {
  private final Map<String, Status> latest = new ConcurrentHashMap<>();

  /** Records a component's status (a newer report replaces the older). */
  public void update(Status status) {
    latest.put(status.component(), status);
  }

  /** A component's latest status. */
  public Optional<Status> get(String component) {
    return Optional.ofNullable(latest.get(component));
  }

  /** Every component's latest status, by name. */
  public Map<String, Status> all() {
    return new TreeMap<>(latest);
  }
}
