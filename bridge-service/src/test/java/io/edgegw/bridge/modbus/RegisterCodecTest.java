package io.edgegw.bridge.modbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.edgegw.bridge.DataType;
import io.edgegw.bridge.RegisterOrder;
import io.edgegw.bridge.Specs;
import io.edgegw.bridge.Table;
import io.edgegw.bridge.TagSpec;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The codec against registers as they appear on the wire, written in hex. Every decoded case is
 * also encoded back to the same registers.
 */
class RegisterCodecTest {

  private static final BigInteger UINT64_MAX = new BigInteger("18446744073709551615");
  private static final BigInteger TWO_63 = BigInteger.ONE.shiftLeft(63);

  private static TagSpec tag(DataType type, RegisterOrder order) {
    return scaled(type, order, 1, 0);
  }

  private static TagSpec scaled(DataType type, RegisterOrder order, double scale, double offset) {
    return Specs.shaped("t", Table.HOLDING, 0, type, order, 0, type.width(1), scale, offset);
  }

  private static TagSpec string(RegisterOrder order, int length) {
    return Specs.shaped("s", Table.HOLDING, 0, DataType.STRING, order, 0, length, 1, 0);
  }

  private static TagSpec bit(int bit, RegisterOrder order) {
    return Specs.shaped("b", Table.HOLDING, 0, DataType.BIT, order, bit, 1, 1, 0);
  }

  private static short[] w(int... words) {
    short[] out = new short[words.length];
    for (int i = 0; i < words.length; i++) {
      out[i] = (short) words[i];
    }
    return out;
  }

  private static String hex(short[] words) {
    HexFormat h = HexFormat.of().withUpperCase();
    return IntStream.range(0, words.length)
        .mapToObj(i -> h.toHexDigits(words[i]))
        .collect(Collectors.joining(" ", "[", "]"));
  }

  private static Arguments row(DataType type, RegisterOrder order, short[] wire, Object value) {
    return Arguments.of(type, order, Named.of(hex(wire), wire), value);
  }

