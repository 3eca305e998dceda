package io.edgegw.ota.update;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FirstBootTest {
  static final StateStore.Installed NOTHING = new StateStore.Installed(null, List.of(), List.of());

  @Test
  void readsATagOrADigest() {
    assertThat(FirstBoot.parse("edgegw/bundle:0.1.7"))
        .isEqualTo(new FirstBoot("edgegw/bundle", "0.1.7"));
    String digest = "sha256:" + "ab".repeat(32);
    assertThat(FirstBoot.parse("edgegw/bundle@" + digest))
        .isEqualTo(new FirstBoot("edgegw/bundle", digest));
  }

  @Test
  void badValuesSayWhatIsWrong() {
    assertThatThrownBy(() -> FirstBoot.parse("edgegw/bundle"))
        .hasMessageContaining("ota.bootstrap 'edgegw/bundle' names no tag or digest");
    assertThatThrownBy(() -> FirstBoot.parse("edgegw/bundle@sha256:12"))
        .hasMessageContaining("64 hex digits");
    assertThatThrownBy(() -> FirstBoot.parse("Edge GW:1"))
        .hasMessageContaining("is not a repository name");
    assertThatThrownBy(() -> FirstBoot.parse("edgegw/bundle:-x"))
        .hasMessageContaining("is not a tag");
  }

  @Test
  void onlyAGatewayWithNothingInstalledInstallsIt() {
    assertThat(FirstBoot.due(Optional.of("edgegw/bundle:1.0.0"), NOTHING))
        .contains(new FirstBoot("edgegw/bundle", "1.0.0"));
    assertThat(FirstBoot.due(Optional.empty(), NOTHING)).isEmpty();
    InstalledBundle v1 = installed();
    StateStore.Installed some = new StateStore.Installed(v1, List.of(v1), List.of("d"));
    assertThat(FirstBoot.due(Optional.of("edgegw/bundle:1.0.0"), some)).isEmpty();
  }

  private static InstalledBundle installed() {
    return new InstalledBundle("1.0.0", "d", "/var/lib/edgegw/ota/bundles/d", 0, "first-boot");
  }
}
