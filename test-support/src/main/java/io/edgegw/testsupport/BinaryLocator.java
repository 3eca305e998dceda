package io.edgegw.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Finds an external program on the PATH or in the Debian system directories. */
final class BinaryLocator {

  private static final List<Path> SYSTEM_DIRECTORIES =
      List.of(Path.of("/usr/sbin"), Path.of("/usr/bin"), Path.of("/sbin"), Path.of("/bin"));

  private BinaryLocator() {}

  /**
   * Returns the executable called {@code name}.
   *
   * @param debianPackage the package that installs it, named in the error message
   * @throws IllegalStateException naming the package to install when the program is absent
   */
  static Path find(String name, String debianPackage) {
    for (Path directory : searchPath()) {
      Path candidate = directory.resolve(name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        name
            + " not found on PATH or /usr/sbin; install the Debian package "
            + debianPackage
            + " (apt-get install -y "
            + debianPackage
            + ")");
  }

  private static List<Path> searchPath() {
    List<Path> directories = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String entry : path.split(":")) {
        if (!entry.isBlank()) {
          directories.add(Path.of(entry));
        }
      }
    }
    directories.addAll(SYSTEM_DIRECTORIES);
    return directories;
  }
}
