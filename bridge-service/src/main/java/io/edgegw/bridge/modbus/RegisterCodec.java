package io.edgegw.bridge.modbus;

import io.edgegw.bridge.DataType;
import io.edgegw.bridge.RegisterOrder;
import io.edgegw.bridge.TagSpec;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Turns the registers of a read into tag values, and values into registers for a write. Pure.
 *
 * <p>On the wire every register is big-endian. {@link RegisterOrder} says how the bytes of a
 * multi-register value are spread over its registers ({@code A} is the most significant byte):
 * {@code ABCD} big-endian, {@code CDAB} registers reversed, {@code BADC} bytes swapped inside each
 * register, {@code DCBA} both. 64-bit values reverse all four registers; 16-bit values honour only
 * the byte swap. Numbers are then scaled: value = raw × scale + offset.
 *
 * <p>Decoded values are a {@code Long} for an integer type without scaling (a {@code BigInteger}
 * for uint64 above {@code Long.MAX_VALUE}), a {@code Double} for float types and for any scaled
 * value, a {@code Boolean} for {@code BIT} and a {@code String} for {@code STRING}.
 *
 * <p>{@code BIT} ignores the order: bit 0 is the least significant bit of the register value as
 * transmitted. {@code STRING} holds two ASCII characters per register, the first in the high byte;
 * {@code BADC} and {@code DCBA} swap the two, and the register order is never reversed.
 */
public final class RegisterCodec {
  private RegisterCodec() {}

  private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

  /** Range of an integer type, for the write check. */
  private record IntRange(BigInteger min, BigInteger max) {
    static IntRange of(long min, long max) {
      return new IntRange(BigInteger.valueOf(min), BigInteger.valueOf(max));
    }
  }

  /**
   * Decodes one register-table tag from the registers of its request.
   *
   * @param tag a tag of a register table (any type but {@code BOOL})
   * @param words the registers of the request
   * @param offset index in {@code words} of the tag's first register
   * @return the value; see the class comment for its Java type
   * @throws IllegalArgumentException if the tag is a {@code BOOL} or the words end before the tag
   */
  public static Object decode(TagSpec tag, short[] words, int offset) {
    int width = width(tag);
    if (offset < 0 || offset > words.length - width) {
      throw new IllegalArgumentException(
          "tag "
              + tag.name()
              + " needs "
              + width
              + " registers at "
              + offset
              + ", have "
              + words.length);
    }
    RegisterOrder order = tag.order();
    return switch (tag.type()) {
      case BOOL ->
          throw new IllegalArgumentException(
              "bool tag " + tag.name() + " is read as a coil or discrete input, not a register");
      case BIT -> ((words[offset] >>> tag.bit()) & 1) == 1;
      case STRING -> string(words, offset, width, order.swapsBytes());
      case INT16 -> scaled(tag, (long) (short) assemble(words, offset, 1, order));
      case UINT16 -> scaled(tag, assemble(words, offset, 1, order));
      case INT32 -> scaled(tag, (long) (int) assemble(words, offset, 2, order));
      case UINT32 -> scaled(tag, assemble(words, offset, 2, order));
      case INT64 -> scaled(tag, assemble(words, offset, 4, order));
      case UINT64 -> {
        long bits = assemble(words, offset, 4, order);
        if (bits >= 0) {
          yield scaled(tag, bits);
        }
        BigInteger raw = BigInteger.valueOf(bits).add(TWO_64);
        yield unscaled(tag) ? raw : raw.doubleValue() * tag.scale() + tag.offset();
      }
      // Widening keeps the float's exact value; NaN and infinities pass through.
      case FLOAT32 ->
          scaled(tag, (double) Float.intBitsToFloat((int) assemble(words, offset, 2, order)));
      case FLOAT64 -> scaled(tag, Double.longBitsToDouble(assemble(words, offset, 4, order)));
    };
  }

