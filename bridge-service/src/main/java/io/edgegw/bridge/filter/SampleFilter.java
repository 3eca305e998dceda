package io.edgegw.bridge.filter;

import io.edgegw.bridge.Deadband;
import io.edgegw.contracts.Quality;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * Decides, sample by sample, which samples of one tag are published. The rules, in order:
 *
 * <ol>
 *   <li>Spike: with a spike limit, a GOOD number further than the limit from the last accepted
 *       number is held back once ({@link Decision#SPIKE}). It is accepted when the next GOOD number
 *       is within the limit of the held one (it confirms the new level); a next number back near
 *       the old level is accepted instead, and the held one is forgotten as an outlier.
 *   <li>The first sample, and every sample whose quality differs from the last published one, is
 *       published: filtering never hides a change of quality.
 *   <li>Heartbeat: a sample is published when the heartbeat has passed since the last publication
 *       (at exactly the interval, too), or when the clock has stepped back behind it.
 *   <li>Change: with {@link Deadband.Kind#NONE} every sample is published. Otherwise a number is
 *       published when it moved more than the deadband from the last published number ({@code
 *       ABSOLUTE}: |new - last| &gt; amount; {@code PERCENT}: |new - last| &gt; |last| × amount /
 *       100, so from 0 any change counts); a boolean, a string or a missing value when it differs
 *       from the last published one.
 * </ol>
 *
 * <p>NaN: a step to or from NaN is a change whatever the deadband, NaN after NaN is not. A NaN is
 * never a spike and does not move the level spikes are measured from. Integers (Long, BigInteger)
 * are compared exactly, so a deadband of 0 sees a step of 1 even above 2^53.
 *
 * <p>One instance per tag, holding that tag's history. Not thread-safe: a tag is polled by one
 * thread. Time comes in with each sample (from the caller's injected clock), so tests drive it.
 */
public final class SampleFilter {

  /** What the caller does with a sample. */
  public enum Decision {
    /** Publish the sample as offered. */
    PUBLISH,
    /** Publish nothing: no change worth reporting. */
    SUPPRESS,
    /**
     * A jump beyond the spike limit, held back: publish the sample with quality {@code BAD} and no
     * value. The filter counts that as published, so the next accepted GOOD sample is published as
     * a change of quality.
     */
    SPIKE
  }

  private static final long NO_HEARTBEAT = -1;

  private final Deadband deadband;
  private final long heartbeatMillis;
  private final OptionalDouble spikeLimit;

  private boolean published;
  private Object lastValue;
  private Quality lastQuality;
  private long lastTime;

  /** The last GOOD number let through the spike check; NaN until there is one. */
  private double accepted = Double.NaN;

  /** A jump held back as a possible spike; NaN when none is held. */
  private double held = Double.NaN;

  /**
   * Creates the filter of one tag.
   *
   * @param deadband change filter
   * @param heartbeat maximum silent interval, longer than zero; null for none
   * @param spikeLimit largest plausible change between two GOOD numbers, greater than 0; empty for
   *     no spike check
   */
  public SampleFilter(Deadband deadband, Duration heartbeat, OptionalDouble spikeLimit) {
    this.deadband = Objects.requireNonNull(deadband, "deadband");
    this.spikeLimit = Objects.requireNonNull(spikeLimit, "spikeLimit");
    if (heartbeat != null && (heartbeat.isZero() || heartbeat.isNegative())) {
      throw new IllegalArgumentException("heartbeat must be longer than 0, got " + heartbeat);
    }
    if (spikeLimit.isPresent() && !(spikeLimit.getAsDouble() > 0)) {
      throw new IllegalArgumentException(
          "spike limit must be greater than 0, got " + spikeLimit.getAsDouble());
    }
    this.heartbeatMillis = heartbeat == null ? NO_HEARTBEAT : millis(heartbeat);
  }

  /**
   * Offers the sample read at {@code tMillis}.
   *
   * @param tMillis when the sample was read, in epoch milliseconds
   * @param value Long, Double, BigInteger, Boolean or String; null when the quality is not GOOD
   * @param quality the sample's quality
   * @return what the caller publishes
   * @throws IllegalArgumentException if a GOOD sample has no value
   */
  public Decision offer(long tMillis, Object value, Quality quality) {
    Objects.requireNonNull(quality, "quality");
    boolean good =
        switch (quality) {
          case GOOD -> true;
          case BAD, STALE, COMM_FAILURE -> false;
        };
    if (good && value == null) {
      throw new IllegalArgumentException("a GOOD sample needs a value");
    }
    if (good && value instanceof Number n && spikeLimit.isPresent() && isSpike(n.doubleValue())) {
      remember(tMillis, null, Quality.BAD);
      return Decision.SPIKE;
    }
    boolean publish =
        !published || quality != lastQuality || heartbeatDue(tMillis) || changed(value);
    if (!publish) {
      return Decision.SUPPRESS;
    }
    remember(tMillis, value, quality);
    return Decision.PUBLISH;
  }

  /** Runs the spike check on a GOOD number and updates the spike state. */
  private boolean isSpike(double v) {
    if (Double.isNaN(v)) {
      // NaN carries no level to compare; it neither confirms a held jump nor moves the level.
      held = Double.NaN;
      return false;
    }
    double limit = spikeLimit.getAsDouble();
    boolean jump = !Double.isNaN(accepted) && !(Math.abs(v - accepted) <= limit);
    if (jump && !(Math.abs(v - held) <= limit)) {
      // A second jump that does not agree with the first is held in its place: only two
      // consecutive samples at one new level move the level.
      held = v;
      return true;
    }
    held = Double.NaN;
    accepted = v;
    return false;
  }

  private boolean heartbeatDue(long tMillis) {
    if (heartbeatMillis == NO_HEARTBEAT) {
      return false;
    }
    long elapsed = tMillis - lastTime;
    // A clock stepped back would otherwise silence the heartbeat for the length of the step.
    return elapsed >= heartbeatMillis || elapsed < 0;
  }

  private void remember(long tMillis, Object value, Quality quality) {
    published = true;
    lastValue = value;
    lastQuality = quality;
    lastTime = tMillis;
  }

  private boolean changed(Object value) {
    return switch (deadband.kind()) {
      case NONE -> true;
      case ABSOLUTE, PERCENT ->
          value instanceof Number now && lastValue instanceof Number before
              ? moved(now, before)
              : !Objects.equals(value, lastValue);
    };
  }

  private boolean moved(Number now, Number before) {
    double a = now.doubleValue();
    double b = before.doubleValue();
    if (Double.isNaN(a) || Double.isNaN(b)) {
      return Double.isNaN(a) != Double.isNaN(b);
    }
    double delta = distance(now, before);
    return switch (deadband.kind()) {
      case NONE -> true;
      case ABSOLUTE -> delta > deadband.amount();
      case PERCENT -> b == 0 ? delta > 0 : delta > Math.abs(b) * deadband.amount() / 100;
    };
  }

  /** |now - before|, exact in sign and zero for integers too large for a double. */
  private static double distance(Number now, Number before) {
    if (now instanceof Long a && before instanceof Long b) {
      try {
        return Math.abs((double) Math.subtractExact(a, b));
      } catch (ArithmeticException overflow) {
        // Operands of opposite sign near the ends of the range: fall through to BigInteger.
      }
    }
    if (isInteger(now) && isInteger(before)) {
      return integer(now).subtract(integer(before)).abs().doubleValue();
    }
    return Math.abs(now.doubleValue() - before.doubleValue());
  }

  private static boolean isInteger(Number n) {
    return n instanceof Long || n instanceof Integer || n instanceof BigInteger;
  }

  private static BigInteger integer(Number n) {
    return n instanceof BigInteger b ? b : BigInteger.valueOf(n.longValue());
  }

  private static long millis(Duration d) {
    try {
      return d.toMillis();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }
}