  /** Type x order, with signed, extreme and special values. */
  static Stream<Arguments> matrix() {
    return Stream.of(
        // int16: only the byte swap matters
        row(DataType.INT16, RegisterOrder.ABCD, w(0x1234), 0x1234L),
        row(DataType.INT16, RegisterOrder.CDAB, w(0x1234), 0x1234L),
        row(DataType.INT16, RegisterOrder.BADC, w(0x3412), 0x1234L),
        row(DataType.INT16, RegisterOrder.DCBA, w(0x3412), 0x1234L),
        row(DataType.INT16, RegisterOrder.ABCD, w(0xFFFE), -2L),
        row(DataType.INT16, RegisterOrder.CDAB, w(0xFFFE), -2L),
        row(DataType.INT16, RegisterOrder.BADC, w(0xFEFF), -2L),
        row(DataType.INT16, RegisterOrder.DCBA, w(0xFEFF), -2L),
        row(DataType.INT16, RegisterOrder.ABCD, w(0x8000), (long) Short.MIN_VALUE),
        row(DataType.INT16, RegisterOrder.DCBA, w(0x0080), (long) Short.MIN_VALUE),
        row(DataType.INT16, RegisterOrder.ABCD, w(0x7FFF), (long) Short.MAX_VALUE),
        row(DataType.INT16, RegisterOrder.DCBA, w(0xFF7F), (long) Short.MAX_VALUE),
        // uint16
        row(DataType.UINT16, RegisterOrder.ABCD, w(0xABCD), 0xABCDL),
        row(DataType.UINT16, RegisterOrder.CDAB, w(0xABCD), 0xABCDL),
        row(DataType.UINT16, RegisterOrder.BADC, w(0xCDAB), 0xABCDL),
        row(DataType.UINT16, RegisterOrder.DCBA, w(0xCDAB), 0xABCDL),
        row(DataType.UINT16, RegisterOrder.ABCD, w(0x0000), 0L),
        row(DataType.UINT16, RegisterOrder.DCBA, w(0x0000), 0L),
        row(DataType.UINT16, RegisterOrder.ABCD, w(0xFFFF), 65_535L),
        row(DataType.UINT16, RegisterOrder.DCBA, w(0xFFFF), 65_535L),
        // int32
        row(DataType.INT32, RegisterOrder.ABCD, w(0x1234, 0x5678), 0x12345678L),
        row(DataType.INT32, RegisterOrder.CDAB, w(0x5678, 0x1234), 0x12345678L),
        row(DataType.INT32, RegisterOrder.BADC, w(0x3412, 0x7856), 0x12345678L),
        row(DataType.INT32, RegisterOrder.DCBA, w(0x7856, 0x3412), 0x12345678L),
        // -123456789 = 0xF8A432EB
        row(DataType.INT32, RegisterOrder.ABCD, w(0xF8A4, 0x32EB), -123_456_789L),
        row(DataType.INT32, RegisterOrder.CDAB, w(0x32EB, 0xF8A4), -123_456_789L),
        row(DataType.INT32, RegisterOrder.BADC, w(0xA4F8, 0xEB32), -123_456_789L),
        row(DataType.INT32, RegisterOrder.DCBA, w(0xEB32, 0xA4F8), -123_456_789L),
        row(DataType.INT32, RegisterOrder.ABCD, w(0x8000, 0x0000), (long) Integer.MIN_VALUE),
        row(DataType.INT32, RegisterOrder.DCBA, w(0x0000, 0x0080), (long) Integer.MIN_VALUE),
        row(DataType.INT32, RegisterOrder.ABCD, w(0x7FFF, 0xFFFF), (long) Integer.MAX_VALUE),
        row(DataType.INT32, RegisterOrder.DCBA, w(0xFFFF, 0xFF7F), (long) Integer.MAX_VALUE),
        // uint32: 3000000000 = 0xB2D05E00, above int32
        row(DataType.UINT32, RegisterOrder.ABCD, w(0xB2D0, 0x5E00), 3_000_000_000L),
        row(DataType.UINT32, RegisterOrder.CDAB, w(0x5E00, 0xB2D0), 3_000_000_000L),
        row(DataType.UINT32, RegisterOrder.BADC, w(0xD0B2, 0x005E), 3_000_000_000L),
        row(DataType.UINT32, RegisterOrder.DCBA, w(0x005E, 0xD0B2), 3_000_000_000L),
        row(DataType.UINT32, RegisterOrder.ABCD, w(0x0000, 0x0000), 0L),
        row(DataType.UINT32, RegisterOrder.DCBA, w(0x0000, 0x0000), 0L),
        row(DataType.UINT32, RegisterOrder.ABCD, w(0xFFFF, 0xFFFF), 4_294_967_295L),
        row(DataType.UINT32, RegisterOrder.DCBA, w(0xFFFF, 0xFFFF), 4_294_967_295L),
        // int64
        row(
            DataType.INT64,
            RegisterOrder.ABCD,
            w(0x0102, 0x0304, 0x0506, 0x0708),
            0x0102030405060708L),
        row(
            DataType.INT64,
            RegisterOrder.CDAB,
            w(0x0708, 0x0506, 0x0304, 0x0102),
            0x0102030405060708L),
        row(
            DataType.INT64,
            RegisterOrder.BADC,
            w(0x0201, 0x0403, 0x0605, 0x0807),
            0x0102030405060708L),
        row(
            DataType.INT64,
            RegisterOrder.DCBA,
            w(0x0807, 0x0605, 0x0403, 0x0201),
            0x0102030405060708L),
        // -1234567890123 = 0xFFFFFEE08E04FB35
        row(
            DataType.INT64,
            RegisterOrder.ABCD,
            w(0xFFFF, 0xFEE0, 0x8E04, 0xFB35),
            -1_234_567_890_123L),
        row(
            DataType.INT64,
            RegisterOrder.CDAB,
            w(0xFB35, 0x8E04, 0xFEE0, 0xFFFF),
            -1_234_567_890_123L),
        row(
            DataType.INT64,
            RegisterOrder.BADC,
            w(0xFFFF, 0xE0FE, 0x048E, 0x35FB),
            -1_234_567_890_123L),
        row(
            DataType.INT64,
            RegisterOrder.DCBA,
            w(0x35FB, 0x048E, 0xE0FE, 0xFFFF),
            -1_234_567_890_123L),
        row(DataType.INT64, RegisterOrder.ABCD, w(0x8000, 0x0000, 0x0000, 0x0000), Long.MIN_VALUE),
        row(DataType.INT64, RegisterOrder.DCBA, w(0x0000, 0x0000, 0x0000, 0x0080), Long.MIN_VALUE),
        row(DataType.INT64, RegisterOrder.ABCD, w(0x7FFF, 0xFFFF, 0xFFFF, 0xFFFF), Long.MAX_VALUE),
        row(DataType.INT64, RegisterOrder.DCBA, w(0xFFFF, 0xFFFF, 0xFFFF, 0xFF7F), Long.MAX_VALUE),
        // uint64: above Long.MAX_VALUE decodes as BigInteger
        row(
            DataType.UINT64,
            RegisterOrder.ABCD,
            w(0xA1A2, 0xA3A4, 0xA5A6, 0xA7A8),
            new BigInteger("A1A2A3A4A5A6A7A8", 16)),
        row(
            DataType.UINT64,
            RegisterOrder.CDAB,
            w(0xA7A8, 0xA5A6, 0xA3A4, 0xA1A2),
            new BigInteger("A1A2A3A4A5A6A7A8", 16)),
        row(
            DataType.UINT64,
            RegisterOrder.BADC,
            w(0xA2A1, 0xA4A3, 0xA6A5, 0xA8A7),
            new BigInteger("A1A2A3A4A5A6A7A8", 16)),
        row(
            DataType.UINT64,
            RegisterOrder.DCBA,
            w(0xA8A7, 0xA6A5, 0xA4A3, 0xA2A1),
            new BigInteger("A1A2A3A4A5A6A7A8", 16)),
        row(DataType.UINT64, RegisterOrder.ABCD, w(0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF), UINT64_MAX),
        row(DataType.UINT64, RegisterOrder.DCBA, w(0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF), UINT64_MAX),
        row(DataType.UINT64, RegisterOrder.ABCD, w(0x8000, 0x0000, 0x0000, 0x0000), TWO_63),
        row(DataType.UINT64, RegisterOrder.DCBA, w(0x0000, 0x0000, 0x0000, 0x0080), TWO_63),
        // up to Long.MAX_VALUE it stays a Long
        row(DataType.UINT64, RegisterOrder.ABCD, w(0x7FFF, 0xFFFF, 0xFFFF, 0xFFFF), Long.MAX_VALUE),
        row(DataType.UINT64, RegisterOrder.DCBA, w(0xFFFF, 0xFFFF, 0xFFFF, 0xFF7F), Long.MAX_VALUE),
        row(DataType.UINT64, RegisterOrder.ABCD, w(0x0000, 0x0000, 0x0000, 0x0000), 0L),
        row(DataType.UINT64, RegisterOrder.DCBA, w(0x0000, 0x0000, 0x0000, 0x0000), 0L),
        // float32: 123.456f = 0x42F6E979
        row(DataType.FLOAT32, RegisterOrder.ABCD, w(0x42F6, 0xE979), (double) 123.456f),
        row(DataType.FLOAT32, RegisterOrder.CDAB, w(0xE979, 0x42F6), (double) 123.456f),
        row(DataType.FLOAT32, RegisterOrder.BADC, w(0xF642, 0x79E9), (double) 123.456f),
        row(DataType.FLOAT32, RegisterOrder.DCBA, w(0x79E9, 0xF642), (double) 123.456f),
        row(DataType.FLOAT32, RegisterOrder.ABCD, w(0xC120, 0x0000), -10.0),
        row(DataType.FLOAT32, RegisterOrder.CDAB, w(0x0000, 0xC120), -10.0),
        row(DataType.FLOAT32, RegisterOrder.BADC, w(0x20C1, 0x0000), -10.0),
        row(DataType.FLOAT32, RegisterOrder.DCBA, w(0x0000, 0x20C1), -10.0),
        row(DataType.FLOAT32, RegisterOrder.ABCD, w(0x8000, 0x0000), -0.0),
        row(DataType.FLOAT32, RegisterOrder.DCBA, w(0x0000, 0x0080), -0.0),
        row(DataType.FLOAT32, RegisterOrder.ABCD, w(0x7F7F, 0xFFFF), (double) Float.MAX_VALUE),
        row(DataType.FLOAT32, RegisterOrder.DCBA, w(0xFFFF, 0x7F7F), (double) Float.MAX_VALUE),
        row(DataType.FLOAT32, RegisterOrder.ABCD, w(0x0000, 0x0001), (double) Float.MIN_VALUE),
        row(DataType.FLOAT32, RegisterOrder.DCBA, w(0x0100, 0x0000), (double) Float.MIN_VALUE),
        row(DataType.FLOAT32, RegisterOrder.ABCD, w(0x7F80, 0x0000), Double.POSITIVE_INFINITY),
        row(DataType.FLOAT32, RegisterOrder.DCBA, w(0x0000, 0x807F), Double.POSITIVE_INFINITY),
        row(DataType.FLOAT32, RegisterOrder.ABCD, w(0xFF80, 0x0000), Double.NEGATIVE_INFINITY),
        row(DataType.FLOAT32, RegisterOrder.DCBA, w(0x0000, 0x80FF), Double.NEGATIVE_INFINITY),
        row(DataType.FLOAT32, RegisterOrder.ABCD, w(0x7FC0, 0x0000), Double.NaN),
        row(DataType.FLOAT32, RegisterOrder.DCBA, w(0x0000, 0xC07F), Double.NaN),
        // float64: -98765.4321 = 0xC0F81CD6E9E1B08A
        row(DataType.FLOAT64, RegisterOrder.ABCD, w(0xC0F8, 0x1CD6, 0xE9E1, 0xB08A), -98765.4321),
        row(DataType.FLOAT64, RegisterOrder.CDAB, w(0xB08A, 0xE9E1, 0x1CD6, 0xC0F8), -98765.4321),
        row(DataType.FLOAT64, RegisterOrder.BADC, w(0xF8C0, 0xD61C, 0xE1E9, 0x8AB0), -98765.4321),
        row(DataType.FLOAT64, RegisterOrder.DCBA, w(0x8AB0, 0xE1E9, 0xD61C, 0xF8C0), -98765.4321),
        row(DataType.FLOAT64, RegisterOrder.ABCD, w(0x3FF0, 0x0000, 0x0000, 0x0000), 1.0),
        row(DataType.FLOAT64, RegisterOrder.CDAB, w(0x0000, 0x0000, 0x0000, 0x3FF0), 1.0),
        row(DataType.FLOAT64, RegisterOrder.BADC, w(0xF03F, 0x0000, 0x0000, 0x0000), 1.0),
        row(DataType.FLOAT64, RegisterOrder.DCBA, w(0x0000, 0x0000, 0x0000, 0xF03F), 1.0),
        row(DataType.FLOAT64, RegisterOrder.ABCD, w(0x8000, 0x0000, 0x0000, 0x0000), -0.0),
        row(DataType.FLOAT64, RegisterOrder.DCBA, w(0x0000, 0x0000, 0x0000, 0x0080), -0.0),
        row(
            DataType.FLOAT64,
            RegisterOrder.ABCD,
            w(0x7FEF, 0xFFFF, 0xFFFF, 0xFFFF),
            Double.MAX_VALUE),
        row(
            DataType.FLOAT64,
            RegisterOrder.DCBA,
            w(0xFFFF, 0xFFFF, 0xFFFF, 0xEF7F),
            Double.MAX_VALUE),
        row(
            DataType.FLOAT64,
            RegisterOrder.ABCD,
            w(0x0000, 0x0000, 0x0000, 0x0001),
            Double.MIN_VALUE),
        row(
            DataType.FLOAT64,
            RegisterOrder.DCBA,
            w(0x0100, 0x0000, 0x0000, 0x0000),
            Double.MIN_VALUE),
        row(
            DataType.FLOAT64,
            RegisterOrder.ABCD,
            w(0xFFF0, 0x0000, 0x0000, 0x0000),
            Double.NEGATIVE_INFINITY),
        row(
            DataType.FLOAT64,
            RegisterOrder.DCBA,
            w(0x0000, 0x0000, 0x0000, 0xF0FF),
            Double.NEGATIVE_INFINITY),
        row(DataType.FLOAT64, RegisterOrder.ABCD, w(0x7FF8, 0x0000, 0x0000, 0x0000), Double.NaN),
        row(DataType.FLOAT64, RegisterOrder.DCBA, w(0x0000, 0x0000, 0x0000, 0xF87F), Double.NaN));
  }

