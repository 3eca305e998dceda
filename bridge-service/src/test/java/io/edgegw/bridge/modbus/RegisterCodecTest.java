package io.edgegw.bridge.modbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.bridge.DataType;
import io.edgegw.bridge.RegisterOrder;
import io.edgegw.bridge.Specs;
import io.edgegw.bridge.Table;
import io.edgegw.bridge.TagSpec;
import java.math.BigInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The full type x byte-order matrix, written as the registers seen on the wire. For each case:
 * decode gives the value, and encode of that value gives the same registers back.
 */
class RegisterCodecTest {

  static TagSpec tag(DataType type, RegisterOrder order, double scale, double offset, int length) {
    return Specs.shaped("t", Table.HOLDING, 0, type, order, 0, type.width(length), scale, offset);
  }

  static TagSpec tag(DataType type, RegisterOrder order) {
    return tag(type, order, 1, 0, 1);
  }

  static short[] w(int... words) {
    short[] out = new short[words.length];
    for (int i = 0; i < words.length; i++) {
      out[i] = (short) words[i];
    }
    return out;
  }

  static Stream<Arguments> matrix() {
    BigInteger u64max = new BigInteger("18446744073709551615");
    BigInteger u64big = new BigInteger("11529215046068469760"); // 0xA000000000000000
    return Stream.of(
        // int16: only the byte swap matters
        Arguments.of(DataType.INT16, RegisterOrder.ABCD, w(0x1234), 0x1234L),
        Arguments.of(DataType.INT16, RegisterOrder.CDAB, w(0x1234), 0x1234L),
        Arguments.of(DataType.INT16, RegisterOrder.BADC, w(0x3412), 0x1234L),
        Arguments.of(DataType.INT16, RegisterOrder.DCBA, w(0x3412), 0x1234L),
        Arguments.of(DataType.INT16, RegisterOrder.ABCD, w(0xFFFE), -2L),
        Arguments.of(DataType.INT16, RegisterOrder.ABCD, w(0x8000), -32768L),
        Arguments.of(DataType.INT16, RegisterOrder.ABCD, w(0x7FFF), 32767L),
        Arguments.of(DataType.INT16, RegisterOrder.BADC, w(0xFEFF), -2L),
        // uint16
        Arguments.of(DataType.UINT16, RegisterOrder.ABCD, w(0xFFFE), 65534L),
        Arguments.of(DataType.UINT16, RegisterOrder.CDAB, w(0x8001), 32769L),
        Arguments.of(DataType.UINT16, RegisterOrder.BADC, w(0x0180), 32769L),
        Arguments.of(DataType.UINT16, RegisterOrder.DCBA, w(0xFFFF), 65535L),
        Arguments.of(DataType.UINT16, RegisterOrder.ABCD, w(0x0000), 0L),
        // int32 = 0x12345678 = 305419896
        Arguments.of(DataType.INT32, RegisterOrder.ABCD, w(0x1234, 0x5678), 305419896L),
        Arguments.of(DataType.INT32, RegisterOrder.CDAB, w(0x5678, 0x1234), 305419896L),
        Arguments.of(DataType.INT32, RegisterOrder.BADC, w(0x3412, 0x7856), 305419896L),
        Arguments.of(DataType.INT32, RegisterOrder.DCBA, w(0x7856, 0x3412), 305419896L),
        // int32 = -123456789 = 0xF8A432EB
        Arguments.of(DataType.INT32, RegisterOrder.ABCD, w(0xF8A4, 0x32EB), -123456789L),
        Arguments.of(DataType.INT32, RegisterOrder.CDAB, w(0x32EB, 0xF8A4), -123456789L),
        Arguments.of(DataType.INT32, RegisterOrder.BADC, w(0xA4F8, 0xEB32), -123456789L),
        Arguments.of(DataType.INT32, RegisterOrder.DCBA, w(0xEB32, 0xA4F8), -123456789L),
        Arguments.of(
            DataType.INT32, RegisterOrder.ABCD, w(0x8000, 0x0000), (long) Integer.MIN_VALUE),
        Arguments.of(
            DataType.INT32, RegisterOrder.ABCD, w(0x7FFF, 0xFFFF), (long) Integer.MAX_VALUE),
        // uint32 = 3000000000 = 0xB2D05E00
        Arguments.of(DataType.UINT32, RegisterOrder.ABCD, w(0xB2D0, 0x5E00), 3_000_000_000L),
        Arguments.of(DataType.UINT32, RegisterOrder.CDAB, w(0x5E00, 0xB2D0), 3_000_000_000L),
        Arguments.of(DataType.UINT32, RegisterOrder.BADC, w(0xD0B2, 0x005E), 3_000_000_000L),
        Arguments.of(DataType.UINT32, RegisterOrder.DCBA, w(0x005E, 0xD0B2), 3_000_000_000L),
        Arguments.of(DataType.UINT32, RegisterOrder.ABCD, w(0xFFFF, 0xFFFF), 4_294_967_295L),
        // int64 = 0x0102030405060708 = 72623859790382856
        Arguments.of(
            DataType.INT64,
            RegisterOrder.ABCD,
            w(0x0102, 0x0304, 0x0506, 0x0708),
            72623859790382856L),
        Arguments.of(
            DataType.INT64,
            RegisterOrder.CDAB,
            w(0x0708, 0x0506, 0x0304, 0x0102),
            72623859790382856L),
        Arguments.of(
            DataType.INT64,
            RegisterOrder.BADC,
            w(0x0201, 0x0403, 0x0605, 0x0807),
            72623859790382856L),
        Arguments.of(
            DataType.INT64,
            RegisterOrder.DCBA,
            w(0x0807, 0x0605, 0x0403, 0x0201),
            72623859790382856L),
        // int64 = -1234567890123 = 0xFFFFFEE08E04FB35
        Arguments.of(
            DataType.INT64, RegisterOrder.ABCD, w(0xFFFF, 0xFEE0, 0x8E04, 0xFB35), -1234567890123L),
        Arguments.of(
            DataType.INT64, RegisterOrder.CDAB, w(0xFB35, 0x8E04, 0xFEE0, 0xFFFF), -1234567890123L),
        Arguments.of(
            DataType.INT64, RegisterOrder.BADC, w(0xFFFF, 0xE0FE, 0x048E, 0x35FB), -1234567890123L),
        Arguments.of(
            DataType.INT64, RegisterOrder.DCBA, w(0x35FB, 0x048E, 0xE0FE, 0xFFFF), -1234567890123L),
        Arguments.of(DataType.INT64, RegisterOrder.ABCD, w(0x8000, 0, 0, 0), Long.MIN_VALUE),
        // uint64
        Arguments.of(
            DataType.UINT64, RegisterOrder.ABCD, w(0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF), u64max),
        Arguments.of(DataType.UINT64, RegisterOrder.ABCD, w(0xA000, 0, 0, 0), u64big),
        Arguments.of(DataType.UINT64, RegisterOrder.CDAB, w(0, 0, 0, 0xA000), u64big),
        Arguments.of(DataType.UINT64, RegisterOrder.BADC, w(0x00A0, 0, 0, 0), u64big),
        Arguments.of(DataType.UINT64, RegisterOrder.DCBA, w(0, 0, 0, 0x00A0), u64big),
        Arguments.of(
            DataType.UINT64,
            RegisterOrder.DCBA,
            w(0x0807, 0x0605, 0x0403, 0x0201),
            72623859790382856L),
        // float32 123.456f = 0x42F6E979
        Arguments.of(DataType.FLOAT32, RegisterOrder.ABCD, w(0x42F6, 0xE979), (double) 123.456f),
        Arguments.of(DataType.FLOAT32, RegisterOrder.CDAB, w(0xE979, 0x42F6), (double) 123.456f),
        Arguments.of(DataType.FLOAT32, RegisterOrder.BADC, w(0xF642, 0x79E9), (double) 123.456f),
        Arguments.of(DataType.FLOAT32, RegisterOrder.DCBA, w(0x79E9, 0xF642), (double) 123.456f),
        Arguments.of(DataType.FLOAT32, RegisterOrder.ABCD, w(0xC120, 0x0000), -10.0),
        // float64 -98765.4321 = 0xC0F81CD6E9E1B08A
        Arguments.of(
            DataType.FLOAT64, RegisterOrder.ABCD, w(0xC0F8, 0x1CD6, 0xE9E1, 0xB08A), -98765.4321),
        Arguments.of(
            DataType.FLOAT64, RegisterOrder.CDAB, w(0xB08A, 0xE9E1, 0x1CD6, 0xC0F8), -98765.4321),
        Arguments.of(
            DataType.FLOAT64, RegisterOrder.BADC, w(0xF8C0, 0xD61C, 0xE1E9, 0x8AB0), -98765.4321),
        Arguments.of(
            DataType.FLOAT64, RegisterOrder.DCBA, w(0x8AB0, 0xE1E9, 0xD61C, 0xF8C0), -98765.4321),
        Arguments.of(DataType.FLOAT64, RegisterOrder.ABCD, w(0x3FF0, 0, 0, 0), 1.0));
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("matrix")
  void decodesAndEncodesTheMatrix(DataType type, RegisterOrder order, short[] wire, Object value) {
    TagSpec tag = tag(type, order);
    assertThat(RegisterCodec.decode(tag, wire, 0)).isEqualTo(value);
    assertThat(RegisterCodec.encode(tag, value)).containsExactly(wire);
  }

  @ParameterizedTest(name = "{0} {1} at offset 3")
  @MethodSource("matrix")
  void decodesInsideALongerRequest(DataType type, RegisterOrder order, short[] wire, Object value) {
    short[] request = new short[wire.length + 5];
    java.util.Arrays.fill(request, (short) 0x5A5A);
    System.arraycopy(wire, 0, request, 3, wire.length);
    assertThat(RegisterCodec.decode(tag(type, order), request, 3)).isEqualTo(value);
  }

  @Test
  void scaleAndOffsetApplyBothWays() {
    TagSpec t = tag(DataType.INT16, RegisterOrder.ABCD, 0.1, 1.5, 1);
    assertThat(RegisterCodec.decode(t, w(0x00C8), 0)).isEqualTo(21.5);
    assertThat(RegisterCodec.encode(t, 21.5)).containsExactly(w(0x00C8));
    TagSpec u = tag(DataType.UINT32, RegisterOrder.CDAB, 0.001, 0, 1);
    assertThat((Double) RegisterCodec.decode(u, w(0x5E00, 0xB2D0), 0))
        .isCloseTo(3_000_000.0, org.assertj.core.data.Offset.offset(1e-6));
    TagSpec f = tag(DataType.FLOAT32, RegisterOrder.ABCD, 2, -1, 1);
    assertThat(RegisterCodec.decode(f, w(0xC120, 0x0000), 0)).isEqualTo(-21.0);
  }

  @Test
  void bitsOfARegister() {
    for (int bit = 0; bit < 16; bit++) {
      TagSpec t =
          Specs.shaped("b", Table.HOLDING, 0, DataType.BIT, RegisterOrder.ABCD, bit, 1, 1, 0);
      short only = (short) (1 << bit);
      assertThat(RegisterCodec.decode(t, w(only), 0)).as("bit %d set", bit).isEqualTo(true);
      assertThat(RegisterCodec.decode(t, w(~only), 0)).as("bit %d clear", bit).isEqualTo(false);
      assertThat(RegisterCodec.encodeBit((short) 0, bit, true)).isEqualTo(only);
      assertThat(RegisterCodec.encodeBit((short) 0xFFFF, bit, false)).isEqualTo((short) ~only);
    }
    assertThat(RegisterCodec.encodeBit((short) 0x00F0, 0, true)).isEqualTo((short) 0x00F1);
  }

  @Test
  void stringsWithPaddingOddLengthAndByteSwap() {
    TagSpec s = tag(DataType.STRING, RegisterOrder.ABCD, 1, 0, 4);
    assertThat(RegisterCodec.decode(s, w(0x5055, 0x4D50, 0x2D37, 0x0000), 0)).isEqualTo("PUMP-7");
    assertThat(RegisterCodec.decode(s, w(0x4142, 0x4320, 0x2020, 0x2020), 0)).isEqualTo("ABC");
    assertThat(RegisterCodec.encode(s, "ABC")).containsExactly(w(0x4142, 0x4300, 0, 0));
    assertThat(RegisterCodec.encode(s, "PUMP-7")).containsExactly(w(0x5055, 0x4D50, 0x2D37, 0));
    TagSpec swapped = tag(DataType.STRING, RegisterOrder.BADC, 1, 0, 2);
    assertThat(RegisterCodec.decode(swapped, w(0x4241, 0x0043), 0)).isEqualTo("ABC");
    assertThat(RegisterCodec.encode(swapped, "ABC")).containsExactly(w(0x4241, 0x0043));
    assertThatThrownBy(() -> RegisterCodec.encode(s, "TOO-LONG-X"))
        .hasMessage("string of 10 chars does not fit 4 registers");
  }

  @Test
  void writesOutsideTheTypeAreRejectedWithTheRange() {
    assertThatThrownBy(() -> RegisterCodec.encode(tag(DataType.UINT16, RegisterOrder.ABCD), 70000))
        .hasMessage("value 70000 is outside uint16 range 0..65535 after scale/offset");
    assertThatThrownBy(() -> RegisterCodec.encode(tag(DataType.INT16, RegisterOrder.ABCD), -32769))
        .hasMessageContaining("outside int16 range -32768..32767");
    assertThatThrownBy(() -> RegisterCodec.encode(tag(DataType.UINT32, RegisterOrder.ABCD), -1))
        .hasMessageContaining("outside uint32 range");
    assertThatThrownBy(() -> RegisterCodec.encode(tag(DataType.UINT64, RegisterOrder.ABCD), -1L))
        .hasMessageContaining("outside uint64 range");
    assertThatThrownBy(
            () -> RegisterCodec.encode(tag(DataType.INT32, RegisterOrder.ABCD), Double.NaN))
        .hasMessageContaining("not a finite number");
    assertThatThrownBy(() -> RegisterCodec.encode(tag(DataType.FLOAT32, RegisterOrder.ABCD), 1e300))
        .hasMessageContaining("outside float32 range");
    TagSpec scaled = tag(DataType.INT16, RegisterOrder.ABCD, 0.1, 0, 1);
    assertThatThrownBy(() -> RegisterCodec.encode(scaled, 4000))
        .hasMessageContaining("outside int16 range");
  }

  @Test
  void tooFewRegistersIsAClearError() {
    assertThatThrownBy(
            () -> RegisterCodec.decode(tag(DataType.FLOAT64, RegisterOrder.ABCD), w(1, 2), 0))
        .hasMessage("tag t needs 4 registers at 0, have 2");
  }
}
