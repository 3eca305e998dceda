package io.edgegw.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Bundles for tests: the corpus base and small variations of it. */
final class TestBundles {

  static final String D1 = "sha256:" + "1".repeat(64);
  static final String D2 = "sha256:" + "2".repeat(64);

  private TestBundles() {}

  static byte[] resource(String path) {
    try (InputStream in = TestBundles.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("no test resource " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static BundleManifest manifest(String version) {
    return new BundleManifest(
        version,
        "1.0.0",
        List.of("bridge", "buffer"),
        Map.of("bridge", "http://127.0.0.1:8081/q/health/ready", "buffer", "status"),
        Instant.parse("2026-11-27T15:00:00Z"));
  }

  static byte[] compose() {
    return resource("/corpus/base/compose.yaml");
  }

  static Bundle bundle(String version) {
    return Bundle.of(manifest(version), compose());
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
