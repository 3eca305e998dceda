package io.edgegw.bundle;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A container image reference as Compose and podman read it: {@code
 * [registry/]repository[:tag][@digest]}.
 *
 * <p>A bundle may only hold pinned references ({@link #isPinned()}), so that what was signed is
 * exactly what runs; a tag can be moved after signing, a digest cannot.
 *
 * @param registry the registry host and port when the reference names one, e.g. {@code
 *     127.0.0.1:5000}; empty for the default registry
 * @param repository the repository path, e.g. {@code edgegw/bridge-service}
 * @param tag the tag, if any
 * @param digest the content digest {@code sha256:<64 hex>}, if any
 */
public record ImageReference(
    Optional<String> registry, String repository, Optional<String> tag, Optional<String> digest) {

  /** The only digest form accepted: lower-case SHA-256. */
  public static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

  private static final Pattern REPOSITORY =
      Pattern.compile(
          "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Pattern REGISTRY =
      Pattern.compile("[A-Za-z0-9.-]+(?::[0-9]{1,5})?|\\[[0-9a-fA-F:]+\\](?::[0-9]{1,5})?");

  /** Validates each part. */
  public ImageReference {
    if (registry.isPresent() && !REGISTRY.matcher(registry.get()).matches()) {
      throw new IllegalArgumentException("'" + registry.get() + "' is not a registry host[:port]");
    }
    if (repository == null || !REPOSITORY.matcher(repository).matches()) {
      throw new IllegalArgumentException(
          "'" + repository + "' is not a repository name (lower-case path such as edgegw/bridge)");
    }
    if (tag.isPresent() && !TAG.matcher(tag.get()).matches()) {
      throw new IllegalArgumentException("'" + tag.get() + "' is not a tag");
    }
    if (digest.isPresent() && !DIGEST.matcher(digest.get()).matches()) {
      throw new IllegalArgumentException(
          "'" + digest.get() + "' is not a digest of the form sha256:<64 lower-case hex>");
    }
  }

  /**
   * Parses a reference.
   *
   * @throws IllegalArgumentException saying which part is wrong
   */
  public static ImageReference parse(String reference) {
    if (reference == null
        || reference.isBlank()
        || reference.strip().length() != reference.length()) {
      throw new IllegalArgumentException("image reference '" + reference + "' is empty or padded");
    }
    String rest = reference;
    Optional<String> digest = Optional.empty();
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = Optional.of(rest.substring(at + 1));
      rest = rest.substring(0, at);
    }
    Optional<String> registry = Optional.empty();
    int slash = rest.indexOf('/');
    if (slash > 0) {
      String first = rest.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        registry = Optional.of(first);
        rest = rest.substring(slash + 1);
      }
    }
    Optional<String> tag = Optional.empty();
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = Optional.of(rest.substring(colon + 1));
      rest = rest.substring(0, colon);
    }
    try {
      return new ImageReference(registry, rest, tag, digest);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "image reference '" + reference + "': " + e.getMessage(), e);
    }
  }

  /** True when the reference carries a digest, so that it names exactly one image. */
  public boolean isPinned() {
    return digest.isPresent();
  }

  /** The name without tag or digest: {@code [registry/]repository}. */
  public String name() {
    return registry.map(r -> r + "/").orElse("") + repository;
  }

  /** The reference pinned to {@code digest}, without its tag: {@code name@sha256:...}. */
  public ImageReference pinnedTo(String digest) {
    return new ImageReference(registry, repository, Optional.empty(), Optional.of(digest));
  }

  /** The reference as Compose writes it. */
  @Override
  public String toString() {
    return name() + tag.map(t -> ":" + t).orElse("") + digest.map(d -> "@" + d).orElse("");
  }
}
