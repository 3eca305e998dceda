package io.edgegw.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysTest {

  @TempDir Path tmp;

  @Test
  void generatedKeysAreOwnerOnlyAndReadBack() throws Exception {
    KeyPair pair = Keys.generate(tmp.resolve("keys"), "release");
    Path key = tmp.resolve("keys/release.key");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
    KeyPair read = Keys.readSigningKey(key);
    assertThat(read.getPrivate().getEncoded()).isEqualTo(pair.getPrivate().getEncoded());
    assertThat(Keys.keyId(read.getPublic())).isEqualTo(Keys.keyId(pair.getPublic()));
    assertThat(Keys.readTrustAnchors(tmp.resolve("keys")))
        .extracting(Keys::keyId)
        .containsExactly(Keys.keyId(pair.getPublic()));
    assertThat(Files.readString(key)).doesNotContain(Keys.keyId(pair.getPublic()));
  }

  @Test
  void keysAreNeverOverwritten() throws Exception {
    Keys.generate(tmp, "release");
    byte[] before = Files.readAllBytes(tmp.resolve("release.key"));
    assertThatThrownBy(() -> Keys.generate(tmp, "release"))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readAllBytes(tmp.resolve("release.key"))).isEqualTo(before);
  }

  @Test
  void aSigningKeyReadableByOthersIsRefused() throws Exception {
    Keys.generate(tmp, "release");
    Path key = tmp.resolve("release.key");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> Keys.readSigningKey(key))
        .hasMessageContaining(key.toString())
        .hasMessageContaining("chmod 600");
  }

  @Test
  void aKeyFileWithAForeignPublicKeyIsRefused() throws Exception {
    Keys.generate(tmp, "a");
    Keys.generate(tmp, "b");
    Path key = tmp.resolve("a.key");
    String text = Files.readString(key);
    String foreign = Files.readString(tmp.resolve("b.pub"));
    Files.writeString(key, text.substring(0, text.indexOf("-----BEGIN PUBLIC KEY")) + foreign);
    assertThatThrownBy(() -> Keys.readSigningKey(key)).hasMessageContaining("does not belong");
  }

  @Test
  void anEmptyTrustDirectoryAndAGarbledKeyAreErrorsNamingTheFile() throws Exception {
    assertThatThrownBy(() -> Keys.readTrustAnchors(tmp))
        .hasMessageContaining("holds no public key");
    Path bad =
        Files.writeString(
            tmp.resolve("x.pub"), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    assertThatThrownBy(() -> Keys.readTrustAnchors(tmp))
        .hasMessageContaining(bad.toString())
        .hasMessageContaining("not an Ed25519 key");
    assertThat(List.of(Keys.generate().getPublic())).hasSize(1);
  }
}
