package io.edgegw.contracts.badinput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.edgegw.contracts.Payload;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.PayloadException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The bad-payload corpus: every file under {@code src/test/resources/corpus/payload/<Type>/} is
 * decoded as that payload type and must be refused with a {@link PayloadException} whose message
 * contains each line of the file's sidecar {@code <file>.expect}. Adding a file adds a case; a file
 * without a sidecar fails.
 */
class PayloadCorpusTest {
  private static final String ROOT = "corpus/payload";

  private final PayloadCodec codec = new PayloadCodec(64 * 1024);

  @TestFactory
  Stream<DynamicTest> everyCorpusPayloadIsRefusedWithItsReason() throws Exception {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root())) {
      files =
          walk.filter(Files::isRegularFile)
              .filter(p -> !p.toString().endsWith(".expect"))
              .sorted()
              .toList();
    }
    assertThat(files).as("corpus files under %s", ROOT).hasSizeGreaterThan(20);
    return files.stream()
        .map(f -> DynamicTest.dynamicTest(root().relativize(f).toString(), () -> check(f)));
  }

  private void check(Path file) throws Exception {
    Class<? extends Payload> type = typeOf(file.getParent().getFileName().toString());
    byte[] bytes = Files.readAllBytes(file);
    List<String> expected = expectations(file);
    PayloadException e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(5),
            () -> catchThrowableOfType(PayloadException.class, () -> codec.decode(bytes, type)));
    assertThat(e).as("%s must be refused", file.getFileName()).isNotNull();
    for (String part : expected) {
      assertThat(e.getMessage()).as("the reason for %s", file.getFileName()).contains(part);
    }
  }

  @SuppressWarnings("unchecked")
  private static Class<? extends Payload> typeOf(String simpleName) throws ClassNotFoundException {
    return (Class<? extends Payload>)
        Class.forName(Payload.class.getPackageName() + "." + simpleName);
  }

  /** The non-blank lines of the sidecar, each a part the error message must contain. */
  private static List<String> expectations(Path file) throws IOException {
    Path sidecar = file.resolveSibling(file.getFileName() + ".expect");
    assertThat(sidecar).as("sidecar with the expected error of %s", file).exists();
    List<String> lines =
        Files.readAllLines(sidecar, StandardCharsets.UTF_8).stream()
            .filter(l -> !l.isBlank())
            .toList();
    assertThat(lines).as("expected error parts in %s", sidecar).isNotEmpty();
    return lines;
  }

  private static Path root() {
    try {
      return Path.of(PayloadCorpusTest.class.getClassLoader().getResource(ROOT).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
