package io.edgegw.bridge;

/**
 * When a new numeric value counts as a change worth publishing.
 *
 * @param kind {@code NONE} publishes every poll, {@code ABSOLUTE} when |new - last| &gt; amount,
 *     {@code PERCENT} when |new - last| &gt; |last| × amount / 100
 * @param amount the threshold, ≥ 0; 0 for {@code NONE}
 */
public record Deadband(Kind kind, double amount) {

  /** Deadband kinds. */
  public enum Kind {
    NONE,
    ABSOLUTE,
    PERCENT
  }

  /** Publish every sample. */
  public static final Deadband NONE = new Deadband(Kind.NONE, 0);

  public Deadband {
    if (kind == null) {
      throw new IllegalArgumentException("deadband kind is required");
    }
    if (!(amount >= 0) || Double.isInfinite(amount)) {
      throw new IllegalArgumentException("deadband must be a finite number >= 0, got " + amount);
    }
  }
}
