package io.edgegw.bundle;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.bundle.BundleRejectedException.Reason;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UpgradePolicyTest {

  private final Bundle v1 = TestBundles.bundle("1.0.0");
  private final Bundle v2 = TestBundles.bundle("2.0.0");

  @Test
  void upgradesAndFirstInstallsPass() {
    assertThatCode(
            () -> UpgradePolicy.check(v2, "1.0.0", Optional.of("1.0.0"), Set.of(v1.digest())))
        .doesNotThrowAnyException();
    assertThatCode(() -> UpgradePolicy.check(v1, "1.0.0", Optional.empty(), Set.of()))
        .doesNotThrowAnyException();
  }

  @Test
  void aDowngradeIsRejected() {
    assertThatThrownBy(
            () -> UpgradePolicy.check(v1, "1.0.0", Optional.of("2.0.0"), Set.of(v2.digest())))
        .isInstanceOfSatisfying(
            BundleRejectedException.class,
            e -> org.assertj.core.api.Assertions.assertThat(e.reason()).isEqualTo(Reason.DOWNGRADE))
        .hasMessageContaining("1.0.0")
        .hasMessageContaining("installed 2.0.0");
  }

  @Test
  void theSameVersionWithOtherContentIsRejected() {
    Bundle otherV2 =
        Bundle.of(
            new BundleManifest(
                "2.0.0", "1.0.0", List.of("bridge", "buffer"), Map.of(), v2.manifest().created()),
            TestBundles.compose());
    assertThatThrownBy(
            () -> UpgradePolicy.check(otherV2, "1.0.0", Optional.of("2.0.0"), Set.of(v2.digest())))
        .isInstanceOfSatisfying(
            BundleRejectedException.class,
            e ->
                org.assertj.core.api.Assertions.assertThat(e.reason()).isEqualTo(Reason.DOWNGRADE));
  }

  @Test
  void aRollbackToABundleInstalledBeforePasses() {
    assertThatCode(() ->
            UpgradePolicy.check(
                v1, "1.0.0", Optional.of("2.0.0"), Set.of(v1.digest(), v2.digest())))
        .doesNotThrowAnyException();
  }

  @Test
  void anAgentOlderThanTheMinimumIsRejected() {
    Bundle needsNew =
        Bundle.of(
            new BundleManifest(
                "3.0.0", "1.5.0", List.of("bridge"), Map.of(), v1.manifest().created()),
            TestBundles.compose());
    assertThatThrownBy(() -> UpgradePolicy.check(needsNew, "1.4.9", Optional.of("2.0.0"), Set.of()))
        .isInstanceOfSatisfying(
            BundleRejectedException.class,
            e ->
                org.assertj.core.api.Assertions.assertThat(e.reason())
                    .isEqualTo(Reason.AGENT_TOO_OLD))
        .hasMessageContaining("needs ota-agent 1.5.0 or later; this one is 1.4.9");
  }
}
