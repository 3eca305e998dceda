package io.edgegw.rules.config;

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
 * The bad {@code rules.yaml} corpus, {@code src/test/resources/corpus/rules-yaml/}: each file is
 * installed as {@code rules.yaml} and loaded as the service loads it, against the bundled plant's
 * devices, and must be refused with a {@link ConfigException} whose message holds every line of the
 * file's {@code .expect} sidecar (typically {@code <file>:<line>: <field>: <reason>}). Adding a
 * file adds a case.
 */
class RulesConfigCorpusTest {
  private static final DeviceCatalog PLANT = plant();

  /** The bundled plant's devices, which the corpus' rules name. */
  private static DeviceCatalog plant() {
    try {
      return DeviceCatalog.load(Path.of("../bin/plant-devices.yaml"));
    } catch (ConfigException e) {
      throw new IllegalStateException(e);
    }
  }

  @TestFactory
  Stream<DynamicTest> everyBadRulesFileIsRefusedWithItsLocatedReason() {
    return Corpus.files("corpus/rules-yaml").stream()
        .map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
  }

  private static void check(Path file) throws IOException {
    // Installed as the service reads it: a file named rules.yaml, through the loader's own open.
    Path dir = Files.createTempDirectory("rules-corpus");
    Path installed = Files.copy(file, dir.resolve("rules.yaml"));
    ConfigException e;
    try {
      e =
          assertTimeoutPreemptively(
              Duration.ofSeconds(5),
              () ->
                  catchThrowableOfType(
                      ConfigException.class, () -> RulesConfigLoader.load(installed, PLANT)));
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
