package io.edgegw.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.bundle.BundleRejectedException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-bundle corpus under {@code src/test/resources/corpus/}: each case is the base bundle
 * with some files replaced or added, signed as its {@code case.properties} says, and must be
 * rejected with the reason named there, without anything changing on disk.
 */
class HostileBundleTest {

  private static final KeyPair TRUSTED = Keys.generate();
  private static final KeyPair UNTRUSTED = Keys.generate();

  @TempDir Path tmp;

  private final BundleVerifier verifier = new BundleVerifier(List.of(TRUSTED.getPublic()));

  @TestFactory
  Stream<DynamicTest> everyCaseIsRejectedWithItsReason() throws IOException, URISyntaxException {
    Path corpus = Path.of(HostileBundleTest.class.getResource("/corpus").toURI());
    List<Path> cases;
    try (Stream<Path> entries = Files.list(corpus)) {
      cases = entries.filter(p -> !p.getFileName().toString().equals("base")).sorted().toList();
    }
    assertThat(cases).hasSizeGreaterThanOrEqualTo(14);
    return cases.stream()
        .map(c -> DynamicTest.dynamicTest(c.getFileName().toString(), () -> reject(corpus, c)));
  }

  private void reject(Path corpus, Path caseDir) throws Exception {
    Properties props = new Properties();
    try (InputStream in = Files.newInputStream(caseDir.resolve("case.properties"))) {
      props.load(in);
    }
    Reason expected = Reason.valueOf(props.getProperty("reason"));
    String sign = props.getProperty("sign");
    Path work = Files.createDirectory(tmp.resolve(caseDir.getFileName()));
    Path dir = work.resolve("bundle");
    Path outside = Files.writeString(work.resolve("outside.txt"), "outside the bundle\n");
    copyFiles(corpus.resolve("base"), dir);

    switch (sign) {
      case "none" -> copyFiles(caseDir, dir);
      case "trusted", "untrusted", "before-overlay" -> {
        KeyPair key = sign.equals("untrusted") ? UNTRUSTED : TRUSTED;
        new BundleSigner(key).sign(Bundle.read(dir)).write(dir);
        copyFiles(caseDir, dir);
      }
      case "after-overlay-unchecked" -> {
        copyFiles(caseDir, dir);
        new BundleSigner(TRUSTED).signUnchecked(Bundle.read(dir)).write(dir);
      }
      default -> throw new IllegalArgumentException(caseDir + ": sign=" + sign);
    }
    if (Boolean.parseBoolean(props.getProperty("corrupt-signature"))) {
      SignatureEnvelope good =
          SignatureEnvelope.parse(Files.readAllBytes(dir.resolve(Bundle.SIGNATURE)));
      byte[] wrongBytes =
          SignatureEnvelope.parse(
                  new BundleSigner(UNTRUSTED).sign(Bundle.read(dir)).signature().orElseThrow())
              .signature();
      Files.write(
          dir.resolve(Bundle.SIGNATURE),
          new SignatureEnvelope(good.keyId(), good.digest(), wrongBytes).toJson());
    }
    String link = props.getProperty("symlink");
    if (link != null) {
      Files.delete(dir.resolve(link));
      Files.createSymbolicLink(dir.resolve(link), outside);
    }
    Map<String, String> before = snapshot(work);

    assertThatThrownBy(() -> verifier.verify(Bundle.read(dir)))
        .as(caseDir.getFileName().toString())
        .isInstanceOfSatisfying(
            BundleRejectedException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(expected);
              assertThat(e.getMessage()).startsWith(expected + ": ").hasSizeGreaterThan(30);
            });
    assertThat(snapshot(work)).isEqualTo(before);
  }

  @Test
  void aSymlinkedBundleDirectoryIsRejected() throws Exception {
    Path real = tmp.resolve("real");
    new BundleSigner(TRUSTED).sign(TestBundles.bundle("1.0.0")).write(real);
    Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
    assertThatThrownBy(() -> Bundle.read(link))
        .isInstanceOfSatisfying(
            BundleRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.PATH_TRAVERSAL))
        .hasMessageContaining("is a symbolic link");
  }

  @Test
  void aSubdirectoryIsRejected() throws Exception {
    Path dir = tmp.resolve("b");
    new BundleSigner(TRUSTED).sign(TestBundles.bundle("1.0.0")).write(dir);
    Files.createDirectories(dir.resolve("..compose.yaml"));
    assertThatThrownBy(() -> Bundle.read(dir))
        .isInstanceOfSatisfying(
            BundleRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.PATH_TRAVERSAL));
  }

  @Test
  void aMissingComposeFileIsMalformed() throws Exception {
    Path dir = tmp.resolve("b");
    TestBundles.bundle("1.0.0").write(dir);
    Files.delete(dir.resolve(Bundle.COMPOSE));
    assertThatThrownBy(() -> Bundle.read(dir))
        .isInstanceOfSatisfying(
            BundleRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED))
        .hasMessageContaining("has no compose.yaml");
  }

  private static void copyFiles(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path file : files.toList()) {
        if (!file.getFileName().toString().equals("case.properties")) {
          Files.copy(
              file,
              to.resolve(file.getFileName()),
              java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /** Every path under {@code root} with its content (or link target), to show nothing changed. */
  private static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> state = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.toList()) {
        String key = root.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          state.put(key, "-> " + Files.readSymbolicLink(p));
        } else if (Files.isRegularFile(p)) {
          state.put(key, Bundle.sha256(Files.readAllBytes(p)));
        } else {
          state.put(key, "dir");
        }
      }
    }
    return state;
  }
}
