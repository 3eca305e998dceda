package io.edgegw.bridge;

import java.time.Duration;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * One tag of one device, as declared in {@code devices.yaml}.
 *
 * @param name unique within its device; the {@code tag} of published samples
 * @param table Modbus table
 * @param address 0-based protocol address of the first register or bit
 * @param type data type
 * @param order byte/word order for register types
 * @param bit bit index 0..15 for {@code BIT}; 0 otherwise
 * @param length registers for {@code STRING}; the type's width otherwise
 * @param scale multiplier applied after decoding numeric types (value = raw × scale + offset)
 * @param offset added after scaling
 * @param unit engineering unit, may be empty
 * @param pollGroup name of the poll group that sets this tag's interval
 * @param deadband change filter
 * @param heartbeat maximum silent interval: a value is published at least this often; null disables
 * @param spikeLimit largest plausible change between two polls; a larger jump is held back once as
 *     a spike. Empty disables
 * @param writable whether write commands may target this tag
 * @param min lowest value a write may set, in engineering units
 * @param max highest value a write may set, in engineering units
 */
public record TagSpec(
    String name,
    Table table,
    int address,
    DataType type,
    RegisterOrder order,
    int bit,
    int length,
    double scale,
    double offset,
    String unit,
    String pollGroup,
    Deadband deadband,
    Duration heartbeat,
    OptionalDouble spikeLimit,
    boolean writable,
    OptionalDouble min,
    OptionalDouble max) {

  public TagSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(order, "order");
    Objects.requireNonNull(pollGroup, "pollGroup");
    Objects.requireNonNull(deadband, "deadband");
    Objects.requireNonNull(spikeLimit, "spikeLimit");
    Objects.requireNonNull(min, "min");
    Objects.requireNonNull(max, "max");
    unit = unit == null ? "" : unit;
    if (address < 0 || address > 0xFFFF) {
      throw new IllegalArgumentException("address must be 0..65535, got " + address);
    }
    if (table.isBitTable() != (type == DataType.BOOL)) {
      throw new IllegalArgumentException(
          "type "
              + type
              + " does not fit table "
              + table
              + " (bool goes with coil/discrete-input)");
    }
    if (bit < 0 || bit > 15) {
      throw new IllegalArgumentException("bit must be 0..15, got " + bit);
    }
    if (length < 1 || address + length - 1 > 0xFFFF) {
      throw new IllegalArgumentException("length " + length + " does not fit at " + address);
    }
  }

  /** Registers (or bits) this tag spans starting at {@link #address}. */
  public int width() {
    return length;
  }

  /** Last address this tag occupies (inclusive). */
  public int lastAddress() {
    return address + length - 1;
  }
}
