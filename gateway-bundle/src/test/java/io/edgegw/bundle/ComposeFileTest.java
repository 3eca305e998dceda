package io.edgegw.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.bundle.BundleRejectedException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ComposeFileTest {

  private static final String D = "sha256:" + "ab".repeat(32);

  @Test
  void rewritesImagesAndKeepsEverythingElse() throws Exception {
    String text =
        """
        # stack — comments survive
        services:
          bridge:
            image: 127.0.0.1:5000/edgegw/bridge:1.4.0   # the bridge
            networks: [ot]
          buffer:
            image: "edgegw/buffer:latest"
          db:
            image: postgres@%s
        """
            .formatted(D);
    ComposeFile compose = ComposeFile.parse(text.getBytes(StandardCharsets.UTF_8), "compose.yaml");
    assertThat(compose.serviceNames()).containsExactly("bridge", "buffer", "db");
    byte[] rewritten =
        compose.withImages(
            Map.of(
                "bridge", "127.0.0.1:5000/edgegw/bridge@" + D,
                "buffer", "edgegw/buffer@" + D));
    assertThat(new String(rewritten, StandardCharsets.UTF_8))
        .isEqualTo(
            text.replace("127.0.0.1:5000/edgegw/bridge:1.4.0", "127.0.0.1:5000/edgegw/bridge@" + D)
                .replace("\"edgegw/buffer:latest\"", "edgegw/buffer@" + D));
    ComposeFile.parse(rewritten, "compose.yaml").requirePinned("compose.yaml");
  }

  @Test
  void badYamlNamesTheLine() {
    assertThatThrownBy(() ->
            ComposeFile.parse(
                "services:\n  a:\n    image: [\n".getBytes(StandardCharsets.UTF_8), "c.yaml"))
        .isInstanceOfSatisfying(
            BundleRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED))
        .hasMessageContaining("c.yaml is not valid YAML at line");
    assertThatThrownBy(() ->
            ComposeFile.parse(
                "services:\n  a: {image: x}\n  a: {image: y}\n".getBytes(StandardCharsets.UTF_8),
                "c.yaml"))
        .isInstanceOf(BundleRejectedException.class);
    assertThatThrownBy(
            () -> ComposeFile.parse("version: '3'\n".getBytes(StandardCharsets.UTF_8), "c.yaml"))
        .hasMessageContaining("has no services");
    assertThatThrownBy(() -> ComposeFile.parse(new byte[] {(byte) 0xff, 0x41}, "c.yaml"))
        .hasMessageContaining("not UTF-8");
  }

  @Test
  void imageReferencesParse() {
    ImageReference r = ImageReference.parse("127.0.0.1:5000/edgegw/bridge:1.4.0");
    assertThat(r.registry()).contains("127.0.0.1:5000");
    assertThat(r.repository()).isEqualTo("edgegw/bridge");
    assertThat(r.tag()).contains("1.4.0");
    assertThat(r.isPinned()).isFalse();
    assertThat(r.pinnedTo(D).toString()).isEqualTo("127.0.0.1:5000/edgegw/bridge@" + D);
    ImageReference plain = ImageReference.parse("edgegw/bridge");
    assertThat(plain.registry()).isEmpty();
    assertThat(plain.tag()).isEmpty();
    assertThat(ImageReference.parse("localhost/x@" + D).digest()).isEqualTo(Optional.of(D));
    assertThatThrownBy(() -> ImageReference.parse("Edgegw/Bridge:1"))
        .hasMessageContaining("repository");
    assertThatThrownBy(() -> ImageReference.parse("x@sha256:abc"))
        .hasMessageContaining("not a digest");
  }
}
