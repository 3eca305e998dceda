package io.edgegw.ota.update;

import java.util.Optional;

/**
 * The bundle a gateway installs on its first boot ({@code ota.bootstrap}), before any command can
 * reach it: the local bus is itself part of the stack the bundle starts. It goes through the same
 * {@link UpdateFlow} as every later update (download, signature and trust anchor, pull by digest,
 * apply, health gate, commit or roll back), and only when nothing is installed yet: once a bundle
 * is installed, updates come by command, and a restarted agent never goes back to its first-boot
 * bundle. Pure.
 *
 * @param repository the bundle's repository in the registry, e.g. {@code edgegw/bundle}
 * @param reference a tag or a {@code sha256:} digest
 */
public record FirstBoot(String repository, String reference) {

  /**
   * Reads {@code repository:tag} or {@code repository@sha256:hex}.
   *
   * @throws IllegalArgumentException naming the setting and what is wrong
   */
  public static FirstBoot parse(String value) {
    String v = value.strip();
    int at = v.indexOf('@');
    int slash = v.lastIndexOf('/');
    int colon = v.lastIndexOf(':');
    String repository;
    String reference;
    if (at >= 0) {
      repository = v.substring(0, at);
      reference = v.substring(at + 1);
      if (!reference.matches("sha256:[0-9a-f]{64}")) {
        throw new IllegalArgumentException(
            "ota.bootstrap '" + value + "': a digest reference must be sha256: and 64 hex digits");
      }
    } else if (colon > slash) {
      repository = v.substring(0, colon);
      reference = v.substring(colon + 1);
    } else {
      throw new IllegalArgumentException(
          "ota.bootstrap '"
              + value
              + "' names no tag or digest: write repository:tag or repository@sha256:...");
    }
    if (!repository.matches("[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*")) {
      throw new IllegalArgumentException(
          "ota.bootstrap '" + value + "': '" + repository + "' is not a repository name");
    }
    if (at < 0 && !reference.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")) {
      throw new IllegalArgumentException(
          "ota.bootstrap '" + value + "': '" + reference + "' is not a tag");
    }
    return new FirstBoot(repository, reference);
  }

  /** The first-boot install to run: only when nothing is installed. */
  public static Optional<FirstBoot> due(Optional<String> setting, StateStore.Installed installed) {
    if (setting.isEmpty() || installed.current() != null) {
      return Optional.empty();
    }
    return Optional.of(parse(setting.get()));
  }
}
