package io.edgegw.bridge.modbus;

import io.edgegw.bridge.RegisterOrder;
import io.edgegw.bridge.TagSpec;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * Turns registers into tag values and back. Pure. Byte order: on the wire each register is
 * big-endian; {@link RegisterOrder} says how the value's bytes A (most significant) .. are spread
 * over the registers. Numbers are then scaled: value = raw × scale + offset.
 */
public final class RegisterCodec {
  private RegisterCodec() {}

  private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

  /**
   * Decodes a register-table tag.
   *
   * @param words the registers of the request
   * @param offset index in {@code words} of the tag's first register
   * @return Long for unscaled integers (BigInteger for uint64 above Long.MAX_VALUE), Double for
   *     floats and scaled values, Boolean for BIT, String for STRING
   * @throws IllegalArgumentException if the tag is a bit-table tag or the words are too few
   */
  public static Object decode(TagSpec tag, short[] words, int offset) {
    if (offset < 0 || offset + tag.width() > words.length) {
      throw new IllegalArgumentException(
          "tag "
              + tag.name()
              + " needs "
              + tag.width()
              + " registers at "
              + offset
              + ", have "
              + words.length);
    }
    return switch (tag.type()) {
      case BOOL ->
          throw new IllegalArgumentException("bool tag " + tag.name() + " is read as bits");
      case BIT -> ((words[offset] >> tag.bit()) & 1) == 1;
      case STRING -> string(words, offset, tag.width(), tag.order().swapsBytes());
      case INT16 -> scale(tag, (long) (short) raw16(words[offset], tag.order()));
      case UINT16 -> scale(tag, (long) (raw16(words[offset], tag.order()) & 0xFFFF));
      case INT32 -> scale(tag, (long) (int) assemble(words, offset, 2, tag.order()));
      case UINT32 -> scale(tag, assemble(words, offset, 2, tag.order()) & 0xFFFF_FFFFL);
      case INT64 -> scale(tag, assemble(words, offset, 4, tag.order()));
      case UINT64 -> {
        long bits = assemble(words, offset, 4, tag.order());
        Number n = bits >= 0 ? (Number) bits : BigInteger.valueOf(bits).add(TWO_64);
        yield scaleNumber(tag, n);
      }
      case FLOAT32 ->
          scaleDouble(tag, Float.intBitsToFloat((int) assemble(words, offset, 2, tag.order())));
      case FLOAT64 ->
          scaleDouble(tag, Double.longBitsToDouble(assemble(words, offset, 4, tag.order())));
    };
  }

  /**
   * Encodes a value for writing to a register-table tag (not BOOL, not BIT).
   *
   * @param value a Number in engineering units, or a String for STRING
   * @throws IllegalArgumentException with the reason when the value does not fit
   */
  public static short[] encode(TagSpec tag, Object value) {
    return switch (tag.type()) {
      case BOOL, BIT ->
          throw new IllegalArgumentException(tag.type() + " tags are written as bits");
      case STRING -> {
        if (!(value instanceof String s)) {
          throw new IllegalArgumentException("a string tag needs a string value");
        }
        yield encodeString(s, tag.width(), tag.order().swapsBytes());
      }
      case FLOAT32 -> {
        double raw = unscale(tag, value);
        if (Double.isFinite(raw) && Math.abs(raw) > Float.MAX_VALUE) {
          throw new IllegalArgumentException("value " + value + " is outside float32 range");
        }
        yield spread(Float.floatToIntBits((float) raw) & 0xFFFF_FFFFL, 2, tag.order());
      }
      case FLOAT64 -> spread(Double.doubleToLongBits(unscale(tag, value)), 4, tag.order());
      case INT16 -> spread(integer(tag, value, -32_768, 32_767), 1, tag.order());
      case UINT16 -> spread(integer(tag, value, 0, 65_535), 1, tag.order());
      case INT32 ->
          spread(integer(tag, value, Integer.MIN_VALUE, Integer.MAX_VALUE), 2, tag.order());
      case UINT32 -> spread(integer(tag, value, 0, 0xFFFF_FFFFL), 2, tag.order());
      case INT64 -> spread(integer64(tag, value, false).longValue(), 4, tag.order());
      case UINT64 -> spread(integer64(tag, value, true).longValue(), 4, tag.order());
    };
  }

  /** Sets or clears one bit of a register, for read-modify-write of a BIT tag. */
  public static short encodeBit(short current, int bit, boolean value) {
    if (bit < 0 || bit > 15) {
      throw new IllegalArgumentException("bit must be 0..15, got " + bit);
    }
    int mask = 1 << bit;
    return (short) (value ? (current | mask) : (current & ~mask));
  }

  private static int raw16(short word, RegisterOrder order) {
    int w = word & 0xFFFF;
    return order.swapsBytes() ? ((w & 0xFF) << 8) | (w >>> 8) : w;
  }

