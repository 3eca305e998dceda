package io.edgegw.ota.bundle;

import io.edgegw.bundle.Bundle;
import io.edgegw.bundle.BundleManifest;
import io.edgegw.bundle.BundleVerifier;
import io.edgegw.bundle.RegistryClient;
import io.edgegw.bundle.Versions;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.List;

/**
 * Bundles from an OCI registry through gateway-bundle's {@link RegistryClient}, verified by its
 * {@link BundleVerifier} against the gateway's trust anchors. The only place the agent touches the
 * library's bundle types.
 */
public final class RegistryBundles implements BundleSource, BundleCheck {
  private final RegistryClient registry;
  private final BundleVerifier verifier;

  /**
   * @param registry the registry client (TLS verified)
   * @param trustAnchors the public keys a bundle must be signed with, at least one
   */
  public RegistryBundles(RegistryClient registry, List<PublicKey> trustAnchors) {
    this.registry = registry;
    this.verifier = new BundleVerifier(trustAnchors);
  }

  @Override
  public void download(String repository, String reference, Path directory)
      throws IOException, BundleRejectedException {
    Bundle bundle;
    try {
      bundle = registry.pullBundle(repository, reference);
    } catch (io.edgegw.bundle.RegistryUnavailableException e) {
      throw new RegistryUnavailableException(e.getMessage(), e);
    } catch (io.edgegw.bundle.BundleRejectedException e) {
      throw rejected(e);
    }
    bundle.write(directory);
  }

  @Override
  public BundleInfo verify(Path directory) throws IOException, BundleRejectedException {
    try {
      Bundle bundle = verifier.verify(Bundle.read(directory));
      BundleManifest m = bundle.manifest();
      return new BundleInfo(
          m.version(),
          m.minAgentVersion(),
          bundle.digest(),
          m.services(),
          m.healthChecks(),
          bundle.compose());
    } catch (io.edgegw.bundle.BundleRejectedException e) {
      throw rejected(e);
    }
  }

  @Override
  public int compareVersions(String a, String b) {
    return Versions.compare(a, b);
  }

  private static BundleRejectedException rejected(io.edgegw.bundle.BundleRejectedException e) {
    return new BundleRejectedException(e.reason().name(), e.getMessage());
  }
}
