package io.edgegw.bridge;

/** The four Modbus data tables. Coils and holding registers are writable by protocol. */
public enum Table {
  COIL,
  DISCRETE_INPUT,
  HOLDING,
  INPUT;

  /** True for the single-bit tables (coils and discrete inputs). */
  public boolean isBitTable() {
    return switch (this) {
      case COIL, DISCRETE_INPUT -> true;
      case HOLDING, INPUT -> false;
    };
  }

  /** True where the Modbus protocol allows a write (coils and holding registers). */
  public boolean isProtocolWritable() {
    return switch (this) {
      case COIL, HOLDING -> true;
      case DISCRETE_INPUT, INPUT -> false;
    };
  }
}
