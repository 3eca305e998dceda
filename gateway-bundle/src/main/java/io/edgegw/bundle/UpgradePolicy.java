package io.edgegw.bundle;

import io.edgegw.bundle.BundleRejectedException.Reason;
import java.util.Optional;
import java.util.Set;

/**
 * The version rules of an update: versions only go up, except a rollback to a bundle this gateway
 * installed before; and the running ota-agent must be at least the bundle's {@code
 * minAgentVersion}.
 *
 * <p>A rollback is recognised by the bundle's digest, not by its version number: an older version
 * is accepted only when this exact bundle was installed here before.
 */
public final class UpgradePolicy {

  private UpgradePolicy() {}

  /**
   * Checks a verified bundle against what is installed.
   *
   * @param bundle the candidate, already verified by {@link BundleVerifier}
   * @param agentVersion the running ota-agent's version
   * @param installedVersion the version installed now; empty on a fresh gateway
   * @param installedBefore digests of every bundle this gateway has installed, the current one
   *     included
   * @throws BundleRejectedException {@link Reason#AGENT_TOO_OLD} or {@link Reason#DOWNGRADE}
   */
  public static void check(
      Bundle bundle,
      String agentVersion,
      Optional<String> installedVersion,
      Set<String> installedBefore)
      throws BundleRejectedException {
    BundleManifest manifest = bundle.manifest();
    if (Versions.compare(agentVersion, manifest.minAgentVersion()) < 0) {
      throw new BundleRejectedException(
          Reason.AGENT_TOO_OLD,
          "bundle "
              + manifest.version()
              + " needs ota-agent "
              + manifest.minAgentVersion()
              + " or later; this one is "
              + agentVersion);
    }
    if (installedVersion.isEmpty()
        || Versions.compare(manifest.version(), installedVersion.get()) > 0
        || installedBefore.contains(bundle.digest())) {
      return;
    }
    throw new BundleRejectedException(
        Reason.DOWNGRADE,
        "bundle "
            + manifest.version()
            + " ("
            + bundle.digest()
            + ") is not above the installed "
            + installedVersion.get()
            + " and was never installed on this gateway");
  }
}
