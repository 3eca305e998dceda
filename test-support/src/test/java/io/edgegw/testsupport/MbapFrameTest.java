package io.edgegw.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class MbapFrameTest {

  private static final HexFormat HEX = HexFormat.of();

  @Test
  void readsAndEncodesAReadHoldingRegistersRequest() throws IOException {
    // tid 0x0102, protocol 0, length 6, unit 0x11, FC 3, address 0x006B, count 3
    byte[] wire = HEX.parseHex("010200000006110300" + "6b0003");

    MbapFrame frame = read(wire);

    assertThat(frame.transactionId()).isEqualTo(0x0102);
    assertThat(frame.protocolId()).isZero();
    assertThat(frame.unitId()).isEqualTo(0x11);
    assertThat(frame.functionCode()).isEqualTo(3);
    assertThat(frame.pdu()).isEqualTo(HEX.parseHex("03006b0003"));
    assertThat(frame.encode()).isEqualTo(wire);
  }

  @Test
  void exceptionReplyKeepsTheHeaderAndSetsTheHighBitOfTheFunction() throws IOException {
    MbapFrame request = read(HEX.parseHex("abcd000000060110" + "0001000a"));

    assertThat(request.exceptionReply(2).encode())
        .isEqualTo(HEX.parseHex("abcd000000030190" + "02"));
  }

  @Test
  void cleanEndOfStreamBetweenFramesIsNotAnError() throws IOException {
    assertThat(read(new byte[0])).isNull();
  }

  @Test
  void endOfStreamInsideAFrameIsAnError() {
    assertThatThrownBy(() -> read(HEX.parseHex("0001000000060103")))
        .isInstanceOf(EOFException.class);
  }

  @Test
  void rejectsALengthFieldOutsideTheProtocolLimits() {
    assertThatThrownBy(() -> read(HEX.parseHex("00010000000101")))
        .isInstanceOf(IOException.class)
        .hasMessage("MBAP length field 1 is outside 2-254");
    assertThatThrownBy(() -> read(HEX.parseHex("000100000100" + "01")))
        .hasMessage("MBAP length field 256 is outside 2-254");
  }

  @Test
  void framesWithTheSameBytesAreEqual() throws IOException {
    byte[] wire = HEX.parseHex("0001000000060103000a0002");

    assertThat(read(wire)).isEqualTo(read(wire)).hasSameHashCodeAs(read(wire));
  }

  private static MbapFrame read(byte[] wire) throws IOException {
    return MbapFrame.read(new DataInputStream(new ByteArrayInputStream(wire)));
  }
}
