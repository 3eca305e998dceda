package io.edgegw.ota.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ArtifactPathTest {
  private static final String HEX = "ab".repeat(32);

  @Test
  void readsNameAndDigest() {
    assertThat(ArtifactPath.parse("/artifacts/fw-1.2.bin"))
        .isEqualTo(new ArtifactPath("fw-1.2.bin", null));
    assertThat(ArtifactPath.parse("/artifacts/fw.bin/sha256:" + HEX))
        .isEqualTo(new ArtifactPath("fw.bin", "sha256:" + HEX));
    assertThat(ArtifactPath.parse("/artifacts/fw.bin/sha256%3A" + HEX))
        .isEqualTo(new ArtifactPath("fw.bin", "sha256:" + HEX));
    assertThat(ArtifactPath.parse("/artifacts/fw.bin/" + HEX))
        .isEqualTo(new ArtifactPath("fw.bin", "sha256:" + HEX));
  }

  @Test
  void refusesEverythingThatCouldBeAPath() {
    for (String bad :
        new String[] {
          "/artifacts/",
          "/artifacts/..",
          "/artifacts/../etc/passwd",
          "/artifacts/%2e%2e",
          "/artifacts/a%2Fb",
          "/artifacts/.hidden",
          "/artifacts/fw.bin/",
          "/artifacts/fw.bin/" + HEX + "/x",
          "/artifacts/fw.bin/sha256:xyz",
          "/other/fw.bin",
          "/artifacts/fw..bin",
          "/artifacts/fw.bin/sha256:" + HEX.toUpperCase()
        }) {
      assertThat(ArtifactPath.parse(bad)).as(bad).isNull();
    }
  }

  @Test
  void readsTheDeviceParameter() {
    assertThat(ArtifactPath.queryParameter("x=1&device=plc-1", "device")).isEqualTo("plc-1");
    assertThat(ArtifactPath.queryParameter(null, "device")).isNull();
    assertThat(ArtifactPath.queryParameter("device=a%2Fb", "device")).isEqualTo("(invalid)");
  }

  @Test
  void readsSingleRanges() {
    assertThat(ByteRange.parse(null, 100)).isNull();
    assertThat(ByteRange.parse("bytes=0-9", 100)).isEqualTo(new ByteRange(0, 9));
    assertThat(ByteRange.parse("bytes=90-", 100)).isEqualTo(new ByteRange(90, 99));
    assertThat(ByteRange.parse("bytes=90-500", 100)).isEqualTo(new ByteRange(90, 99));
    assertThat(ByteRange.parse("bytes=-10", 100)).isEqualTo(new ByteRange(90, 99));
    assertThat(ByteRange.parse("bytes=-1000", 100)).isEqualTo(new ByteRange(0, 99));
    assertThat(ByteRange.parse("bytes=100-", 100)).isSameAs(ByteRange.UNSATISFIABLE);
    assertThat(ByteRange.parse("bytes=0-1,5-6", 100)).isNull();
    assertThat(ByteRange.parse("items=0-1", 100)).isNull();
    assertThat(ByteRange.parse("bytes=5-1", 100)).isNull();
    assertThat(ByteRange.parse("bytes=x-1", 100)).isNull();
    assertThat(new ByteRange(90, 99).length()).isEqualTo(10);
  }
}
