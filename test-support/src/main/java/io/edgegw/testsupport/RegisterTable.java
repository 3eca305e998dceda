package io.edgegw.testsupport;

/** The two 16-bit register tables of a Modbus device, for the multi-word helpers. */
public enum RegisterTable {
  /** Holding registers (read with function 3, written with 6 and 16). */
  HOLDING,
  /** Input registers (read-only to the master, read with function 4). */
  INPUT
}
