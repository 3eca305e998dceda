package io.edgegw.ota.artifact;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The OT devices allowed to download artifacts, each with the source address it downloads from (or
 * {@code any}). A download names itself with {@code ?device=<id>}; without it, the source address
 * must belong to exactly one device. A named device with a fixed address must come from that
 * address, so one device cannot download (and be recorded) as another.
 */
public final class DeviceTable {
  /** Device ids: they are status keys and query parameters. */
  public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  /** The address value meaning "identified by {@code ?device=} alone". */
  public static final String ANY = "any";

  private final Map<String, Optional<InetAddress>> devices;

  /**
   * @param configured id to address (IP literal) or {@value #ANY}
   * @param key the configuration prefix, for messages
   * @throws IllegalArgumentException naming the bad entry
   */
  public DeviceTable(Map<String, String> configured, String key) {
    Map<String, Optional<InetAddress>> table = new TreeMap<>();
    for (Map.Entry<String, String> e : configured.entrySet()) {
      String id = e.getKey();
      String value = e.getValue() == null ? "" : e.getValue().strip();
      if (!ID.matcher(id).matches()) {
        throw new IllegalArgumentException(
            key + "." + id + ": '" + id + "' is not a device id ([A-Za-z0-9_.-], up to 64)");
      }
      if (value.equalsIgnoreCase(ANY)) {
        table.put(id, Optional.empty());
        continue;
      }
      if (!value.matches("[0-9.]+|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*")) {
        throw new IllegalArgumentException(
            key + "." + id + "='" + value + "' is not an IP address or '" + ANY + "'");
      }
      try {
        table.put(id, Optional.of(InetAddress.getByName(value)));
      } catch (UnknownHostException e2) {
        throw new IllegalArgumentException(
            key + "." + id + "='" + value + "' is not an IP address or '" + ANY + "'", e2);
      }
    }
    this.devices = table;
  }

  /** Whether {@code id} is a known device. */
  public boolean knows(String id) {
    return devices.containsKey(id);
  }

  /** The known device ids, sorted. */
  public List<String> ids() {
    return List.copyOf(devices.keySet());
  }

  /** The outcome of identifying a request: the device, or why it is refused. */
  public sealed interface Identity {}

  /**
   * @param id the identified device
   */
  public record Known(String id) implements Identity {}

  /**
   * @param reason why the request is refused, for the response body and the log
   */
  public record Refused(String reason) implements Identity {}

  /**
   * Who is asking.
   *
   * @param named the {@code device} query parameter, or null
   * @param source the connection's source address
   */
  public Identity identify(String named, InetAddress source) {
    if (named != null) {
      if (!devices.containsKey(named)) {
        return new Refused("unknown device '" + named + "'");
      }
      Optional<InetAddress> expected = devices.get(named);
      if (expected.isPresent() && !expected.get().equals(source)) {
        return new Refused(
            "device '" + named + "' downloads from " + expected.get().getHostAddress() + " only");
      }
      return new Known(named);
    }
    Map<String, InetAddress> matching = new LinkedHashMap<>();
    devices.forEach((id, address) -> {
      if (address.isPresent() && address.get().equals(source)) {
        matching.put(id, address.get());
      }
    });
    if (matching.size() == 1) {
      return new Known(matching.keySet().iterator().next());
    }
    return new Refused(
        matching.isEmpty()
            ? "no device is configured for address "
                + source.getHostAddress()
                + "; name one with ?device=<id>"
            : "address "
                + source.getHostAddress()
                + " belongs to "
                + matching.keySet()
                + "; name one with ?device=<id>");
  }
}
