package io.edgegw.ota.bundle;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where bundles come from: the OCI registry. Downloading is separate from verification so that the
 * agent can report each step, and so that nothing downloaded is trusted before {@link BundleCheck}
 * has looked at it.
 */
public interface BundleSource {

  /**
   * Downloads {@code repository:reference} into {@code directory} (empty, created by the caller).
   *
   * @throws RegistryUnavailableException when the registry does not answer (the caller retries)
   * @throws BundleRejectedException when what came back is not a bundle at all
   * @throws IOException on any other failure to download
   */
  void download(String repository, String reference, Path directory)
      throws IOException, BundleRejectedException;
}
