package io.edgegw.rules.alarm;

/**
 * Rate of change between consecutive good samples, in units per second; the condition holds while
 * its magnitude is above the limit. Samples with the same or an older timestamp are ignored.
 */
public final class RateOfChange {
  private final double limitPerSecond;
  private double lastValue = Double.NaN;
  private long lastTime = Long.MIN_VALUE;
  private double lastRate;

  public RateOfChange(double limitPerSecond) {
    if (!(limitPerSecond > 0) || !Double.isFinite(limitPerSecond)) {
      throw new IllegalArgumentException("rate limit must be > 0, got " + limitPerSecond);
    }
    this.limitPerSecond = limitPerSecond;
  }

  /** Feeds a sample; returns whether the rate since the previous one is above the limit. */
  public boolean exceeded(double value, long t) {
    if (Double.isNaN(lastValue)) {
      lastValue = value;
      lastTime = t;
      return false;
    }
    if (t <= lastTime) {
      return Math.abs(lastRate) > limitPerSecond;
    }
    lastRate = (value - lastValue) * 1000.0 / (t - lastTime);
    lastValue = value;
    lastTime = t;
    return Math.abs(lastRate) > limitPerSecond;
  }

  /** The last computed rate, units per second. */
  public double rate() {
    return lastRate;
  }
}
