package io.edgegw.rules.alarm;

/**
 * A limit with hysteresis: {@code HI}/{@code HIHI} are exceeded above the limit and return below
 * {@code limit - hysteresis}; {@code LO}/{@code LOLO} the mirror image. The hysteresis keeps a
 * value that hovers around the limit from raising and clearing the alarm on every sample.
 */
public record Threshold(Kind kind, double limit, double hysteresis) {

  /** The four classic limits. */
  public enum Kind {
    HI,
    HIHI,
    LO,
    LOLO;

    boolean high() {
      return this == HI || this == HIHI;
    }
  }

  public Threshold {
    if (!Double.isFinite(limit)) {
      throw new IllegalArgumentException("limit must be a finite number, got " + limit);
    }
    if (!(hysteresis >= 0) || !Double.isFinite(hysteresis)) {
      throw new IllegalArgumentException("hysteresis must be >= 0, got " + hysteresis);
    }
  }

  /** The condition for {@code value}, given whether it held for the previous sample. */
  public boolean exceeded(double value, boolean wasExceeded) {
    if (kind.high()) {
      return wasExceeded ? value > limit - hysteresis : value > limit;
    }
    return wasExceeded ? value < limit + hysteresis : value < limit;
  }
}