  /**
   * Encodes a value for a write to a register tag (any type but {@code BOOL} and {@code BIT}). The
   * inverse of {@link #decode}: raw = (value - offset) / scale, rounded to the nearest integer
   * (halves away from zero) for integer types, checked against the type's range, then laid out in
   * the tag's order. A {@code STRING} is padded with NULs to its length.
   *
   * @param tag the tag written
   * @param value a {@code Number} in engineering units, or a {@code String} for {@code STRING}
   * @return the registers to write from the tag's address
   * @throws IllegalArgumentException with the reason when the value cannot be written
   */
  public static short[] encode(TagSpec tag, Object value) {
    int width = width(tag);
    RegisterOrder order = tag.order();
    return switch (tag.type()) {
      case BOOL, BIT ->
          throw new IllegalArgumentException(
              name(tag.type()) + " tag " + tag.name() + " is written as a single bit");
      case STRING -> encodeString(text(tag, value), width, order.swapsBytes());
      case INT16 ->
          spread(integer(tag, value, IntRange.of(Short.MIN_VALUE, Short.MAX_VALUE)), 1, order);
      case UINT16 -> spread(integer(tag, value, IntRange.of(0, 0xFFFF)), 1, order);
      case INT32 ->
          spread(integer(tag, value, IntRange.of(Integer.MIN_VALUE, Integer.MAX_VALUE)), 2, order);
      case UINT32 -> spread(integer(tag, value, IntRange.of(0, 0xFFFF_FFFFL)), 2, order);
      case INT64 ->
          spread(integer(tag, value, IntRange.of(Long.MIN_VALUE, Long.MAX_VALUE)), 4, order);
      case UINT64 ->
          spread(
              integer(tag, value, new IntRange(BigInteger.ZERO, TWO_64.subtract(BigInteger.ONE))),
              4,
              order);
      case FLOAT32 -> {
        double raw = unscale(tag, value);
        if (Double.isFinite(raw) && Math.abs(raw) > Float.MAX_VALUE) {
          throw new IllegalArgumentException(
              "value "
                  + value
                  + " is outside float32 range ±"
                  + Float.MAX_VALUE
                  + " after scale/offset");
        }
        yield spread(Float.floatToIntBits((float) raw), 2, order);
      }
      case FLOAT64 -> spread(Double.doubleToLongBits(unscale(tag, value)), 4, order);
    };
  }

  /**
   * Sets or clears one bit of a register, for the read-modify-write of a {@code BIT} tag.
   *
   * @param current the register as read
   * @param bit 0 (least significant) to 15
   * @param value the new state of the bit
   * @return the register to write back; the other fifteen bits unchanged
   */
  public static short encodeBit(short current, int bit, boolean value) {
    if (bit < 0 || bit > 15) {
      throw new IllegalArgumentException("bit must be 0..15, got " + bit);
    }
    int mask = 1 << bit;
    return (short) (value ? (current | mask) : (current & ~mask));
  }

  /** Registers the tag's type reads; refuses a tag whose declared length disagrees with it. */
  private static int width(TagSpec tag) {
    int width = tag.type().width(tag.length());
    if (width != tag.length()) {
      throw new IllegalArgumentException(
          "tag "
              + tag.name()
              + " is "
              + name(tag.type())
              + ", which spans "
              + width
              + " registers, but its length is "
              + tag.length());
    }
    return width;
  }

  /** One register as the 16 bits it contributes to the value, undoing a byte swap. */
  private static int ordered(short word, boolean swapBytes) {
    int w = word & 0xFFFF;
    return swapBytes ? ((w & 0xFF) << 8) | (w >>> 8) : w;
  }

  /** The value's low {@code count × 16} bits from {@code count} registers, zero-extended. */
  private static long assemble(short[] words, int offset, int count, RegisterOrder order) {
    long bits = 0;
    for (int i = 0; i < count; i++) {
      int index = order.swapsWords() ? offset + count - 1 - i : offset + i;
      bits = (bits << 16) | ordered(words[index], order.swapsBytes());
    }
    return bits;
  }

  /** The inverse of {@link #assemble}: the low {@code count × 16} bits laid out in order. */
  private static short[] spread(long bits, int count, RegisterOrder order) {
    short[] out = new short[count];
    for (int i = 0; i < count; i++) {
      short word = (short) (bits >>> (16 * (count - 1 - i)));
      out[order.swapsWords() ? count - 1 - i : i] = (short) ordered(word, order.swapsBytes());
    }
    return out;
  }

