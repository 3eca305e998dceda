package io.edgegw.contracts;

import java.math.BigInteger;

/**
 * One value of one tag at one time.
 *
 * @param tag tag name, unique within the device
 * @param t time of the read, epoch milliseconds UTC
 * @param v the value: a {@link Long}, {@link Double}, {@link BigInteger} (uint64 above {@code
 *     Long.MAX_VALUE}), {@link Boolean} or {@link String}; {@code null} when the quality is not
 *     {@link Quality#GOOD} and no value is known
 * @param q quality
 */
public record Sample(String tag, long t, Object v, Quality q) {
  public Sample {
    Checks.text(tag, "tag");
    Checks.epochMillis(t, "t");
    Checks.present(q, "q");
    v = normalise(v, tag);
    if (v == null && q == Quality.GOOD) {
      throw new IllegalArgumentException("sample '" + tag + "' has quality GOOD but no value");
    }
  }

  private static Double finite(double d, String tag) {
    if (!Double.isFinite(d)) {
      throw new IllegalArgumentException(
          "sample '" + tag + "' value must be finite, got " + d + " (send it as quality BAD)");
    }
    return d;
  }

  private static Object normalise(Object v, String tag) {
    return switch (v) {
      case null -> null;
      case Long l -> l;
      case Integer i -> i.longValue();
      case Short s -> s.longValue();
      case Byte b -> b.longValue();
      case BigInteger big -> big.bitLength() < 64 ? big.longValue() : big;
      case Double d -> finite(d, tag);
      case Float f -> finite(f.doubleValue(), tag);
      case Boolean b -> b;
      case String s -> s;
      default ->
          throw new IllegalArgumentException(
              "sample '"
                  + tag
                  + "' value must be a number, boolean or string, got "
                  + v.getClass().getSimpleName());
    };
  }
}
