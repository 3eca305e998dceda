package io.edgegw.bridge;

import io.edgegw.testsupport.ModbusTcpSimulator;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One tag of every data type and byte order on the "typed" simulator, with the registers written as
 * hex and the value the bridge must publish.
 */
final class TypedValues {
  private TypedValues() {}

  /** Tag name to expected published value. */
  static final Map<String, Object> EXPECTED = new LinkedHashMap<>();

  static {
    EXPECTED.put("i16", -2L);
    EXPECTED.put("u16", 65534L);
    EXPECTED.put("i32_abcd", -123456789L);
    EXPECTED.put("u32_cdab", 3_000_000_000L);
    EXPECTED.put("i64_badc", -1234567890123L);
    EXPECTED.put("u64_dcba", new BigInteger("18446744073709551615"));
    EXPECTED.put("f32_abcd", (double) 123.456f);
    EXPECTED.put("f64_cdab", -98765.4321);
    EXPECTED.put("scaled", 21.5);
    EXPECTED.put("bit3", true);
    EXPECTED.put("bit4", false);
    EXPECTED.put("name", "PUMP-7");
    EXPECTED.put("coil5", true);
    EXPECTED.put("di2", true);
    EXPECTED.put("setpoint", 0.0);
  }

  static String tagsYaml(String indent) {
    String tags =
        """
        - { name: i16, table: holding, address: 0, type: int16 }
        - { name: u16, table: input, address: 0, type: uint16 }
        - { name: i32_abcd, table: holding, address: 10, type: int32, order: ABCD }
        - { name: u32_cdab, table: holding, address: 20, type: uint32, order: CDAB }
        - { name: i64_badc, table: holding, address: 30, type: int64, order: BADC }
        - { name: u64_dcba, table: holding, address: 40, type: uint64, order: DCBA }
        - { name: f32_abcd, table: holding, address: 50, type: float32 }
        - { name: f64_cdab, table: holding, address: 60, type: float64, order: CDAB }
        - { name: scaled, table: holding, address: 70, type: int16, scale: 0.1, offset: 1.5 }
        - { name: bit3, table: holding, address: 80, type: bit, bit: 3 }
        - { name: bit4, table: holding, address: 80, type: bit, bit: 4 }
        - { name: name, table: holding, address: 90, type: string, length: 4 }
        - { name: coil5, table: coil, address: 5, type: bool, writable: true }
        - { name: di2, table: discrete-input, address: 2, type: bool }
        - { name: setpoint, table: holding, address: 100, type: float32, writable: true, min: 0, max: 100 }
        """;
    StringBuilder out = new StringBuilder();
    tags.lines().forEach(l -> out.append(indent).append(l).append('\n'));
    return out.toString().stripTrailing();
  }

  static void load(ModbusTcpSimulator sim) {
    sim.setHolding(0, (short) 0xFFFE);
    sim.setInput(0, (short) 0xFFFE);
    // -123456789 = 0xF8A432EB
    sim.setHolding(10, (short) 0xF8A4, (short) 0x32EB);
    // 3000000000 = 0xB2D05E00, words swapped
    sim.setHolding(20, (short) 0x5E00, (short) 0xB2D0);
    // -1234567890123 = 0xFFFFFEE08E04FB35, bytes swapped in each word
    sim.setHolding(30, (short) 0xFFFF, (short) 0xE0FE, (short) 0x048E, (short) 0x35FB);
    // uint64 max, fully little-endian: all ones either way
    sim.setHolding(40, (short) 0xFFFF, (short) 0xFFFF, (short) 0xFFFF, (short) 0xFFFF);
    // 123.456f = 0x42F6E979
    sim.setHolding(50, (short) 0x42F6, (short) 0xE979);
    // -98765.4321 = 0xC0F81CD6E9E1B08A, words reversed
    sim.setHolding(60, (short) 0xB08A, (short) 0xE9E1, (short) 0x1CD6, (short) 0xC0F8);
    // 200 * 0.1 + 1.5 = 21.5
    sim.setHolding(70, (short) 200);
    // bit 3 set, bit 4 clear
    sim.setHolding(80, (short) 0x0008);
    // "PUMP-7" padded with NULs to 4 registers
    sim.setHolding(90, (short) 0x5055, (short) 0x4D50, (short) 0x2D37, (short) 0x0000);
    sim.setCoil(5, true);
    sim.setDiscrete(2, true);
    sim.setHolding(100, (short) 0, (short) 0);
  }
}
