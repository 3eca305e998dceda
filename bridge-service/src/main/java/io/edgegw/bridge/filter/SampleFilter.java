package io.edgegw.bridge.filter;

import io.edgegw.bridge.Deadband;
import io.edgegw.contracts.Quality;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * Decides, sample by sample, what of one tag is published: report on change (deadband), at least
 * every heartbeat, spikes held back once, and every change of quality. One instance per tag; not
 * thread-safe (a tag is polled by one thread). Time comes in with each sample, so tests drive it.
 */
public final class SampleFilter {

  /** What to do with a sample. */
  public enum Decision {
    /** Publish it. */
    PUBLISH,
    /** Drop it: no change worth reporting. */
    SUPPRESS,
    /**
     * A jump beyond the spike limit, held back once: publish the sample as BAD with no value. If
     * the next sample confirms the new level it is published as GOOD.
     */
    SPIKE
  }

  private final Deadband deadband;
  private final long heartbeatMs;
  private final OptionalDouble spikeLimit;
  private boolean any;
  private Object lastValue;
  private Quality lastQuality;
  private long lastTime;
  private Double heldSpike;
  private Double lastAccepted;

  /**
   * @param deadband change filter for numbers
   * @param heartbeat maximum silent interval, or null for none
   * @param spikeLimit largest plausible change between two samples, or empty
   */
  public SampleFilter(Deadband deadband, Duration heartbeat, OptionalDouble spikeLimit) {
    this.deadband = Objects.requireNonNull(deadband);
    this.heartbeatMs = heartbeat == null ? Long.MAX_VALUE : heartbeat.toMillis();
    this.spikeLimit = Objects.requireNonNull(spikeLimit);
  }

  /** Offers the sample read at {@code tMillis}. */
  public Decision offer(long tMillis, Object value, Quality quality) {
    if (quality == Quality.GOOD && value instanceof Number n && spikeLimit.isPresent()) {
      double v = n.doubleValue();
      if (lastAccepted != null && Math.abs(v - lastAccepted) > spikeLimit.getAsDouble()) {
        boolean confirms = heldSpike != null && Math.abs(v - heldSpike) <= spikeLimit.getAsDouble();
        if (!confirms) {
          heldSpike = v;
          return remember(tMillis, null, Quality.BAD, Decision.SPIKE);
        }
      }
      heldSpike = null;
      lastAccepted = v;
    } else if (quality == Quality.GOOD && value instanceof Number n) {
      lastAccepted = n.doubleValue();
    }
    boolean publish =
        !any || quality != lastQuality || tMillis - lastTime >= heartbeatMs || changed(value);
    return publish ? remember(tMillis, value, quality, Decision.PUBLISH) : Decision.SUPPRESS;
  }

  private Decision remember(long t, Object value, Quality q, Decision d) {
    any = true;
    lastValue = value;
    lastQuality = q;
    lastTime = t;
    return d;
  }

  private boolean changed(Object value) {
    if (value instanceof Number now && lastValue instanceof Number before) {
      double a = now.doubleValue();
      double b = before.doubleValue();
      if (Double.isNaN(a) || Double.isNaN(b)) {
        return true;
      }
      if (now instanceof BigInteger || before instanceof BigInteger) {
        if (!now.equals(before) && deadband.kind() == Deadband.Kind.NONE) {
          return true;
        }
      }
      double delta = Math.abs(a - b);
      return switch (deadband.kind()) {
        case NONE -> true;
        case ABSOLUTE -> delta > deadband.amount();
        case PERCENT -> b == 0 ? delta > 0 : delta > Math.abs(b) * deadband.amount() / 100;
      };
    }
    if (deadband.kind() == Deadband.Kind.NONE) {
      return true;
    }
    return !Objects.equals(value, lastValue);
  }
}
