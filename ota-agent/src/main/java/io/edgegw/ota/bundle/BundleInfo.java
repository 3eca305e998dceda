package io.edgegw.ota.bundle;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the agent needs to know of a bundle that passed verification: its version, its digest (the
 * identity the signature covers), the services it runs and how each one's health is checked.
 *
 * @param version the bundle's version
 * @param minAgentVersion the oldest agent that may apply it
 * @param digest the bundle's digest, {@code sha256:...}
 * @param services the Compose services it runs
 * @param healthChecks service to health check ({@code http://...} answered 200, or {@code running})
 * @param compose the Compose file, images pinned by digest
 */
public record BundleInfo(
    String version,
    String minAgentVersion,
    String digest,
    List<String> services,
    Map<String, String> healthChecks,
    byte[] compose) {
  public BundleInfo {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(digest, "digest");
    minAgentVersion = minAgentVersion == null ? "0" : minAgentVersion;
    services = List.copyOf(services);
    healthChecks = Map.copyOf(healthChecks);
    compose = compose.clone();
  }

  @Override
  public byte[] compose() {
    return compose.clone();
  }

  @Override
  public String toString() {
    return "bundle " + version + " (" + digest + ")";
  }
}
