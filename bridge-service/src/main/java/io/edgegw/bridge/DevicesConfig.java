package io.edgegw.bridge;

import java.util.List;
import java.util.Map;

/**
 * The validated content of {@code devices.yaml}.
 *
 * @param pollGroups by name
 * @param rtuBuses by id
 * @param devices in file order
 */
public record DevicesConfig(
    Map<String, PollGroup> pollGroups, Map<String, RtuBusSpec> rtuBuses, List<DeviceSpec> devices) {
  public DevicesConfig {
    pollGroups = Map.copyOf(pollGroups);
    rtuBuses = Map.copyOf(rtuBuses);
    devices = List.copyOf(devices);
  }
}
