package io.edgegw.ota.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {
  @TempDir Path dir;

  @Test
  void aPrivateFileGivesItsToken() throws Exception {
    Path f = write("s3cret-token-of-24-chars\n", "rw-------");
    assertThat(new String(new TokenFile(f).read(), StandardCharsets.UTF_8))
        .isEqualTo("s3cret-token-of-24-chars");
  }

  @Test
  void aFileOthersCanReadIsRefused() throws Exception {
    assertThat(new TokenFile(write("s3cret-token-of-24-chars", "rw-r--r--")).read()).isEmpty();
  }

  @Test
  void aShortTokenOrAMissingFileIsRefused() throws Exception {
    assertThat(new TokenFile(write("short", "rw-------")).read()).isEmpty();
    assertThat(new TokenFile(dir.resolve("none")).read()).isEmpty();
  }

  private Path write(String content, String perms) throws Exception {
    Path f = dir.resolve("token-" + perms.hashCode() + content.length());
    Files.writeString(f, content);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
    return f;
  }
}
