package io.edgegw.bridge.filter;

import static io.edgegw.bridge.filter.SampleFilter.Decision.PUBLISH;
import static io.edgegw.bridge.filter.SampleFilter.Decision.SPIKE;
import static io.edgegw.bridge.filter.SampleFilter.Decision.SUPPRESS;
import static io.edgegw.contracts.Quality.BAD;
import static io.edgegw.contracts.Quality.COMM_FAILURE;
import static io.edgegw.contracts.Quality.GOOD;
import static io.edgegw.contracts.Quality.STALE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.bridge.Deadband;
import io.edgegw.bridge.filter.SampleFilter.Decision;
import io.edgegw.contracts.Quality;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each rule of the filter, with time passed in as the clock would give it. */
class SampleFilterTest {

  private static final Deadband NONE = Deadband.NONE;

  private static Deadband absolute(double amount) {
    return new Deadband(Deadband.Kind.ABSOLUTE, amount);
  }

  private static Deadband percent(double amount) {
    return new Deadband(Deadband.Kind.PERCENT, amount);
  }

  private static SampleFilter filter(Deadband deadband) {
    return new SampleFilter(deadband, null, OptionalDouble.empty());
  }

  private static SampleFilter spiky(Deadband deadband, double limit) {
    return new SampleFilter(deadband, null, OptionalDouble.of(limit));
  }

  /** Offers GOOD samples one second apart and returns the decisions. */
  private static List<Decision> feed(SampleFilter f, Object... values) {
    List<Decision> out = new ArrayList<>();
    long t = 0;
    for (Object v : values) {
      out.add(f.offer(t, v, GOOD));
      t += 1000;
    }
    return out;
  }

  // ---- first sample ----

  @ParameterizedTest
  @EnumSource(Quality.class)
  void theFirstSampleIsAlwaysPublished(Quality quality) {
    Object value = quality == GOOD ? 1.0 : null;
    assertThat(filter(absolute(100)).offer(0, value, quality)).isEqualTo(PUBLISH);
  }

  // ---- deadband ----

  @Test
  void noDeadbandPublishesEverySampleEvenUnchanged() {
    assertThat(feed(filter(NONE), 5L, 5L, 5L, 6L, 6L)).containsOnly(PUBLISH).hasSize(5);
    assertThat(feed(filter(NONE), 5.0, 5.0, Double.NaN, Double.NaN)).containsOnly(PUBLISH);
  }

  @Test
  void noDeadbandPublishesBooleansAndStringsEveryPollToo() {
    // Project rule (docs/configuration.md): without a deadband every poll is published, whatever
    // the type; "deadband: 0" turns booleans and strings into report-on-change.
    assertThat(feed(filter(NONE), true, true, false)).containsOnly(PUBLISH);
    assertThat(feed(filter(NONE), "A", "A")).containsOnly(PUBLISH);
  }

  @Test
  void absoluteDeadbandExactlyAtTheAmountDoesNotPublish() {
    // Values exact in binary, so "exactly at" is exact.
    assertThat(feed(filter(absolute(0.5)), 10.0, 10.5, 9.5, 10.625, 10.125, 10.0))
        .containsExactly(PUBLISH, SUPPRESS, SUPPRESS, PUBLISH, SUPPRESS, PUBLISH);
  }

  @Test
  void absoluteDeadbandIsMeasuredFromTheLastPublishedValueNotTheLastSample() {
    // Slow creep: each step is inside the band, the sum is not.
    assertThat(feed(filter(absolute(1)), 0L, 1L, 2L, 3L, 4L))
        .containsExactly(PUBLISH, SUPPRESS, PUBLISH, SUPPRESS, PUBLISH);
  }

  @Test
  void aZeroDeadbandPublishesEveryChangeAndNothingElse() {
    assertThat(feed(filter(absolute(0)), 7L, 7L, 8L, 8L, 7L))
        .containsExactly(PUBLISH, SUPPRESS, PUBLISH, SUPPRESS, PUBLISH);
  }

  @Test
  void percentDeadbandIsRelativeToTheLastPublishedValue() {
    // 2 % of 200 is 4: a move of exactly 4 stays quiet.
    assertThat(feed(filter(percent(2)), 200L, 204L, 196L, 205L, 201L))
        .containsExactly(PUBLISH, SUPPRESS, SUPPRESS, PUBLISH, SUPPRESS);
    assertThat(feed(filter(percent(2)), -200.0, -204.0, -204.5))
        .as("the magnitude of a negative value")
        .containsExactly(PUBLISH, SUPPRESS, PUBLISH);
  }

