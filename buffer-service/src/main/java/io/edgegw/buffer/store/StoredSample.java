package io.edgegw.buffer.store;

import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import java.math.BigInteger;

/**
 * One sample as it is stored: a double value (booleans 0/1), a text value for strings and for
 * integers a double cannot hold exactly, and the quality code.
 *
 * @param series device and tag
 * @param kind {@code number}, {@code boolean} or {@code string}; null when the value is unknown
 * @param t epoch milliseconds UTC
 * @param value the numeric value, or null
 * @param text the text value, or null
 * @param quality stored quality code
 */
public record StoredSample(
    SeriesKey series, String kind, long t, Double value, String text, short quality) {

  private static final long EXACT_DOUBLE = 1L << 53;

  /** Converts one sample of a batch from {@code device}. */
  public static StoredSample of(String device, Sample s) {
    SeriesKey key = new SeriesKey(device, s.tag());
    short q = QualityCode.of(s.q());
    return switch (s.v()) {
      case null -> new StoredSample(key, null, s.t(), null, null, q);
      case Long l ->
          new StoredSample(
              key,
              "number",
              s.t(),
              l.doubleValue(),
              Math.abs(l) > EXACT_DOUBLE ? Long.toString(l) : null,
              q);
      case BigInteger big ->
          new StoredSample(key, "number", s.t(), big.doubleValue(), big.toString(), q);
      case Double d -> new StoredSample(key, "number", s.t(), d, null, q);
      case Boolean b -> new StoredSample(key, "boolean", s.t(), b ? 1.0 : 0.0, null, q);
      case String str -> new StoredSample(key, "string", s.t(), null, str, q);
      default ->
          throw new IllegalArgumentException(
              "sample '" + s.tag() + "' has an unsupported value type " + s.v().getClass());
    };
  }

  /** Whether the quality is {@link Quality#GOOD}. */
  public boolean good() {
    return quality == QualityCode.of(Quality.GOOD);
  }
}