  @ParameterizedTest(name = "{0} {1} {2} -> {3}")
  @MethodSource("matrix")
  void decodesTheWire(DataType type, RegisterOrder order, short[] wire, Object value) {
    Object decoded = RegisterCodec.decode(tag(type, order), wire, 0);
    assertThat(decoded).isInstanceOf(value.getClass()).isEqualTo(value);
  }

  @ParameterizedTest(name = "{0} {1} {3} -> {2}")
  @MethodSource("matrix")
  void encodesTheValueToTheWire(DataType type, RegisterOrder order, short[] wire, Object value) {
    assertThat(RegisterCodec.encode(tag(type, order), value)).containsExactly(wire);
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("matrix")
  void roundTripsTheWire(DataType type, RegisterOrder order, short[] wire, Object value) {
    TagSpec t = tag(type, order);
    assertThat(RegisterCodec.encode(t, RegisterCodec.decode(t, wire, 0))).containsExactly(wire);
  }

  @ParameterizedTest(name = "{0} {1} {2} inside a longer request")
  @MethodSource("matrix")
  void decodesAtAnOffsetInsideALongerRequest(
      DataType type, RegisterOrder order, short[] wire, Object value) {
    short[] request = new short[wire.length + 5];
    Arrays.fill(request, (short) 0x5A5A);
    System.arraycopy(wire, 0, request, 3, wire.length);
    assertThat(RegisterCodec.decode(tag(type, order), request, 3)).isEqualTo(value);
    short[] atEnd = new short[wire.length + 2];
    Arrays.fill(atEnd, (short) 0xA5A5);
    System.arraycopy(wire, 0, atEnd, 2, wire.length);
    assertThat(RegisterCodec.decode(tag(type, order), atEnd, 2)).isEqualTo(value);
  }

  // ---- scale and offset ----

  /** Scale and offset that are exact in binary, so the decoded double is exact. */
  static Stream<Arguments> scaledMatrix() {
    return Stream.of(
        Arguments.of(DataType.INT16, RegisterOrder.ABCD, 0.5, 0.0, w(0xFFFB), -2.5),
        Arguments.of(DataType.UINT16, RegisterOrder.ABCD, 1.0, -40.0, w(0x0000), -40.0),
        Arguments.of(DataType.UINT16, RegisterOrder.DCBA, 0.25, -40.0, w(0x9001), 60.0),
        Arguments.of(DataType.INT32, RegisterOrder.CDAB, 0.5, 100.0, w(0xFFFF, 0xFFFF), 99.5),
        Arguments.of(DataType.INT32, RegisterOrder.BADC, -1.0, 0.0, w(0x0000, 0xE803), -1000.0),
        Arguments.of(DataType.UINT32, RegisterOrder.ABCD, 0.125, 0.0, w(0x0000, 0x0008), 1.0),
        Arguments.of(
            DataType.INT64, RegisterOrder.ABCD, 1.0, 0.5, w(0xFFFF, 0xFFFF, 0xFFFF, 0xFFFB), -4.5),
        Arguments.of(DataType.UINT64, RegisterOrder.ABCD, 0.5, 0.0, w(0x8000, 0, 0, 0), 0x1p62),
        Arguments.of(DataType.UINT64, RegisterOrder.DCBA, 2.0, 0.0, w(0, 0, 0, 0x0080), 0x1p64),
        Arguments.of(DataType.FLOAT32, RegisterOrder.ABCD, 2.0, -1.0, w(0xC120, 0x0000), -21.0),
        Arguments.of(DataType.FLOAT32, RegisterOrder.BADC, 2.0, 0.0, w(0xC07F, 0x0000), Double.NaN),
        Arguments.of(DataType.FLOAT64, RegisterOrder.CDAB, 0.5, 100.0, w(0, 0, 0, 0x3FF0), 100.5));
  }

  @ParameterizedTest(name = "{0} {1} x{2} +{3} -> {5}")
  @MethodSource("scaledMatrix")
  void scaleAndOffsetApplyBothWays(
      DataType type, RegisterOrder order, double scale, double offset, short[] wire, double value) {
    TagSpec t = scaled(type, order, scale, offset);
    Object decoded = RegisterCodec.decode(t, wire, 0);
    assertThat(decoded).isInstanceOf(Double.class).isEqualTo(value);
    assertThat(RegisterCodec.encode(t, decoded)).containsExactly(wire);
  }

  @Test
  void decimalScalesRoundTripThroughRounding() {
    TagSpec temp = scaled(DataType.INT16, RegisterOrder.ABCD, 0.1, 1.5);
    assertThat(RegisterCodec.decode(temp, w(0x00C8), 0)).isEqualTo(21.5);
    assertThat(RegisterCodec.encode(temp, 21.5)).containsExactly(w(0x00C8));
    assertThat(RegisterCodec.encode(temp, 21.54)).as("raw 200.4 rounds").containsExactly(w(0x00C8));

    TagSpec pressure = scaled(DataType.UINT16, RegisterOrder.BADC, 0.01, 0);
    Object bar = RegisterCodec.decode(pressure, w(0x3930), 0);
    assertThat((Double) bar).isCloseTo(123.45, within(1e-9));
    assertThat(RegisterCodec.encode(pressure, bar)).containsExactly(w(0x3930));
    assertThat(RegisterCodec.encode(pressure, 123.45)).containsExactly(w(0x3930));

    TagSpec energy = scaled(DataType.INT32, RegisterOrder.CDAB, 0.001, 0);
    Object kwh = RegisterCodec.decode(energy, w(0x32EB, 0xF8A4), 0);
    assertThat((Double) kwh).isCloseTo(-123_456.789, within(1e-6));
    assertThat(RegisterCodec.encode(energy, kwh)).containsExactly(w(0x32EB, 0xF8A4));
  }

  @Test
  void integersRoundToTheNearestWithHalvesAwayFromZero() {
    TagSpec t = tag(DataType.INT16, RegisterOrder.ABCD);
    assertThat(RegisterCodec.encode(t, 2.5)).containsExactly(w(0x0003));
    assertThat(RegisterCodec.encode(t, -2.5)).containsExactly(w(0xFFFD));
    assertThat(RegisterCodec.encode(t, 2.4999)).containsExactly(w(0x0002));
    assertThat(RegisterCodec.encode(t, new BigDecimal("-2.5"))).containsExactly(w(0xFFFD));
    assertThat(RegisterCodec.encode(t, 7)).containsExactly(w(0x0007));
    assertThat(RegisterCodec.encode(t, (short) -7)).containsExactly(w(0xFFF9));
    assertThat(RegisterCodec.encode(t, BigInteger.TEN)).containsExactly(w(0x000A));
    TagSpec u64 = tag(DataType.UINT64, RegisterOrder.ABCD);
    assertThat(RegisterCodec.encode(u64, 1.5)).containsExactly(w(0, 0, 0, 2));
    assertThat(RegisterCodec.encode(u64, UINT64_MAX.subtract(BigInteger.ONE)))
        .as("exact above 2^53")
        .containsExactly(w(0xFFFF, 0xFFFF, 0xFFFF, 0xFFFE));
  }

  // ---- range checks on write ----

  static Stream<Arguments> outOfRange() {
    return Stream.of(
        Arguments.of(DataType.INT16, -32_769, "int16 range -32768..32767"),
        Arguments.of(DataType.INT16, 32_768, "int16 range -32768..32767"),
        Arguments.of(DataType.UINT16, -1, "uint16 range 0..65535"),
        Arguments.of(DataType.UINT16, 65_536, "uint16 range 0..65535"),
        Arguments.of(DataType.UINT16, -0.6, "uint16 range 0..65535"),
        Arguments.of(DataType.INT32, -2_147_483_649L, "int32 range -2147483648..2147483647"),
        Arguments.of(DataType.INT32, 2_147_483_648L, "int32 range -2147483648..2147483647"),
        Arguments.of(DataType.UINT32, -1L, "uint32 range 0..4294967295"),
        Arguments.of(DataType.UINT32, 4_294_967_296L, "uint32 range 0..4294967295"),
        Arguments.of(
            DataType.INT64,
            BigInteger.valueOf(Long.MIN_VALUE).subtract(BigInteger.ONE),
            "int64 range -9223372036854775808..9223372036854775807"),
        Arguments.of(DataType.INT64, TWO_63, "int64 range"),
        Arguments.of(DataType.INT64, 1e19, "int64 range"),
        Arguments.of(DataType.UINT64, -1L, "uint64 range 0..18446744073709551615"),
        Arguments.of(DataType.UINT64, UINT64_MAX.add(BigInteger.ONE), "uint64 range"),
        Arguments.of(DataType.UINT64, 0x1p64, "uint64 range"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("outOfRange")
  void writesOutsideTheTypeAreRejectedWithTheRange(DataType type, Number value, String range) {
    assertThatThrownBy(() -> RegisterCodec.encode(tag(type, RegisterOrder.ABCD), value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("value " + value + " is outside ")
        .hasMessageContaining(range)
        .hasMessageEndingWith(" after scale/offset");
  }

  @Test
  void theRangeMessageReadsAsTheOperatorSeesIt() {
    assertThatThrownBy(() -> RegisterCodec.encode(tag(DataType.UINT16, RegisterOrder.ABCD), 70000))
        .hasMessage("value 70000 is outside uint16 range 0..65535 after scale/offset");
  }

  @Test
  void theRangeIsCheckedAfterScaleAndOffset() {
    TagSpec t = scaled(DataType.INT16, RegisterOrder.ABCD, 0.1, 0);
    assertThat(RegisterCodec.encode(t, 3276.7)).containsExactly(w(0x7FFF));
    assertThatThrownBy(() -> RegisterCodec.encode(t, 3276.8))
        .hasMessage("value 3276.8 is outside int16 range -32768..32767 after scale/offset");
  }

  @ParameterizedTest
  @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
  void nonFiniteValuesAreRejectedForIntegerTypes(double value) {
    for (DataType type :
        new DataType[] {
          DataType.INT16,
          DataType.UINT16,
          DataType.INT32,
          DataType.UINT32,
          DataType.INT64,
          DataType.UINT64
        }) {
      assertThatThrownBy(() -> RegisterCodec.encode(tag(type, RegisterOrder.ABCD), value))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("value " + value + " is not a finite number");
    }
  }

  @Test
  void aScaleThatOverflowsIsRejected() {
    TagSpec t = scaled(DataType.INT32, RegisterOrder.ABCD, 1e-300, 0);
    assertThatThrownBy(() -> RegisterCodec.encode(t, 1e300))
        .hasMessage("value 1.0E300 is not a finite number after scale/offset; int32 needs one");
  }

  @Test
  void float32RejectsMagnitudesBeyondItsRange() {
    TagSpec t = tag(DataType.FLOAT32, RegisterOrder.ABCD);
    assertThatThrownBy(() -> RegisterCodec.encode(t, 1e39))
        .hasMessage("value 1.0E39 is outside float32 range ±3.4028235E38 after scale/offset");
    assertThatThrownBy(() -> RegisterCodec.encode(t, -1e39)).hasMessageContaining("float32 range");
    assertThat(RegisterCodec.encode(t, 0.1))
        .as("precision loss is the type's")
        .containsExactly(w(0x3DCC, 0xCCCD));
  }

  @Test
  void aValueOfTheWrongKindIsRejected() {
    assertThatThrownBy(() -> RegisterCodec.encode(tag(DataType.INT16, RegisterOrder.ABCD), "12"))
        .hasMessage("int16 tag t takes a number, got String 12");
    assertThatThrownBy(() -> RegisterCodec.encode(tag(DataType.FLOAT64, RegisterOrder.ABCD), true))
        .hasMessage("float64 tag t takes a number, got Boolean true");
    assertThatThrownBy(() -> RegisterCodec.encode(tag(DataType.UINT32, RegisterOrder.ABCD), null))
        .hasMessage("uint32 tag t takes a number, got nothing");
    assertThatThrownBy(() -> RegisterCodec.encode(string(RegisterOrder.ABCD, 2), 5L))
        .hasMessage("string tag s takes a string, got Long 5");
  }

  @Test
  void bitsAndBoolsAreNotWrittenAsRegisters() {
    assertThatThrownBy(() -> RegisterCodec.encode(bit(3, RegisterOrder.ABCD), 1))
        .hasMessage("bit tag b is written as a single bit");
    TagSpec coil = Specs.tag("c", Table.COIL, 0, DataType.BOOL);
    assertThatThrownBy(() -> RegisterCodec.encode(coil, 1))
        .hasMessage("bool tag c is written as a single bit");
    assertThatThrownBy(() -> RegisterCodec.decode(coil, w(1), 0))
        .hasMessage("bool tag c is read as a coil or discrete input, not a register");
  }

  // ---- BIT ----

  @ParameterizedTest(name = "bit {0} {1}")
  @MethodSource("bitsAndOrders")
  void eachBitOfARegister(int bit, RegisterOrder order) {
    TagSpec t = bit(bit, order);
    short only = (short) (1 << bit);
    assertThat(RegisterCodec.decode(t, new short[] {only}, 0)).isEqualTo(true);
    assertThat(RegisterCodec.decode(t, new short[] {(short) ~only}, 0)).isEqualTo(false);
    for (short x : w(0x0000, 0xFFFF, 0xA5C3, 0x5A3C, only, ~only)) {
      boolean value = (Boolean) RegisterCodec.decode(t, new short[] {x}, 0);
      assertThat(RegisterCodec.encodeBit(x, bit, value)).as("round trip of %04X", x).isEqualTo(x);
      short flipped = RegisterCodec.encodeBit(x, bit, !value);
      assertThat((flipped ^ x) & 0xFFFF).as("only bit %d changes", bit).isEqualTo(only & 0xFFFF);
    }
  }

  static Stream<Arguments> bitsAndOrders() {
    return IntStream.range(0, 16)
        .boxed()
        .flatMap(b -> Stream.of(RegisterOrder.values()).map(o -> Arguments.of(b, o)));
  }

  @Test
  void bit15IsTheSignBitOfTheRegister() {
    assertThat(RegisterCodec.decode(bit(15, RegisterOrder.ABCD), w(0x8000), 0)).isEqualTo(true);
    assertThat(RegisterCodec.decode(bit(15, RegisterOrder.ABCD), w(0x7FFF), 0)).isEqualTo(false);
    assertThat(RegisterCodec.encodeBit((short) 0x0001, 15, true)).isEqualTo((short) 0x8001);
    assertThat(RegisterCodec.encodeBit((short) 0x8001, 15, false)).isEqualTo((short) 0x0001);
  }

  @Test
  void aBitIsReadFromItsOwnRegisterInsideALongerRequest() {
    TagSpec t = Specs.shaped("b", Table.HOLDING, 7, DataType.BIT, RegisterOrder.ABCD, 4, 1, 1, 0);
    assertThat(RegisterCodec.decode(t, w(0xFFFF, 0x0010, 0xFFFF), 1)).isEqualTo(true);
    assertThat(RegisterCodec.decode(t, w(0x0010, 0xFFEF, 0x0010), 1)).isEqualTo(false);
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 16})
  void encodeBitRefusesABitOutsideTheRegister(int bit) {
    assertThatThrownBy(() -> RegisterCodec.encodeBit((short) 0, bit, true))
        .hasMessage("bit must be 0..15, got " + bit);
  }

  // ---- STRING ----

  static Stream<Arguments> strings() {
    return Stream.of(
        Arguments.of(RegisterOrder.ABCD, w(0x5055, 0x4D50, 0x2D37, 0x0000), "PUMP-7"),
        Arguments.of(RegisterOrder.ABCD, w(0x4142, 0x4300), "ABC"),
        Arguments.of(RegisterOrder.ABCD, w(0x4142, 0x4344), "ABCD"),
        Arguments.of(RegisterOrder.ABCD, w(0x4120, 0x4200), "A B"),
        Arguments.of(RegisterOrder.ABCD, w(0x0000, 0x0000, 0x0000), ""),
        Arguments.of(RegisterOrder.CDAB, w(0x4142, 0x4300), "ABC"),
        Arguments.of(RegisterOrder.BADC, w(0x4241, 0x0043), "ABC"),
        // DCBA swaps the bytes but, for text, never the registers.
        Arguments.of(RegisterOrder.DCBA, w(0x4241, 0x0043), "ABC"),
        Arguments.of(RegisterOrder.DCBA, w(0x5550, 0x504D, 0x372D, 0x0000), "PUMP-7"));
  }

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("strings")
  void stringsDecodeAndRoundTrip(RegisterOrder order, short[] wire, String text) {
    TagSpec s = string(order, wire.length);
    assertThat(RegisterCodec.decode(s, wire, 0)).isEqualTo(text);
    assertThat(RegisterCodec.encode(s, text)).containsExactly(wire);
    short[] request = new short[wire.length + 3];
    Arrays.fill(request, (short) 0x4141);
    System.arraycopy(wire, 0, request, 2, wire.length);
    assertThat(RegisterCodec.decode(s, request, 2)).isEqualTo(text);
  }

  @Test
  void trailingSpacesAndNulsAreTrimmedButWritesPadWithNuls() {
    TagSpec s = string(RegisterOrder.ABCD, 3);
    assertThat(RegisterCodec.decode(s, w(0x4142, 0x4320, 0x2020), 0)).isEqualTo("ABC");
    assertThat(RegisterCodec.decode(s, w(0x4142, 0x4320, 0x0020), 0)).isEqualTo("ABC");
    assertThat(RegisterCodec.decode(s, w(0x2041, 0x0000, 0x0000), 0))
        .as("leading space kept")
        .isEqualTo(" A");
    // The one case without a round trip: space padding comes back as NULs.
    assertThat(RegisterCodec.encode(s, "ABC")).containsExactly(w(0x4142, 0x4300, 0x0000));
  }

  @Test
  void bytesOutsideAsciiDecodeAsTheReplacementCharacter() {
    assertThat(RegisterCodec.decode(string(RegisterOrder.ABCD, 1), w(0x41B0), 0))
        .isEqualTo("A\uFFFD");
  }

  @Test
  void aStringTooLongOrNotAsciiIsRejected() {
    TagSpec s = string(RegisterOrder.ABCD, 4);
    assertThat(RegisterCodec.encode(s, "ABCDEFGH"))
        .containsExactly(w(0x4142, 0x4344, 0x4546, 0x4748));
    assertThatThrownBy(() -> RegisterCodec.encode(s, "ABCDEFGHI"))
        .hasMessage("string of 9 chars does not fit 4 registers");
    assertThatThrownBy(() -> RegisterCodec.encode(s, "40°C"))
        .hasMessage("string has the non-ASCII character '°' at index 2");
  }

  // ---- malformed input ----

  @Test
  void tooFewRegistersIsAClearError() {
    assertThatThrownBy(
            () -> RegisterCodec.decode(tag(DataType.FLOAT64, RegisterOrder.ABCD), w(1, 2), 0))
        .hasMessage("tag t needs 4 registers at 0, have 2");
    assertThatThrownBy(
            () -> RegisterCodec.decode(tag(DataType.FLOAT32, RegisterOrder.ABCD), w(1, 2, 3), 2))
        .hasMessage("tag t needs 2 registers at 2, have 3");
    assertThatThrownBy(
            () -> RegisterCodec.decode(tag(DataType.INT16, RegisterOrder.ABCD), w(1), -1))
        .hasMessage("tag t needs 1 registers at -1, have 1");
  }

  @ParameterizedTest
  @EnumSource(
      value = DataType.class,
      names = {"INT32", "UINT32", "FLOAT32", "INT64", "UINT64", "FLOAT64"})
  void aTagWhoseLengthDisagreesWithItsTypeIsRefused(DataType type) {
    TagSpec t = Specs.shaped("t", Table.HOLDING, 0, type, RegisterOrder.ABCD, 0, 1, 1, 0);
    String message =
        "tag t is "
            + type.name().toLowerCase(java.util.Locale.ROOT)
            + ", which spans "
            + type.width(1)
            + " registers, but its length is 1";
    assertThatThrownBy(() -> RegisterCodec.decode(t, new short[8], 0)).hasMessage(message);
    assertThatThrownBy(() -> RegisterCodec.encode(t, 1)).hasMessage(message);
  }
}
