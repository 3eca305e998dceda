package io.edgegw.testsupport;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * One Modbus TCP application data unit: the 7-byte MBAP header (transaction id, protocol id,
 * length, unit id) and the PDU (function code and data). The length field counts the unit id and
 * the PDU.
 */
record MbapFrame(int transactionId, int protocolId, int unitId, byte[] pdu) {

  static final int HEADER_BYTES = 7;

  /** The largest PDU the protocol allows (260-byte ADU minus the header). */
  static final int MAX_PDU_BYTES = 253;

  MbapFrame {
    if (transactionId < 0 || transactionId > 0xFFFF) {
      throw new IllegalArgumentException("transaction id must be 0-65535: " + transactionId);
    }
    if (protocolId < 0 || protocolId > 0xFFFF) {
      throw new IllegalArgumentException("protocol id must be 0-65535: " + protocolId);
    }
    if (unitId < 0 || unitId > 0xFF) {
      throw new IllegalArgumentException("unit id must be 0-255: " + unitId);
    }
    if (pdu.length < 1 || pdu.length > MAX_PDU_BYTES) {
      throw new IllegalArgumentException("PDU must be 1-253 bytes: " + pdu.length);
    }
    pdu = pdu.clone();
  }

  /**
   * Reads one frame.
   *
   * @return the frame, or null when the stream ends cleanly before a new frame starts
   * @throws IOException on a stream that ends inside a frame or a length field out of range
   */
  static MbapFrame read(DataInputStream in) throws IOException {
    int first = in.read();
    if (first < 0) {
      return null;
    }
    byte[] header = new byte[HEADER_BYTES];
    header[0] = (byte) first;
    try {
      in.readFully(header, 1, HEADER_BYTES - 1);
      ByteBuffer fields = ByteBuffer.wrap(header);
      int transactionId = fields.getShort() & 0xFFFF;
      int protocolId = fields.getShort() & 0xFFFF;
      int length = fields.getShort() & 0xFFFF;
      int unitId = fields.get() & 0xFF;
      if (length < 2 || length > MAX_PDU_BYTES + 1) {
        throw new IOException("MBAP length field " + length + " is outside 2-254");
      }
      byte[] pdu = new byte[length - 1];
      in.readFully(pdu);
      return new MbapFrame(transactionId, protocolId, unitId, pdu);
    } catch (EOFException e) {
      throw new EOFException("stream ended inside an MBAP frame");
    }
  }

  /** The frame as sent on the wire. */
  byte[] encode() {
    return ByteBuffer.allocate(HEADER_BYTES + pdu.length)
        .putShort((short) transactionId)
        .putShort((short) protocolId)
        .putShort((short) (pdu.length + 1))
        .put((byte) unitId)
        .put(pdu)
        .array();
  }

  int functionCode() {
    return pdu[0] & 0xFF;
  }

  /** The exception response a device sends for this request: function | 0x80, then the code. */
  MbapFrame exceptionReply(int exceptionCode) {
    return new MbapFrame(
        transactionId,
        protocolId,
        unitId,
        new byte[] {(byte) (functionCode() | 0x80), (byte) exceptionCode});
  }

  @Override
  public byte[] pdu() {
    return pdu.clone();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof MbapFrame frame
        && frame.transactionId == transactionId
        && frame.protocolId == protocolId
        && frame.unitId == unitId
        && Arrays.equals(frame.pdu, pdu);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * (31 * transactionId + protocolId) + unitId) + Arrays.hashCode(pdu);
  }

  @Override
  public String toString() {
    return "MbapFrame[tid="
        + transactionId
        + ", pid="
        + protocolId
        + ", unit="
        + unitId
        + ", pdu="
        + HexFormat.of().formatHex(pdu)
        + "]";
  }
}
