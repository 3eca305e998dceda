package io.edgegw.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BinaryLocatorTest {

  @Test
  void missingBinaryNamesTheDebianPackageToInstall() {
    assertThatThrownBy(() -> BinaryLocator.find("edgegw-no-such-program", "edgegw-package"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "edgegw-no-such-program not found on PATH or /usr/sbin; install the Debian package"
                + " edgegw-package (apt-get install -y edgegw-package)");
  }

  @Test
  void findsProgramsOnThePath() {
    assertThat(BinaryLocator.find("sh", "dash")).isExecutable();
  }
}
