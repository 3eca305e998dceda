package io.edgegw.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Finds the host programs the launchers run. */
final class Binaries {
  private Binaries() {}

  /** The program on PATH or in the usual sbin directories, or a clear error naming the package. */
  static Path find(String name, String debianPackage) {
    String path = System.getenv().getOrDefault("PATH", "");
    return Stream.concat(
            Stream.of(path.split(java.io.File.pathSeparator)),
            Stream.of("/usr/sbin", "/usr/bin", "/sbin", "/usr/local/sbin"))
        .filter(d -> !d.isBlank())
        .map(d -> Path.of(d, name))
        .filter(Files::isExecutable)
        .findFirst()
        .orElseThrow(() ->
            new IllegalStateException(
                name
                    + " not found on PATH or in /usr/sbin; install the Debian package "
                    + debianPackage
                    + " (bin/gateway test does this)"));
  }
}
