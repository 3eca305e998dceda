package io.edgegw.bundle;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a bundle says about itself: its version, the oldest ota-agent that can apply it, the
 * services it runs and how to tell that each one is healthy.
 *
 * <p>Stored as {@code manifest.json} (see {@link ManifestJson} for the form); the bundle's digest
 * covers its canonical encoding, so every field here is signed.
 *
 * @param version the bundle's version, {@code MAJOR.MINOR.PATCH}; versions only go up on a gateway
 * @param minAgentVersion the oldest ota-agent version that may apply this bundle
 * @param services the Compose services of the stack, each once, in start order
 * @param healthChecks per service, its readiness check: an {@code http://} or {@code https://} URL
 *     that must answer 2xx, or {@link #STATUS_CHECK} meaning its retained {@code
 *     gw/v1/status/{service}} must be online; a service without an entry has no health gate
 * @param created when the bundle was built
 */
public record BundleManifest(
    String version,
    String minAgentVersion,
    List<String> services,
    Map<String, String> healthChecks,
    Instant created) {

  /** The health check that asks for the service's retained status to be online. */
  public static final String STATUS_CHECK = "status";

  /** A Compose service name, as Compose accepts it. */
  static final Pattern SERVICE_NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");

  /** Validates every field; the lists and maps are copied, keeping their order. */
  public BundleManifest {
    Versions.requireValid(version, "manifest version");
    Versions.requireValid(minAgentVersion, "manifest minAgentVersion");
    Objects.requireNonNull(services, "manifest services");
    Objects.requireNonNull(healthChecks, "manifest healthChecks");
    Objects.requireNonNull(created, "manifest created");
    if (services.isEmpty()) {
      throw new IllegalArgumentException("manifest services is empty; a bundle runs at least one");
    }
    LinkedHashSet<String> seen = new LinkedHashSet<>();
    for (String service : services) {
      if (service == null || !SERVICE_NAME.matcher(service).matches()) {
        throw new IllegalArgumentException(
            "manifest services: '"
                + service
                + "' is not a Compose service name (letters, digits, '.', '_', '-')");
      }
      if (!seen.add(service)) {
        throw new IllegalArgumentException("manifest services: '" + service + "' appears twice");
      }
    }
    Map<String, String> checks = new LinkedHashMap<>();
    for (Map.Entry<String, String> check : healthChecks.entrySet()) {
      String service = check.getKey();
      String value = check.getValue();
      if (!seen.contains(service)) {
        throw new IllegalArgumentException(
            "manifest healthChecks: '" + service + "' is not one of the services " + seen);
      }
      if (value == null
          || !(value.equals(STATUS_CHECK)
              || value.startsWith("http://")
              || value.startsWith("https://"))) {
        throw new IllegalArgumentException(
            "manifest healthChecks."
                + service
                + ": '"
                + value
                + "' is neither \"status\" nor an http:// or https:// URL");
      }
      checks.put(service, value);
    }
    services = List.copyOf(services);
    healthChecks = java.util.Collections.unmodifiableMap(checks);
  }
}
