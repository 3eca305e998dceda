package io.edgegw.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VersionsTest {

  @Test
  void comparesNumericallyPartByPart() {
    assertThat(Versions.compare("1.10.0", "1.9.9")).isPositive();
    assertThat(Versions.compare("2.0.0", "10.0.0")).isNegative();
    assertThat(Versions.compare("1.2.3", "1.2.3")).isZero();
    assertThat(Versions.compare("0.0.1", "0.0.0")).isPositive();
  }

  @Test
  void acceptsOnlyMajorMinorPatch() {
    assertThat(Versions.isValid("0.0.0")).isTrue();
    assertThat(Versions.isValid("12.345.6789")).isTrue();
    for (String bad :
        new String[] {
          "1.2", "1.2.3.4", "01.2.3", "1.2.3-rc1", "1.2.3+b", "v1.2.3", " 1.2.3", "", "1..3"
        }) {
      assertThat(Versions.isValid(bad)).as(bad).isFalse();
    }
    assertThat(Versions.isValid(null)).isFalse();
    assertThatThrownBy(() -> Versions.compare("1.2.3", "1.2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'1.2'")
        .hasMessageContaining("MAJOR.MINOR.PATCH");
  }
}
