package io.edgegw.testsupport.badinput;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A bad-input corpus kept as files in a module's test resources ({@code corpus/<kind>/}), so that
 * adding a file adds a test case. What a case must produce is written in a sidecar next to it,
 * {@code <file>.expect}: one expected part of the error per line (blank lines and lines starting
 * with {@code #} are skipped).
 */
public final class Corpus {
  private Corpus() {}

  /**
   * The case files of a corpus directory on the test classpath, sorted by name, sidecars excluded.
   *
   * @param resourceDir e.g. {@code corpus/devices-yaml}
   * @throws IllegalStateException when the directory is missing or holds no case
   */
  public static List<Path> files(String resourceDir) {
    URL url = Corpus.class.getClassLoader().getResource(resourceDir);
    if (url == null) {
      throw new IllegalStateException("no corpus directory " + resourceDir + " on the classpath");
    }
    List<Path> files;
    try (Stream<Path> list = Files.list(Path.of(url.toURI()))) {
      files =
          list.filter(Files::isRegularFile)
              .filter(p -> !p.getFileName().toString().endsWith(".expect"))
              .sorted()
              .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    if (files.isEmpty()) {
      throw new IllegalStateException("the corpus " + resourceDir + " holds no case");
    }
    return files;
  }

  /**
   * The expected parts of the error for a case, from its sidecar.
   *
   * @throws IllegalStateException when the sidecar is missing or empty: a case that expects nothing
   *     cannot fail
   */
  public static List<String> expectations(Path file) {
    Path sidecar = file.resolveSibling(file.getFileName() + ".expect");
    if (!Files.isRegularFile(sidecar)) {
      throw new IllegalStateException(
          "corpus case " + file.getFileName() + " has no sidecar " + sidecar.getFileName());
    }
    List<String> lines;
    try {
      lines =
          Files.readAllLines(sidecar, StandardCharsets.UTF_8).stream()
              .filter(l -> !l.isBlank() && !l.startsWith("#"))
              .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (lines.isEmpty()) {
      throw new IllegalStateException(sidecar.getFileName() + " expects nothing");
    }
    return lines;
  }
}
