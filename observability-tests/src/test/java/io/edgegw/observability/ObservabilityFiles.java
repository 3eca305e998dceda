package io.edgegw.observability;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the committed {@code compose/observability} files are: system property observability.dir.
 */
final class ObservabilityFiles {
  private ObservabilityFiles() {}

  static Path directory() {
    String dir = System.getProperty("observability.dir");
    if (dir == null || !Files.isDirectory(Path.of(dir))) {
      throw new IllegalStateException(
          "observability.dir is "
              + dir
              + "; run through Maven (mvn verify -pl observability-tests -am)");
    }
    return Path.of(dir).toAbsolutePath().normalize();
  }
}