  @Test
  void percentDeadbandFromZeroPublishesAnyChange() {
    assertThat(feed(filter(percent(50)), 0.0, 0.0, 0.25, 0.375))
        .containsExactly(PUBLISH, SUPPRESS, PUBLISH, SUPPRESS);
    assertThat(feed(filter(percent(50)), 0L, -1L)).containsExactly(PUBLISH, PUBLISH);
  }

  @Test
  void booleansAndStringsPublishOnChangeWithADeadband() {
    assertThat(feed(filter(absolute(0)), true, true, false, false, true))
        .containsExactly(PUBLISH, SUPPRESS, PUBLISH, SUPPRESS, PUBLISH);
    assertThat(feed(filter(absolute(10)), "A", "A", "B", "b"))
        .containsExactly(PUBLISH, SUPPRESS, PUBLISH, PUBLISH);
  }

  @Test
  void largeIntegersAreComparedExactly() {
    long big = 1L << 60;
    assertThat(feed(filter(absolute(0)), big, big, big + 1))
        .as("a step of 1 above 2^53")
        .containsExactly(PUBLISH, SUPPRESS, PUBLISH);
    BigInteger max = new BigInteger("18446744073709551615");
    assertThat(feed(filter(absolute(0)), max, max, max.subtract(BigInteger.ONE)))
        .containsExactly(PUBLISH, SUPPRESS, PUBLISH);
    assertThat(feed(filter(absolute(0)), Long.MAX_VALUE, new BigInteger("9223372036854775808")))
        .as("uint64 crossing from Long to BigInteger")
        .containsExactly(PUBLISH, PUBLISH);
    assertThat(feed(filter(absolute(1e18)), Long.MIN_VALUE, Long.MAX_VALUE))
        .as("a difference that overflows a long")
        .containsExactly(PUBLISH, PUBLISH);
  }

  // ---- heartbeat ----

  @Test
  void heartbeatPublishesAnUnchangedValueAtExactlyTheInterval() {
    SampleFilter f = new SampleFilter(absolute(1), Duration.ofSeconds(60), OptionalDouble.empty());
    assertThat(f.offer(1_000, 5.0, GOOD)).isEqualTo(PUBLISH);
    assertThat(f.offer(60_999, 5.0, GOOD)).isEqualTo(SUPPRESS);
    assertThat(f.offer(61_000, 5.0, GOOD)).isEqualTo(PUBLISH);
    assertThat(f.offer(61_001, 5.0, GOOD)).as("the interval restarts").isEqualTo(SUPPRESS);
    assertThat(f.offer(121_000, 5.0, GOOD)).isEqualTo(PUBLISH);
  }

  @Test
  void aPublishedChangeRestartsTheHeartbeat() {
    SampleFilter f = new SampleFilter(absolute(1), Duration.ofSeconds(60), OptionalDouble.empty());
    f.offer(0, 5.0, GOOD);
    assertThat(f.offer(30_000, 9.0, GOOD)).isEqualTo(PUBLISH);
    assertThat(f.offer(60_000, 9.0, GOOD)).isEqualTo(SUPPRESS);
    assertThat(f.offer(90_000, 9.0, GOOD)).isEqualTo(PUBLISH);
  }

  @Test
  void heartbeatRepeatsAnUnchangedBadQualityToo() {
    SampleFilter f = new SampleFilter(absolute(1), Duration.ofSeconds(10), OptionalDouble.empty());
    f.offer(0, null, COMM_FAILURE);
    assertThat(f.offer(5_000, null, COMM_FAILURE)).isEqualTo(SUPPRESS);
    assertThat(f.offer(10_000, null, COMM_FAILURE)).isEqualTo(PUBLISH);
  }

  @Test
  void withoutHeartbeatAnUnchangedValueStaysQuietForever() {
    SampleFilter f = filter(absolute(1));
    f.offer(0, 5.0, GOOD);
    assertThat(f.offer(Long.MAX_VALUE / 2, 5.0, GOOD)).isEqualTo(SUPPRESS);
    assertThat(f.offer(-1_000, 5.0, GOOD)).as("clock stepped back").isEqualTo(SUPPRESS);
  }

  @Test
  void aClockSteppedBackDoesNotSilenceTheHeartbeat() {
    SampleFilter f = new SampleFilter(absolute(1), Duration.ofSeconds(60), OptionalDouble.empty());
    f.offer(3_600_000, 5.0, GOOD);
    assertThat(f.offer(1_000, 5.0, GOOD)).as("one sample re-bases the interval").isEqualTo(PUBLISH);
    assertThat(f.offer(2_000, 5.0, GOOD)).isEqualTo(SUPPRESS);
    assertThat(f.offer(61_000, 5.0, GOOD)).isEqualTo(PUBLISH);
  }

