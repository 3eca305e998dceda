package io.edgegw.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.edgegw.config.ConfigException;
import io.edgegw.testsupport.badinput.Corpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The bad {@code devices.yaml} corpus, {@code src/test/resources/corpus/devices-yaml/}: each file
 * is installed as {@code devices.yaml} and loaded as the bridge loads it, and must be refused with
 * a {@link ConfigException} whose message holds every line of the file's {@code .expect} sidecar
 * (typically {@code <file>:<line>: <field>: <reason>}). Adding a file adds a case.
 */
class DevicesConfigCorpusTest {

  @TestFactory
  Stream<DynamicTest> everyBadDevicesFileIsRefusedWithItsLocatedReason() {
    return Corpus.files("corpus/devices-yaml").stream()
        .map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
  }

  private static void check(Path file) throws IOException {
    // Installed as the bridge reads it: a file named devices.yaml, through the loader's own open.
    Path dir = Files.createTempDirectory("devices-corpus");
    Path installed = Files.copy(file, dir.resolve("devices.yaml"));
    ConfigException e;
    try {
      e =
          assertTimeoutPreemptively(
              Duration.ofSeconds(5),
              () ->
                  catchThrowableOfType(
                      ConfigException.class, () -> DevicesConfigLoader.load(installed)));
    } finally {
      Files.delete(installed);
      Files.delete(dir);
    }
    assertThat(e).as("%s must be refused", file.getFileName()).isNotNull();
    for (String part : Corpus.expectations(file)) {
      assertThat(e.getMessage()).as("the error of %s", file.getFileName()).contains(part);
    }
  }
}
