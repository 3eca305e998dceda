package io.edgegw.rules.alarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LimitsTest {
  @Test
  void aHighLimitWithHysteresisReturnsOnlyBelowTheBand() {
    Threshold hi = new Threshold(Threshold.Kind.HI, 80, 2);
    assertThat(hi.exceeded(80, false)).isFalse();
    assertThat(hi.exceeded(80.1, false)).isTrue();
    assertThat(hi.exceeded(79, true)).isTrue(); // inside the band: still exceeded
    assertThat(hi.exceeded(78, true)).isFalse();
  }

  @Test
  void aLowLimitIsTheMirrorImage() {
    Threshold lo = new Threshold(Threshold.Kind.LOLO, 10, 1);
    assertThat(lo.exceeded(9.9, false)).isTrue();
    assertThat(lo.exceeded(10.5, true)).isTrue();
    assertThat(lo.exceeded(11, true)).isFalse();
  }

  @Test
  void limitsMustBeFinite() {
    assertThatThrownBy(() -> new Threshold(Threshold.Kind.HI, Double.NaN, 0))
        .hasMessage("limit must be a finite number, got NaN");
    assertThatThrownBy(() -> new Threshold(Threshold.Kind.HI, 1, -1))
        .hasMessage("hysteresis must be >= 0, got -1.0");
  }

  @Test
  void rateOfChangeIsPerSecondBetweenConsecutiveSamples() {
    RateOfChange roc = new RateOfChange(5);
    assertThat(roc.exceeded(100, 0)).isFalse(); // first sample: no rate yet
    assertThat(roc.exceeded(104, 1000)).isFalse();
    assertThat(roc.rate()).isEqualTo(4.0);
    assertThat(roc.exceeded(107, 1500)).isTrue(); // 3 in 0.5 s = 6/s
    assertThat(roc.exceeded(100, 2500)).isTrue(); // -7/s
    assertThat(roc.exceeded(99, 3500)).isFalse();
  }
}
