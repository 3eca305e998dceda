package io.edgegw.gwctl;

import io.edgegw.bundle.BundleRejectedException;
import io.edgegw.bundle.ComposeFile;
import io.edgegw.bundle.ImageReference;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Pins every image of a Compose file to the digest its tag points at in the registry now, so that a
 * signed bundle names exactly the images that were tested.
 *
 * <p>Only images in the given registry (or with no registry, meaning that one) can be resolved: a
 * gateway pulls from one registry, and the build machine may reach no other. An image already
 * pinned is kept as written.
 */
final class ImagePinner {

  /** Looks up the digest a tag points at (the registry client's {@code resolveDigest}). */
  @FunctionalInterface
  interface Resolver {
    String resolve(String repository, String tag) throws IOException;
  }

  /** One service's image before and after. */
  record Pin(String service, String from, String to) {}

  /** The rewritten Compose file and what changed. */
  record Result(byte[] compose, List<Pin> pins) {}

  private final String registryAuthority;
  private final Resolver resolver;

  /**
   * @param registryAuthority the registry's {@code host:port}, as image references name it
   */
  ImagePinner(String registryAuthority, Resolver resolver) {
    this.registryAuthority = registryAuthority;
    this.resolver = resolver;
  }

  /**
   * @throws BundleRejectedException UNPINNED_IMAGE for a service without an image
   * @throws IllegalArgumentException for an image in another registry or a bad reference
   */
  Result pin(ComposeFile compose, String where) throws IOException, BundleRejectedException {
    Map<String, String> replacements = new LinkedHashMap<>();
    List<Pin> pins = new ArrayList<>();
    for (ComposeFile.Service service : compose.services()) {
      if (service.image().isEmpty()) {
        throw new BundleRejectedException(
            BundleRejectedException.Reason.UNPINNED_IMAGE,
            where + ": service '" + service.name() + "' has no image; build and push it first");
      }
      String written = service.image().get();
      ImageReference image;
      try {
        image = ImageReference.parse(written);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            where + ": service '" + service.name() + "': " + e.getMessage(), e);
      }
      if (image.isPinned()) {
        pins.add(new Pin(service.name(), written, written));
        continue;
      }
      Optional<String> registry = image.registry();
      if (registry.isPresent() && !registry.get().equals(registryAuthority)) {
        throw new IllegalArgumentException(
            where
                + ": service '"
                + service.name()
                + "' image "
                + written
                + " is in registry "
                + registry.get()
                + ", not in "
                + registryAuthority
                + " (--registry); push it there first");
      }
      String tag = image.tag().orElse("latest");
      String digest = resolver.resolve(image.repository(), tag);
      String pinned = image.pinnedTo(digest).toString();
      replacements.put(service.name(), pinned);
      pins.add(new Pin(service.name(), written, pinned));
    }
    return new Result(compose.withImages(replacements), List.copyOf(pins));
  }
}
