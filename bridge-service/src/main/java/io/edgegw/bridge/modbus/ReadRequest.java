package io.edgegw.bridge.modbus;

import io.edgegw.bridge.Table;
import io.edgegw.bridge.TagSpec;
import java.util.List;
import java.util.Objects;

/**
 * One Modbus read: {@code count} registers (or bits) of one table from {@code address}, covering
 * {@code [address, address + count - 1]}, and the tags that lie wholly inside it.
 *
 * @param table the table read
 * @param address first address read, 0..65535
 * @param count registers (or bits) read, at least 1, not past address 65535
 * @param tags the tags decoded from this read, each of {@code table} and wholly inside the range
 */
public record ReadRequest(Table table, int address, int count, List<TagSpec> tags) {
  public ReadRequest {
    Objects.requireNonNull(table, "table");
    if (address < 0 || address > 0xFFFF) {
      throw new IllegalArgumentException("address must be 0..65535, got " + address);
    }
    if (count < 1 || address + count - 1 > 0xFFFF) {
      throw new IllegalArgumentException(
          "a read covers 1 or more addresses up to 65535, got " + count + " from " + address);
    }
    tags = List.copyOf(tags);
    for (TagSpec t : tags) {
      if (t.table() != table || t.address() < address || t.lastAddress() > address + count - 1) {
        throw new IllegalArgumentException(
            "tag "
                + t.name()
                + " ("
                + t.table()
                + " "
                + t.address()
                + ".."
                + t.lastAddress()
                + ") is not inside the read of "
                + table
                + " "
                + address
                + ".."
                + (address + count - 1));
      }
    }
  }

  /** Last address read (inclusive). */
  public int lastAddress() {
    return address + count - 1;
  }
}
