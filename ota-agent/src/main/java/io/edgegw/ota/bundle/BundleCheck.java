package io.edgegw.ota.bundle;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Verification of a downloaded or installed bundle against the gateway's trust anchors: signature,
 * key, digest, Compose contents (no path tricks, images pinned by digest) and the agent version it
 * needs. Whether its version may be installed here is {@link io.edgegw.ota.update.VersionPolicy}'s
 * call, since that needs the gateway's history.
 */
public interface BundleCheck {

  /**
   * @param directory what {@link BundleSource#download} wrote, or an installed bundle's directory
   * @return the verified contents
   * @throws BundleRejectedException with the reason when the bundle must not be used
   * @throws IOException when the directory cannot be read
   */
  BundleInfo verify(Path directory) throws IOException, BundleRejectedException;

  /**
   * Compares two bundle versions: negative, zero or positive as {@code a} is older, equal, newer.
   */
  int compareVersions(String a, String b);
}