  @Test
  void aHeartbeatTooLongForMillisecondsNeverFires() {
    SampleFilter f =
        new SampleFilter(absolute(1), Duration.ofSeconds(Long.MAX_VALUE), OptionalDouble.empty());
    f.offer(0, 5.0, GOOD);
    assertThat(f.offer(Long.MAX_VALUE - 1, 5.0, GOOD)).isEqualTo(SUPPRESS);
  }

  // ---- quality ----

  @Test
  void everyQualityChangeIsPublishedEvenInsideTheDeadband() {
    SampleFilter f = filter(absolute(100));
    assertThat(f.offer(0, 5.0, GOOD)).isEqualTo(PUBLISH);
    assertThat(f.offer(1, null, COMM_FAILURE)).isEqualTo(PUBLISH);
    assertThat(f.offer(2, null, COMM_FAILURE)).isEqualTo(SUPPRESS);
    assertThat(f.offer(3, 5.0, GOOD)).isEqualTo(PUBLISH);
    assertThat(f.offer(4, 5.0, GOOD)).isEqualTo(SUPPRESS);
    assertThat(f.offer(5, null, COMM_FAILURE)).isEqualTo(PUBLISH);
    assertThat(f.offer(6, 5.0, GOOD)).isEqualTo(PUBLISH);
  }

  @Test
  void everyPairOfQualitiesCountsAsAChange() {
    for (Quality from : Quality.values()) {
      for (Quality to : Quality.values()) {
        SampleFilter f = filter(absolute(100));
        f.offer(0, from == GOOD ? 5.0 : null, from);
        Decision d = f.offer(1, to == GOOD ? 5.0 : null, to);
        assertThat(d).as("%s -> %s", from, to).isEqualTo(from == to ? SUPPRESS : PUBLISH);
      }
    }
  }

  @Test
  void staleSamplesFollowTheDeadbandLikeAnyOther() {
    SampleFilter f = filter(absolute(1));
    f.offer(0, 5.0, GOOD);
    assertThat(f.offer(1, 5.0, STALE)).isEqualTo(PUBLISH);
    assertThat(f.offer(2, 5.0, STALE)).isEqualTo(SUPPRESS);
    assertThat(f.offer(3, 5.0, GOOD)).isEqualTo(PUBLISH);
  }

  // ---- spike ----

  @Test
  void aJumpIsHeldBackThenAcceptedWhenTheNextSampleConfirmsIt() {
    SampleFilter f = spiky(absolute(0.1), 10);
    assertThat(f.offer(0, 20.0, GOOD)).isEqualTo(PUBLISH);
    assertThat(f.offer(1, 60.0, GOOD)).isEqualTo(SPIKE);
    assertThat(f.offer(2, 61.0, GOOD)).as("confirms the new level").isEqualTo(PUBLISH);
    assertThat(f.offer(3, 62.0, GOOD)).as("the level moved").isEqualTo(PUBLISH);
    assertThat(f.offer(4, 62.05, GOOD)).isEqualTo(SUPPRESS);
  }

  @Test
  void aConfirmedDropIsAcceptedToo() {
    assertThat(feed(spiky(NONE, 10), 100L, 50L, 45L, 44L))
        .containsExactly(PUBLISH, SPIKE, PUBLISH, PUBLISH);
  }

  @Test
  void aSingleOutlierIsRejectedAndTheOldLevelResumes() {
    SampleFilter f = spiky(absolute(0.1), 10);
    f.offer(0, 20.0, GOOD);
    assertThat(f.offer(1, 95.0, GOOD)).isEqualTo(SPIKE);
    assertThat(f.offer(2, 20.05, GOOD))
        .as("published: GOOD after the BAD of the spike is a quality change")
        .isEqualTo(PUBLISH);
    assertThat(f.offer(3, 20.1, GOOD)).as("the outlier left no trace").isEqualTo(SUPPRESS);
    assertThat(f.offer(4, 31.0, GOOD)).as("measured from the last accepted 20.1").isEqualTo(SPIKE);
  }

  @Test
  void aSpikeIsCountedAsAPublishedBadSample() {
    // SPIKE means: the caller publishes this sample as BAD with no value.
    SampleFilter f = spiky(absolute(1), 10);
    f.offer(0, 20.0, GOOD);
    assertThat(f.offer(1, 95.0, GOOD)).isEqualTo(SPIKE);
    assertThat(f.offer(2, null, BAD)).as("BAD was just published").isEqualTo(SUPPRESS);
    assertThat(f.offer(3, 20.0, GOOD)).isEqualTo(PUBLISH);
  }

  @Test
  void twoJumpsThatDisagreeAreBothHeld() {
    assertThat(feed(spiky(NONE, 10), 20.0, 60.0, 90.0, 91.0, 92.0))
        .containsExactly(PUBLISH, SPIKE, SPIKE, PUBLISH, PUBLISH);
  }

