package io.edgegw.bridge.modbus;

import io.edgegw.bridge.Table;
import io.edgegw.bridge.TagSpec;
import java.util.List;

/**
 * One Modbus read: {@code count} registers (or bits) of one table from {@code address}, and the
 * tags that lie wholly inside it.
 */
public record ReadRequest(Table table, int address, int count, List<TagSpec> tags) {
  public ReadRequest {
    if (count < 1) {
      throw new IllegalArgumentException("a read covers at least one register, got " + count);
    }
    tags = List.copyOf(tags);
  }

  /** Last address read (inclusive). */
  public int lastAddress() {
    return address + count - 1;
  }
}