  /** The value's bits from {@code count} registers, most significant word first after ordering. */
  private static long assemble(short[] words, int offset, int count, RegisterOrder order) {
    long bits = 0;
    for (int i = 0; i < count; i++) {
      int index = order.swapsWords() ? offset + count - 1 - i : offset + i;
      bits = (bits << 16) | (raw16(words[index], order) & 0xFFFFL);
    }
    return bits;
  }

  /** The inverse of {@link #assemble}: the low {@code count × 16} bits laid out in order. */
  private static short[] spread(long bits, int count, RegisterOrder order) {
    short[] out = new short[count];
    for (int i = 0; i < count; i++) {
      int word = (int) ((bits >>> (16 * (count - 1 - i))) & 0xFFFF);
      int index = order.swapsWords() ? count - 1 - i : i;
      out[index] = (short) raw16((short) word, order);
    }
    return out;
  }

  private static boolean unscaled(TagSpec tag) {
    return tag.scale() == 1.0 && tag.offset() == 0.0;
  }

  private static Object scale(TagSpec tag, long raw) {
    return unscaled(tag) ? (Object) raw : raw * tag.scale() + tag.offset();
  }

  private static Object scaleNumber(TagSpec tag, Number raw) {
    return unscaled(tag) ? raw : raw.doubleValue() * tag.scale() + tag.offset();
  }

  private static Object scaleDouble(TagSpec tag, double raw) {
    return unscaled(tag) ? raw : raw * tag.scale() + tag.offset();
  }

  private static double unscale(TagSpec tag, Object value) {
    if (!(value instanceof Number n)) {
      throw new IllegalArgumentException("a " + tag.type() + " tag needs a number");
    }
    double v = n.doubleValue();
    return unscaled(tag) ? v : (v - tag.offset()) / tag.scale();
  }

  private static long integer(TagSpec tag, Object value, long min, long max) {
    double raw = unscale(tag, value);
    if (!Double.isFinite(raw)) {
      throw new IllegalArgumentException("value " + value + " is not a finite number");
    }
    long rounded = (unscaled(tag) && value instanceof Long l) ? l : Math.round(raw);
    if (rounded < min || rounded > max) {
      throw new IllegalArgumentException(
          "value "
              + value
              + " is outside "
              + tag.type().name().toLowerCase(java.util.Locale.ROOT)
              + " range "
              + min
              + ".."
              + max
              + " after scale/offset");
    }
    return rounded;
  }

  private static BigInteger integer64(TagSpec tag, Object value, boolean unsigned) {
    BigInteger raw;
    if (unscaled(tag)
        && (value instanceof Long
            || value instanceof Integer
            || value instanceof Short
            || value instanceof Byte)) {
      raw = BigInteger.valueOf(((Number) value).longValue());
    } else if (unscaled(tag) && value instanceof BigInteger b) {
      raw = b;
    } else {
      double d = unscale(tag, value);
      if (!Double.isFinite(d)) {
        throw new IllegalArgumentException("value " + value + " is not a finite number");
      }
      raw = new java.math.BigDecimal(d).setScale(0, java.math.RoundingMode.HALF_UP).toBigInteger();
    }
    BigInteger min = unsigned ? BigInteger.ZERO : BigInteger.valueOf(Long.MIN_VALUE);
    BigInteger max =
        unsigned ? TWO_64.subtract(BigInteger.ONE) : BigInteger.valueOf(Long.MAX_VALUE);
    if (raw.compareTo(min) < 0 || raw.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          "value "
              + value
              + " is outside "
              + (unsigned ? "uint64" : "int64")
              + " range "
              + min
              + ".."
              + max
              + " after scale/offset");
    }
    return raw;
  }

  private static String string(short[] words, int offset, int count, boolean swap) {
    byte[] bytes = new byte[count * 2];
    for (int i = 0; i < count; i++) {
      int w = raw16(words[offset + i], swap ? RegisterOrder.BADC : RegisterOrder.ABCD);
      bytes[2 * i] = (byte) (w >>> 8);
      bytes[2 * i + 1] = (byte) w;
    }
    int end = bytes.length;
    while (end > 0 && (bytes[end - 1] == 0 || bytes[end - 1] == ' ')) {
      end--;
    }
    return new String(bytes, 0, end, StandardCharsets.US_ASCII);
  }

  private static short[] encodeString(String s, int count, boolean swap) {
    byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
    if (!StandardCharsets.US_ASCII.newEncoder().canEncode(s)) {
      throw new IllegalArgumentException("string must be ASCII");
    }
    if (bytes.length > count * 2) {
      throw new IllegalArgumentException(
          "string of " + bytes.length + " chars does not fit " + count + " registers");
    }
    short[] out = new short[count];
    for (int i = 0; i < count; i++) {
      int hi = 2 * i < bytes.length ? bytes[2 * i] & 0xFF : 0;
      int lo = 2 * i + 1 < bytes.length ? bytes[2 * i + 1] & 0xFF : 0;
      out[i] =
          (short) raw16((short) ((hi << 8) | lo), swap ? RegisterOrder.BADC : RegisterOrder.ABCD);
    }
    return out;
  }
}
