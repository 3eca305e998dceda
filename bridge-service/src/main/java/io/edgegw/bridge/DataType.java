package io.edgegw.bridge;

/**
 * How a tag's raw bits are interpreted. {@code BOOL} reads one coil or discrete input; {@code BIT}
 * reads one bit out of a 16-bit register; {@code STRING} reads {@code length} registers of two
 * ASCII characters each.
 */
public enum DataType {
  BOOL,
  BIT,
  INT16,
  UINT16,
  INT32,
  UINT32,
  INT64,
  UINT64,
  FLOAT32,
  FLOAT64,
  STRING;

  /**
   * Registers (or, for {@code BOOL}, bits) this type occupies.
   *
   * @param stringLength registers of a {@code STRING} tag; ignored for the other types
   */
  public int width(int stringLength) {
    return switch (this) {
      case BOOL, BIT, INT16, UINT16 -> 1;
      case INT32, UINT32, FLOAT32 -> 2;
      case INT64, UINT64, FLOAT64 -> 4;
      case STRING -> stringLength;
    };
  }

  /** True for the types whose value is a number after decoding (scale and offset apply). */
  public boolean isNumeric() {
    return switch (this) {
      case INT16, UINT16, INT32, UINT32, INT64, UINT64, FLOAT32, FLOAT64 -> true;
      case BOOL, BIT, STRING -> false;
    };
  }
}