  @Test
  void aJumpOfExactlyTheLimitIsNoSpike() {
    assertThat(feed(spiky(NONE, 10), 20.0, 30.0, 20.0, 9.9999))
        .containsExactly(PUBLISH, PUBLISH, PUBLISH, SPIKE);
  }

  @Test
  void spikesAreMeasuredFromTheLastAcceptedNotTheLastPublishedValue() {
    // Deadband 100 suppresses 8 and 16, but each is within 10 of the sample before it.
    assertThat(feed(spiky(absolute(100), 10), 0.0, 8.0, 16.0, 24.0))
        .containsExactly(PUBLISH, SUPPRESS, SUPPRESS, SUPPRESS);
  }

  @Test
  void aHeldJumpSurvivesACommunicationFailure() {
    SampleFilter f = spiky(NONE, 10);
    f.offer(0, 20.0, GOOD);
    assertThat(f.offer(1, 60.0, GOOD)).isEqualTo(SPIKE);
    assertThat(f.offer(2, null, COMM_FAILURE)).isEqualTo(PUBLISH);
    assertThat(f.offer(3, 61.0, GOOD)).as("next value read confirms").isEqualTo(PUBLISH);
    assertThat(f.offer(4, 20.0, GOOD)).as("61 is the level now").isEqualTo(SPIKE);
  }

  @Test
  void spikeChecksApplyToGoodNumbersOnly() {
    SampleFilter f = spiky(absolute(0), 10);
    f.offer(0, 20.0, GOOD);
    assertThat(f.offer(1, 500.0, STALE)).isEqualTo(PUBLISH);
    assertThat(f.offer(2, 21.0, GOOD)).isEqualTo(PUBLISH);
    SampleFilter bool = spiky(absolute(0), 0.5);
    assertThat(feed(bool, true, false)).containsExactly(PUBLISH, PUBLISH);
  }

  @Test
  void integerSamplesAreSpikeCheckedToo() {
    assertThat(feed(spiky(NONE, 100), 1000L, 5000L, 1010L))
        .containsExactly(PUBLISH, SPIKE, PUBLISH);
  }

  // ---- NaN ----

  @Test
  void nanIsAChangeButNanAfterNanIsNot() {
    assertThat(feed(filter(absolute(100)), 1.0, Double.NaN, Double.NaN, 1.0, 1.0))
        .containsExactly(PUBLISH, PUBLISH, SUPPRESS, PUBLISH, SUPPRESS);
    assertThat(feed(filter(percent(10)), Double.NaN, 0.0)).containsExactly(PUBLISH, PUBLISH);
  }

  @Test
  void nanIsNeverASpikeAndKeepsTheSpikeLevel() {
    assertThat(feed(spiky(absolute(0.1), 10), 20.0, Double.NaN, 21.0, 95.0))
        .containsExactly(PUBLISH, PUBLISH, PUBLISH, SPIKE);
  }

  @Test
  void nanBetweenAJumpAndItsConfirmationCancelsTheConfirmation() {
    assertThat(feed(spiky(NONE, 10), 20.0, 60.0, Double.NaN, 61.0, 62.0))
        .containsExactly(PUBLISH, SPIKE, PUBLISH, SPIKE, PUBLISH);
  }

  @Test
  void infinityIsAChangeAndAnInfiniteJumpIsASpike() {
    assertThat(feed(filter(absolute(100)), 1.0, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY))
        .containsExactly(PUBLISH, PUBLISH, SUPPRESS);
    assertThat(feed(spiky(NONE, 10), 1.0, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY))
        .containsExactly(PUBLISH, SPIKE, SPIKE);
  }

  // ---- construction and misuse ----

  @Test
  void settingsOutOfRangeAreRefused() {
    assertThatThrownBy(() -> new SampleFilter(NONE, Duration.ZERO, OptionalDouble.empty()))
        .hasMessage("heartbeat must be longer than 0, got PT0S");
    assertThatThrownBy(() -> new SampleFilter(NONE, Duration.ofSeconds(-1), OptionalDouble.empty()))
        .hasMessageContaining("heartbeat must be longer than 0");
    assertThatThrownBy(() -> new SampleFilter(NONE, null, OptionalDouble.of(0)))
        .hasMessage("spike limit must be greater than 0, got 0.0");
    assertThatThrownBy(() -> new SampleFilter(NONE, null, OptionalDouble.of(Double.NaN)))
        .hasMessageContaining("spike limit must be greater than 0");
    assertThatThrownBy(() -> new SampleFilter(null, null, OptionalDouble.empty()))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void aGoodSampleWithoutAValueIsAProgrammingError() {
    assertThatThrownBy(() -> filter(NONE).offer(0, null, GOOD))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a GOOD sample needs a value");
  }
}
