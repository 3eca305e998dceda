package io.edgegw.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.bundle.BundleRejectedException.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleTest {

  @TempDir Path tmp;

  private final KeyPair key = Keys.generate();

  @Test
  void digestIsTheDocumentedCanonicalEncoding() {
    Bundle bundle = TestBundles.bundle("1.2.0");
    byte[] m = ManifestJson.canonical(bundle.manifest());
    byte[] c = bundle.compose();
    String framed =
        "edgegw-bundle/1\nmanifest "
            + m.length
            + "\n"
            + new String(m, java.nio.charset.StandardCharsets.UTF_8)
            + "\ncompose "
            + c.length
            + "\n"
            + new String(c, java.nio.charset.StandardCharsets.UTF_8)
            + "\n";
    assertThat(bundle.digest()).isEqualTo(Bundle.sha256(TestBundles.utf8(framed)));
    assertThat(new String(m, java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"v\":1,\"version\":\"1.2.0\",\"minAgentVersion\":\"1.0.0\",\"services\":[\"bridge\",\"buffer\"],"
                + "\"healthChecks\":{\"bridge\":\"http://127.0.0.1:8081/q/health/ready\",\"buffer\":\"status\"},"
                + "\"created\":\"2026-11-27T15:00:00Z\"}");
  }

  @Test
  void everyFieldAndEveryComposeByteChangesTheDigest() {
    String base = TestBundles.bundle("1.2.0").digest();
    BundleManifest m = TestBundles.manifest("1.2.0");
    byte[] compose = TestBundles.compose();
    List<BundleManifest> variants =
        List.of(
            TestBundles.manifest("1.2.1"),
            new BundleManifest("1.2.0", "1.0.1", m.services(), m.healthChecks(), m.created()),
            new BundleManifest(
                "1.2.0", "1.0.0", List.of("buffer", "bridge"), m.healthChecks(), m.created()),
            new BundleManifest(
                "1.2.0", "1.0.0", m.services(), Map.of("bridge", "status"), m.created()),
            new BundleManifest(
                "1.2.0", "1.0.0", m.services(), m.healthChecks(), m.created().plusMillis(1)));
    for (BundleManifest variant : variants) {
      assertThat(Bundle.of(variant, compose).digest()).as(variant.toString()).isNotEqualTo(base);
    }
    byte[] oneByte = compose.clone();
    oneByte[oneByte.length - 2] ^= 1;
    assertThat(Bundle.of(m, oneByte).digest()).isNotEqualTo(base);
  }

  @Test
  void writeThenReadGivesTheSameSignedBundle() throws Exception {
    Bundle signed = new BundleSigner(key).sign(TestBundles.bundle("1.2.0"));
    Path dir = tmp.resolve("b");
    signed.write(dir);
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
          .containsExactly("compose.yaml", "manifest.json", "signature.ed25519");
    }
    Bundle read = Bundle.read(dir);
    assertThat(read.digest()).isEqualTo(signed.digest());
    assertThat(read.manifest()).isEqualTo(signed.manifest());
    assertThat(read.compose()).isEqualTo(TestBundles.compose());
    assertThat(read.signature().orElseThrow()).isEqualTo(signed.signature().orElseThrow());
    assertThat(new BundleVerifier(List.of(key.getPublic())).verify(read)).isEqualTo(signed);
  }

  @Test
  void manifestWhitespaceDoesNotChangeTheDigest() throws Exception {
    Bundle signed = new BundleSigner(key).sign(TestBundles.bundle("1.2.0"));
    Path dir = tmp.resolve("b");
    signed.write(dir);
    String compact =
        new String(
            ManifestJson.canonical(signed.manifest()), java.nio.charset.StandardCharsets.UTF_8);
    Files.writeString(dir.resolve(Bundle.MANIFEST), compact);
    assertThat(new BundleVerifier(List.of(key.getPublic())).verify(Bundle.read(dir)).digest())
        .isEqualTo(signed.digest());
  }

  @Test
  void writingUnsignedRemovesAStaleSignature() throws Exception {
    Bundle signed = new BundleSigner(key).sign(TestBundles.bundle("1.2.0"));
    Path dir = tmp.resolve("b");
    signed.write(dir);
    signed.unsigned().write(dir);
    assertThat(dir.resolve(Bundle.SIGNATURE)).doesNotExist();
    assertThat(Bundle.read(dir).signature()).isEmpty();
  }

  @Test
  void signerRefusesAnUnpinnedImage() {
    Bundle unpinned =
        Bundle.of(
            TestBundles.manifest("1.0.0"),
            TestBundles.utf8(
                "services:\n  bridge:\n    image: edgegw/bridge:1.0\n  buffer:\n    image: x@"
                    + TestBundles.D2
                    + "\n"));
    assertThatThrownBy(() -> new BundleSigner(key).sign(unpinned))
        .isInstanceOfSatisfying(
            BundleRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.UNPINNED_IMAGE))
        .hasMessageContaining("service 'bridge'")
        .hasMessageContaining("edgegw/bridge:1.0");
  }

  @Test
  void manifestRejectsBadFieldsWithTheirNames() {
    Instant now = Instant.now();
    assertThatThrownBy(() -> new BundleManifest("1.0", "1.0.0", List.of("a"), Map.of(), now))
        .hasMessageContaining("manifest version '1.0'");
    assertThatThrownBy(() -> new BundleManifest("1.0.0", "1.0.0", List.of(), Map.of(), now))
        .hasMessageContaining("services is empty");
    assertThatThrownBy(
            () -> new BundleManifest("1.0.0", "1.0.0", List.of("a"), Map.of("b", "status"), now))
        .hasMessageContaining("'b' is not one of the services");
    assertThatThrownBy(
            () -> new BundleManifest("1.0.0", "1.0.0", List.of("a"), Map.of("a", "file:///x"), now))
        .hasMessageContaining("healthChecks.a");
    assertThatThrownBy(() -> new BundleManifest("1.0.0", "1.0.0", List.of("a", "a"), Map.of(), now))
        .hasMessageContaining("appears twice");
  }
}
