package io.edgegw.bridge.filter;

import static io.edgegw.bridge.filter.SampleFilter.Decision.PUBLISH;
import static io.edgegw.bridge.filter.SampleFilter.Decision.SPIKE;
import static io.edgegw.bridge.filter.SampleFilter.Decision.SUPPRESS;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.bridge.Deadband;
import io.edgegw.contracts.Quality;
import java.time.Duration;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/** Each rule of the filter, with time passed in as the clock would give it. */
class SampleFilterTest {

  private static SampleFilter absolute(double amount) {
    return new SampleFilter(
        new Deadband(Deadband.Kind.ABSOLUTE, amount), null, OptionalDouble.empty());
  }

  @Test
  void firstSampleIsAlwaysPublished() {
    assertThat(absolute(100).offer(0, 1.0, Quality.GOOD)).isEqualTo(PUBLISH);
  }

  @Test
  void noDeadbandPublishesEveryPoll() {
    SampleFilter f = new SampleFilter(Deadband.NONE, null, OptionalDouble.empty());
    assertThat(f.offer(0, 5L, Quality.GOOD)).isEqualTo(PUBLISH);
    assertThat(f.offer(1000, 5L, Quality.GOOD)).isEqualTo(PUBLISH);
    assertThat(f.offer(2000, "x", Quality.GOOD)).isEqualTo(PUBLISH);
  }

  @Test
  void absoluteDeadbandBoundaryDoesNotPublish() {
    SampleFilter f = absolute(0.5);
    f.offer(0, 10.0, Quality.GOOD);
    assertThat(f.offer(1, 10.5, Quality.GOOD)).as("exactly at the deadband").isEqualTo(SUPPRESS);
    assertThat(f.offer(2, 10.51, Quality.GOOD)).isEqualTo(PUBLISH);
    assertThat(f.offer(3, 10.2, Quality.GOOD))
        .as("measured from the last published")
        .isEqualTo(SUPPRESS);
    assertThat(f.offer(4, 10.0, Quality.GOOD)).isEqualTo(PUBLISH);
  }

  @Test
  void percentDeadbandIsRelativeToTheLastPublishedValue() {
    SampleFilter f =
        new SampleFilter(new Deadband(Deadband.Kind.PERCENT, 2), null, OptionalDouble.empty());
    f.offer(0, 200L, Quality.GOOD);
    assertThat(f.offer(1, 204L, Quality.GOOD)).isEqualTo(SUPPRESS);
    assertThat(f.offer(2, 205L, Quality.GOOD)).isEqualTo(PUBLISH);
    assertThat(f.offer(3, 201L, Quality.GOOD)).isEqualTo(SUPPRESS);
    SampleFilter zero =
        new SampleFilter(new Deadband(Deadband.Kind.PERCENT, 2), null, OptionalDouble.empty());
    zero.offer(0, 0.0, Quality.GOOD);
    assertThat(zero.offer(1, 0.0, Quality.GOOD)).isEqualTo(SUPPRESS);
    assertThat(zero.offer(2, 0.001, Quality.GOOD)).as("any change from zero").isEqualTo(PUBLISH);
  }

  @Test
  void heartbeatPublishesAnUnchangedValueAtExactlyTheInterval() {
    SampleFilter f =
        new SampleFilter(
            new Deadband(Deadband.Kind.ABSOLUTE, 1),
            Duration.ofSeconds(60),
            OptionalDouble.empty());
    f.offer(1_000, 5.0, Quality.GOOD);
    assertThat(f.offer(60_999, 5.0, Quality.GOOD)).isEqualTo(SUPPRESS);
    assertThat(f.offer(61_000, 5.0, Quality.GOOD)).isEqualTo(PUBLISH);
    assertThat(f.offer(61_001, 5.0, Quality.GOOD)).as("the interval restarts").isEqualTo(SUPPRESS);
  }

  @Test
  void everyQualityChangeIsPublishedEvenInsideTheDeadband() {
    SampleFilter f = absolute(100);
    assertThat(f.offer(0, 5.0, Quality.GOOD)).isEqualTo(PUBLISH);
    assertThat(f.offer(1, null, Quality.COMM_FAILURE)).isEqualTo(PUBLISH);
    assertThat(f.offer(2, null, Quality.COMM_FAILURE)).isEqualTo(SUPPRESS);
    assertThat(f.offer(3, 5.0, Quality.STALE)).isEqualTo(PUBLISH);
    assertThat(f.offer(4, 5.0, Quality.GOOD)).isEqualTo(PUBLISH);
    assertThat(f.offer(5, null, Quality.BAD)).isEqualTo(PUBLISH);
  }

  @Test
  void booleansAndStringsPublishOnChange() {
    SampleFilter f = absolute(10);
    f.offer(0, true, Quality.GOOD);
    assertThat(f.offer(1, true, Quality.GOOD)).isEqualTo(SUPPRESS);
    assertThat(f.offer(2, false, Quality.GOOD)).isEqualTo(PUBLISH);
    SampleFilter s = absolute(10);
    s.offer(0, "A", Quality.GOOD);
    assertThat(s.offer(1, "A", Quality.GOOD)).isEqualTo(SUPPRESS);
    assertThat(s.offer(2, "B", Quality.GOOD)).isEqualTo(PUBLISH);
  }

  @Test
  void aSingleSpikeIsHeldBackAndTheNormalValueResumes() {
    SampleFilter f =
        new SampleFilter(new Deadband(Deadband.Kind.ABSOLUTE, 0.1), null, OptionalDouble.of(10));
    f.offer(0, 20.0, Quality.GOOD);
    assertThat(f.offer(1, 95.0, Quality.GOOD)).isEqualTo(SPIKE);
    assertThat(f.offer(2, 20.05, Quality.GOOD))
        .as("back to GOOD is a quality change")
        .isEqualTo(PUBLISH);
  }

  @Test
  void aConfirmedJumpIsAccepted() {
    SampleFilter f =
        new SampleFilter(new Deadband(Deadband.Kind.ABSOLUTE, 0.1), null, OptionalDouble.of(10));
    f.offer(0, 20.0, Quality.GOOD);
    assertThat(f.offer(1, 60.0, Quality.GOOD)).isEqualTo(SPIKE);
    assertThat(f.offer(2, 61.0, Quality.GOOD)).as("confirms the new level").isEqualTo(PUBLISH);
    assertThat(f.offer(3, 62.0, Quality.GOOD)).isEqualTo(PUBLISH);
    assertThat(f.offer(4, 62.05, Quality.GOOD)).isEqualTo(SUPPRESS);
  }

  @Test
  void nanCountsAsAChange() {
    SampleFilter f = absolute(100);
    f.offer(0, 1.0, Quality.GOOD);
    assertThat(f.offer(1, Double.NaN, Quality.GOOD)).isEqualTo(PUBLISH);
    assertThat(f.offer(2, 1.0, Quality.GOOD)).isEqualTo(PUBLISH);
  }
}
