package io.edgegw.ota.update;

import java.util.Objects;

/**
 * One bundle in the gateway's history.
 *
 * @param version bundle version
 * @param digest bundle digest
 * @param directory its directory name under {@code bundles/} in the state directory
 * @param installedAt when it was committed (or, in a journal, when the update began), epoch ms UTC
 * @param commandId the command that installed it
 */
public record InstalledBundle(
    String version, String digest, String directory, long installedAt, String commandId) {
  public InstalledBundle {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(digest, "digest");
    Objects.requireNonNull(directory, "directory");
    commandId = commandId == null ? "" : commandId;
  }

  /** The same bundle: same version and digest. */
  public boolean sameAs(String otherVersion, String otherDigest) {
    return version.equals(otherVersion) && digest.equals(otherDigest);
  }
}
