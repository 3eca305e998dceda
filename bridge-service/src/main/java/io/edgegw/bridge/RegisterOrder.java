package io.edgegw.bridge;

/**
 * Byte and word order of a multi-byte value, named by where the most significant byte {@code A}
 * lands. For a 32-bit value {@code 0xAABBCCDD}: {@code ABCD} is big-endian (Modbus default), {@code
 * CDAB} swaps words, {@code BADC} swaps bytes in each word, {@code DCBA} is little-endian. 64-bit
 * values extend the same rule to four words; 16-bit values honour only the byte swap ({@code BADC}
 * and {@code DCBA} swap the two bytes).
 */
public enum RegisterOrder {
  ABCD,
  CDAB,
  BADC,
  DCBA;

  /** True when the bytes inside each 16-bit register are swapped. */
  public boolean swapsBytes() {
    return switch (this) {
      case BADC, DCBA -> true;
      case ABCD, CDAB -> false;
    };
  }

  /** True when the order of the 16-bit registers is reversed. */
  public boolean swapsWords() {
    return switch (this) {
      case CDAB, DCBA -> true;
      case ABCD, BADC -> false;
    };
  }
}
