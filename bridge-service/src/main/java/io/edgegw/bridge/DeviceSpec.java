package io.edgegw.bridge;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One Modbus device.
 *
 * @param id unique device id, used in topics ({@code gw/v1/telemetry/{id}})
 * @param endpoint how it is reached
 * @param unitId Modbus unit (slave) id, 0..247
 * @param timeout response timeout per request
 * @param maxRegisters most registers one read request may cover (1..125)
 * @param maxBits most bits one read request may cover (1..2000)
 * @param maxGap unused registers (or bits) a request may read through to join two tags
 * @param tags the device's tags, names unique
 */
public record DeviceSpec(
    String id,
    Endpoint endpoint,
    int unitId,
    Duration timeout,
    int maxRegisters,
    int maxBits,
    int maxGap,
    List<TagSpec> tags) {

  public DeviceSpec {
    if (id == null || !id.matches("[A-Za-z0-9_.-]{1,64}")) {
      throw new IllegalArgumentException(
          "device id must be 1-64 of [A-Za-z0-9_.-] (it becomes a topic level), got " + id);
    }
    if (unitId < 0 || unitId > 247) {
      throw new IllegalArgumentException("unitId must be 0..247, got " + unitId);
    }
    if (maxRegisters < 1 || maxRegisters > 125) {
      throw new IllegalArgumentException("maxRegisters must be 1..125, got " + maxRegisters);
    }
    if (maxBits < 1 || maxBits > 2000) {
      throw new IllegalArgumentException("maxBits must be 1..2000, got " + maxBits);
    }
    if (maxGap < 0) {
      throw new IllegalArgumentException("maxGap must be >= 0, got " + maxGap);
    }
    tags = List.copyOf(tags);
  }

  /** The tag with this name, if declared. */
  public Optional<TagSpec> tag(String name) {
    return tags.stream().filter(t -> t.name().equals(name)).findFirst();
  }
}