  private static boolean unscaled(TagSpec tag) {
    return tag.scale() == 1.0 && tag.offset() == 0.0;
  }

  private static Object scaled(TagSpec tag, long raw) {
    return unscaled(tag) ? (Object) raw : raw * tag.scale() + tag.offset();
  }

  private static Object scaled(TagSpec tag, double raw) {
    return unscaled(tag) ? raw : raw * tag.scale() + tag.offset();
  }

  private static Number number(TagSpec tag, Object value) {
    if (value instanceof Number n) {
      return n;
    }
    throw new IllegalArgumentException(
        name(tag.type()) + " tag " + tag.name() + " takes a number, got " + describe(value));
  }

  /** The raw value of a float type: NaN and infinities pass. */
  private static double unscale(TagSpec tag, Object value) {
    double v = number(tag, value).doubleValue();
    return unscaled(tag) ? v : (v - tag.offset()) / tag.scale();
  }

  /** The raw value of an integer type, exact for integral input without scaling. */
  private static long integer(TagSpec tag, Object value, IntRange range) {
    Number n = number(tag, value);
    BigInteger raw;
    if (unscaled(tag) && isIntegral(n)) {
      raw = n instanceof BigInteger b ? b : BigInteger.valueOf(n.longValue());
    } else if (unscaled(tag) && n instanceof BigDecimal d) {
      raw = d.setScale(0, RoundingMode.HALF_UP).toBigInteger();
    } else {
      double d = unscale(tag, n);
      if (!Double.isFinite(d)) {
        throw new IllegalArgumentException(
            "value "
                + value
                + " is not a finite number after scale/offset; "
                + name(tag.type())
                + " needs one");
      }
      raw = new BigDecimal(d).setScale(0, RoundingMode.HALF_UP).toBigInteger();
    }
    if (raw.compareTo(range.min()) < 0 || raw.compareTo(range.max()) > 0) {
      throw new IllegalArgumentException(
          "value "
              + value
              + " is outside "
              + name(tag.type())
              + " range "
              + range.min()
              + ".."
              + range.max()
              + " after scale/offset");
    }
    // Two's complement low bits: uint64 above Long.MAX_VALUE wraps into the right bit pattern.
    return raw.longValue();
  }

  private static boolean isIntegral(Number n) {
    return n instanceof Long
        || n instanceof Integer
        || n instanceof Short
        || n instanceof Byte
        || n instanceof BigInteger;
  }

  private static String text(TagSpec tag, Object value) {
    if (value instanceof String s) {
      return s;
    }
    throw new IllegalArgumentException(
        "string tag " + tag.name() + " takes a string, got " + describe(value));
  }

  private static String string(short[] words, int offset, int count, boolean swapBytes) {
    byte[] bytes = new byte[count * 2];
    for (int i = 0; i < count; i++) {
      int w = ordered(words[offset + i], swapBytes);
      bytes[2 * i] = (byte) (w >>> 8);
      bytes[2 * i + 1] = (byte) w;
    }
    // Devices pad with NULs or with spaces; neither is part of the value.
    int end = bytes.length;
    while (end > 0 && (bytes[end - 1] == 0 || bytes[end - 1] == ' ')) {
      end--;
    }
    return new String(bytes, 0, end, StandardCharsets.US_ASCII);
  }

  private static short[] encodeString(String s, int count, boolean swapBytes) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c > 0x7F) {
        throw new IllegalArgumentException(
            "string has the non-ASCII character '" + c + "' at index " + i);
      }
    }
    if (s.length() > count * 2) {
      throw new IllegalArgumentException(
          "string of " + s.length() + " chars does not fit " + count + " registers");
    }
    short[] out = new short[count];
    for (int i = 0; i < count; i++) {
      int hi = 2 * i < s.length() ? s.charAt(2 * i) : 0;
      int lo = 2 * i + 1 < s.length() ? s.charAt(2 * i + 1) : 0;
      out[i] = (short) ordered((short) ((hi << 8) | lo), swapBytes);
    }
    return out;
  }

  private static String name(DataType type) {
    return type.name().toLowerCase(Locale.ROOT);
  }

  private static String describe(Object value) {
    return value == null ? "nothing" : value.getClass().getSimpleName() + " " + value;
  }
}
