package io.edgegw.ota.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.bundle.SignedArtifact;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactStoreTest {
  @TempDir Path dir;

  private static SignedArtifact artifact(String name, String content) {
    return SignedArtifact.of(
        name, "application/octet-stream", content.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void storesUnderNameAndDigestAndServesTheLatest() throws Exception {
    ArtifactStore store = new ArtifactStore(dir, 3);
    SignedArtifact v1 = artifact("fw.bin", "one");
    StoredArtifact s1 = store.store(v1, "edgegw/fw:1", List.of("plc-1"), 1000);
    assertThat(s1.file()).isEqualTo(dir.resolve("fw.bin").resolve(v1.digest().substring(7)));
    assertThat(Files.readString(s1.file())).isEqualTo("one");
    assertThat(s1.size()).isEqualTo(3);
    assertThat(s1.contentSha256())
        .isEqualTo("7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed");
    assertThat(Files.getPosixFilePermissions(s1.file())).contains(PosixFilePermission.OWNER_READ);

    StoredArtifact s2 = store.store(artifact("fw.bin", "two"), "edgegw/fw:2", List.of(), 2000);
    assertThat(store.current("fw.bin")).contains(s2);
    assertThat(store.version("fw.bin", v1.digest())).contains(s1);
    assertThat(store.versions("fw.bin"))
        .extracting(StoredArtifact::digest)
        .containsExactly(s2.digest(), s1.digest());
    assertThat(store.currentAll()).containsExactly(s2);
  }

  @Test
  void keepsTheLastKVersionsPerName() throws Exception {
    ArtifactStore store = new ArtifactStore(dir, 2);
    StoredArtifact a = store.store(artifact("m.onnx", "a"), "r:a", List.of(), 1);
    StoredArtifact b = store.store(artifact("m.onnx", "b"), "r:b", List.of(), 2);
    StoredArtifact c = store.store(artifact("m.onnx", "c"), "r:c", List.of(), 3);
    store.store(artifact("other.bin", "x"), "r:x", List.of(), 4);
    assertThat(store.versions("m.onnx")).containsExactly(c, b);
    assertThat(Files.exists(a.file())).isFalse();
    assertThat(store.version("m.onnx", a.digest())).isEmpty();
    assertThat(store.current("other.bin")).isPresent();
    // back to b: it becomes current and newest, c stays as the one previous
    StoredArtifact again = store.store(artifact("m.onnx", "b"), "r:b", List.of(), 5);
    assertThat(store.current("m.onnx")).contains(again);
    assertThat(store.versions("m.onnx"))
        .extracting(StoredArtifact::digest)
        .containsExactly(b.digest(), c.digest());
  }

  @Test
  void leavesNoTemporaryFilesAndCleansOldOnes() throws Exception {
    ArtifactStore store = new ArtifactStore(dir, 3);
    store.store(artifact("fw.bin", "one"), "r:1", List.of(), 1);
    Files.writeString(dir.resolve("fw.bin/.incoming-crashed"), "half");
    new ArtifactStore(dir, 3);
    try (Stream<Path> files = Files.list(dir.resolve("fw.bin"))) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith(".incoming"))
          .contains("current");
    }
  }

  @Test
  void unknownAndHostileNamesFindNothing() throws Exception {
    ArtifactStore store = new ArtifactStore(dir, 3);
    Files.writeString(dir.resolve("secret"), "x");
    assertThat(store.current("nosuch")).isEmpty();
    assertThat(store.current("..")).isEmpty();
    assertThat(store.current("../secret")).isEmpty();
    assertThat(store.version("fw.bin", "sha256:../../x")).isEmpty();
    assertThat(store.versions("..")).isEmpty();
  }

  @Test
  void refusesKeepingNothing() {
    assertThatThrownBy(() -> new ArtifactStore(dir, 0)).hasMessageContaining("ota.artifacts.keep");
  }
}
