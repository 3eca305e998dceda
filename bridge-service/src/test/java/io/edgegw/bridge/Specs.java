package io.edgegw.bridge;

import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;

/** Builders of domain records for unit tests. */
public final class Specs {
  private Specs() {}

  /** A read-only tag with defaults: order ABCD, no scaling, no deadband, group "fast". */
  public static TagSpec tag(String name, Table table, int address, DataType type) {
    return shaped(name, table, address, type, RegisterOrder.ABCD, 0, type.width(1), 1.0, 0.0);
  }

  /** A read-only tag of any shape: order, bit, length, scale and offset as given. */
  public static TagSpec shaped(
      String name,
      Table table,
      int address,
      DataType type,
      RegisterOrder order,
      int bit,
      int length,
      double scale,
      double offset) {
    return new TagSpec(
        name,
        table,
        address,
        type,
        order,
        bit,
        length,
        scale,
        offset,
        "",
        "fast",
        Deadband.NONE,
        null,
        OptionalDouble.empty(),
        false,
        OptionalDouble.empty(),
        OptionalDouble.empty());
  }

  /** A writable tag with an optional range. */
  public static TagSpec writable(
      String name, Table table, int address, DataType type, Double min, Double max) {
    TagSpec t = tag(name, table, address, type);
    return new TagSpec(
        t.name(),
        t.table(),
        t.address(),
        t.type(),
        t.order(),
        t.bit(),
        t.length(),
        t.scale(),
        t.offset(),
        t.unit(),
        t.pollGroup(),
        t.deadband(),
        t.heartbeat(),
        t.spikeLimit(),
        true,
        min == null ? OptionalDouble.empty() : OptionalDouble.of(min),
        max == null ? OptionalDouble.empty() : OptionalDouble.of(max));
  }

  /** A TCP device on loopback with default limits. */
  public static DeviceSpec device(String id, TagSpec... tags) {
    return new DeviceSpec(
        id,
        new Endpoint.Tcp("127.0.0.1", 502),
        1,
        Duration.ofSeconds(1),
        125,
        2000,
        8,
        List.of(tags));
  }
}
