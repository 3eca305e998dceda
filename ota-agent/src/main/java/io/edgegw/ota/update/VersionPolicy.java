package io.edgegw.ota.update;

import io.edgegw.ota.bundle.BundleInfo;
import io.edgegw.ota.bundle.BundleRejectedException;
import java.util.Comparator;

/**
 * Whether a verified bundle may be installed on this gateway: versions only go up, except a return
 * to a bundle this gateway committed before; and the bundle must not need a newer agent.
 */
public final class VersionPolicy {
  private final Comparator<String> versions;
  private final String agentVersion;

  /**
   * @param versions the bundle version order
   * @param agentVersion this agent's version
   */
  public VersionPolicy(Comparator<String> versions, String agentVersion) {
    this.versions = versions;
    this.agentVersion = agentVersion;
  }

  /** What to do with {@code candidate}. */
  public enum Decision {
    /** Install it. */
    INSTALL,
    /** It is installed already; nothing to do. */
    ALREADY_INSTALLED
  }

  /**
   * @throws BundleRejectedException {@code DOWNGRADE} or {@code AGENT_TOO_OLD}
   */
  public Decision check(BundleInfo candidate, StateStore.Installed installed)
      throws BundleRejectedException {
    if (versions.compare(candidate.minAgentVersion(), agentVersion) > 0) {
      throw new BundleRejectedException(
          "AGENT_TOO_OLD",
          candidate
              + " needs ota-agent "
              + candidate.minAgentVersion()
              + " or newer; this is "
              + agentVersion);
    }
    InstalledBundle current = installed.current();
    if (current == null) {
      return Decision.INSTALL;
    }
    if (current.sameAs(candidate.version(), candidate.digest())) {
      return Decision.ALREADY_INSTALLED;
    }
    int order = versions.compare(candidate.version(), current.version());
    if (order > 0 || installed.installedBefore(candidate.digest())) {
      return Decision.INSTALL;
    }
    throw new BundleRejectedException(
        "DOWNGRADE",
        candidate
            + " is not newer than the installed "
            + current.version()
            + " and was never installed on this gateway");
  }
}
