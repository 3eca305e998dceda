package io.edgegw.bridge.config;

import io.edgegw.bridge.DeviceSpec;
import io.edgegw.bridge.DevicesConfig;
import io.edgegw.bridge.Endpoint;
import io.edgegw.bridge.PollGroup;
import io.edgegw.bridge.RtuBusSpec;
import io.edgegw.bridge.TagSpec;
import io.edgegw.config.ConfigException;
import io.edgegw.config.ConfigFile;
import io.edgegw.config.Problems;
import io.edgegw.config.YamlFields;
import io.edgegw.config.YamlTree;
import io.edgegw.config.YamlTree.Scalar;
import io.edgegw.config.YamlTree.Sequence;
import io.edgegw.config.YamlTree.YNode;
import java.io.Reader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads and validates {@code devices.yaml} into a {@link DevicesConfig}. Every problem in the file
 * is reported, each with its line, the field path and the expected form (see {@link
 * ConfigException}), and nothing is returned unless the whole file is valid: the bridge never
 * starts half-configured.
 *
 * <p>The schema, version 1. Defaults, ranges and meanings are in {@code docs/configuration.md};
 * {@code src/main/resources/devices-example.yaml} uses every key.
 *
 * <pre>
 * version: 1                       # required, must be 1
 * pollGroups: { NAME: DURATION }   # required, at least one; the first is the default group
 * rtuBuses:                        # optional
 *   - { id, port, baud, parity, dataBits, stopBits, interFrameDelay, turnaround }
 * devices:                         # required
 *   - id: ...                      # [A-Za-z0-9_.-]{1,64}, unique
 *     tcp: { host, port }          # exactly one of tcp / rtu
 *     rtu: { bus }                 # a declared rtuBuses[].id
 *     unitId, timeout, maxRegisters, maxBits, maxGap
 *     tags:
 *       - { name, table, address, type, order, bit, length, scale, offset, unit,
 *           pollGroup, deadband, heartbeat, spike, writable, min, max }
 * </pre>
 *
 * Durations are an integer and a unit: {@code 250ms}, {@code 1s}, {@code 5m}, {@code 1h}. Unknown
 * keys, duplicate keys, aliases, merge keys and a second document are errors, so a typo never falls
 * back to a default silently.
 */
public final class DevicesConfigLoader {
  private DevicesConfigLoader() {}

  /** The schema version this loader reads. */
  public static final int VERSION = 1;

  // A site with 100 devices of 1,000 tags writes about 7 MB of YAML.
  private static final int MAX_CODE_POINTS = 64 * 1024 * 1024;
  private static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Duration MIN_POLL_INTERVAL = Duration.ofMillis(10);

  private static final Set<String> ROOT = keys("version", "pollGroups", "rtuBuses", "devices");
  private static final Set<String> BUS =
      keys("id", "port", "baud", "parity", "dataBits", "stopBits", "interFrameDelay", "turnaround");
  private static final Set<String> DEVICE =
      keys("id", "tcp", "rtu", "unitId", "timeout", "maxRegisters", "maxBits", "maxGap", "tags");
  private static final Set<String> TCP = keys("host", "port");
  private static final Set<String> RTU = keys("bus");

  static Set<String> keys(String... names) {
    return new LinkedHashSet<>(List.of(names));
  }

  /** How the file spells an enum constant: lower case, '-' for '_' ({@code discrete-input}). */
  static String spelling(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * Loads the file. Problems inside the file name it by its file name ({@code devices.yaml:42:}); a
   * file that cannot be read at all is named by its full path.
   *
   * @param file the UTF-8 YAML file, e.g. {@code /etc/gateway/devices.yaml}
   * @return the complete, valid configuration
   * @throws ConfigException listing every problem
   */
  public static DevicesConfig load(Path file) throws ConfigException {
    return ConfigFile.read(file, "devices.yaml", "bridge.devices-file", DevicesConfigLoader::parse);
  }

  /**
   * Parses YAML text.
   *
   * @param displayName names the file in problems, e.g. {@code devices.yaml}
   * @param reader the YAML text; not closed here
   * @return the complete, valid configuration
   * @throws ConfigException listing every problem
   */
  public static DevicesConfig parse(String displayName, Reader reader) throws ConfigException {
    Problems problems = new Problems(displayName);
    YNode root = YamlTree.read(reader, MAX_CODE_POINTS, problems);
    problems.throwIfAny();
    if (root == null) {
      problems.add(1, "", "the file is empty; expected version, pollGroups and devices");
      problems.throwIfAny();
    }
    DevicesConfig config = new Reading(problems).root(root);
    problems.throwIfAny();
    return config;
  }

  /** One pass over the document. */
  private static final class Reading {
    private final Problems problems;
    private final Map<String, PollGroup> groups = new LinkedHashMap<>();
    private final Map<String, RtuBusSpec> buses = new LinkedHashMap<>();
    // Names declared in the file, valid or not: a reference to a declared but broken group or bus
    // is not reported a second time as unknown.
    private final Set<String> declaredGroups = new LinkedHashSet<>();
    private final Set<String> declaredBuses = new LinkedHashSet<>();

    Reading(Problems problems) {
      this.problems = problems;
    }

    DevicesConfig root(YNode node) {
      YamlFields root = new YamlFields(problems, "", node, ROOT);
      if (!root.isMapping()) {
        return null;
      }
      version(root);
      pollGroups(root);
      rtuBuses(root);
      List<DeviceSpec> devices = devices(root);
      return new DevicesConfig(groups, buses, devices);
    }

    private void version(YamlFields root) {
      String v = root.scalar("version", true, String.valueOf(VERSION));
      if (v != null && !v.strip().equals(String.valueOf(VERSION))) {
        problems.add(
            root.node("version"),
            "version",
            "expected " + VERSION + " (the only schema version), got '" + v + "'");
      }
    }

    private void pollGroups(YamlFields root) {
      if (!root.has("pollGroups")) {
        problems.add(
            root.at("pollGroups"),
            "pollGroups",
            "required field is missing; expected a mapping of name to interval, e.g. fast: 1s");
        return;
      }
      YNode node = root.node("pollGroups");
      YamlFields map = YamlFields.anyKeys(problems, "pollGroups", node);
      if (!map.isMapping()) {
        return;
      }
      if (map.keys().isEmpty()) {
        problems.add(
            node, "pollGroups", "declare at least one poll group, e.g. fast: 1s (got none)");
        return;
      }
      for (String name : map.keys()) {
        declaredGroups.add(name);
        Duration d = map.duration(name, null, true);
        if (d == null) {
          continue;
        }
        if (d.compareTo(MIN_POLL_INTERVAL) < 0) {
          problems.add(
              map.node(name),
              map.field(name),
              "expected an interval of at least 10ms, got '" + scalarText(map.node(name)) + "'");
          continue;
        }
        try {
          groups.put(name, new PollGroup(name, d));
        } catch (IllegalArgumentException e) {
          problems.add(map.at(name), map.field(name), e.getMessage());
        }
      }
    }

    private void rtuBuses(YamlFields root) {
      if (!root.has("rtuBuses")) {
        return;
      }
      List<YNode> items = list(root.node("rtuBuses"), "rtuBuses");
      Map<String, String> busOfPort = new HashMap<>();
      for (int i = 0; i < items.size(); i++) {
        String path = "rtuBuses[" + i + "]";
        YamlFields b = new YamlFields(problems, path, items.get(i), BUS);
        if (!b.isMapping()) {
          continue;
        }
        int before = problems.size();
        String id = b.text("id", true);
        String port = b.text("port", true);
        Integer baud = b.integer("baud", 9600, 300, 921_600);
        RtuBusSpec.Parity parity =
            b.choice(
                "parity",
                RtuBusSpec.Parity.values(),
                DevicesConfigLoader::spelling,
                RtuBusSpec.Parity.NONE);
        Integer dataBits = b.integer("dataBits", 8, 7, 8);
        Integer stopBits = b.integer("stopBits", 1, 1, 2);
        Duration ifd = b.duration("interFrameDelay", null, false);
        Duration turnaround = b.duration("turnaround", Duration.ZERO, false);
        if (id != null && !declaredBuses.add(id)) {
          problems.add(b.node("id"), b.field("id"), "duplicate bus id '" + id + "'");
        }
        if (port != null) {
          String other = busOfPort.putIfAbsent(port, id);
          if (other != null) {
            problems.add(
                b.node("port"),
                b.field("port"),
                "port "
                    + port
                    + " is already used by bus '"
                    + other
                    + "'; one bus per serial line");
          }
        }
        if (problems.size() > before) {
          continue;
        }
        try {
          buses.put(
              id, new RtuBusSpec(id, port, baud, parity, dataBits, stopBits, ifd, turnaround));
        } catch (IllegalArgumentException e) {
          problems.add(items.get(i), path, e.getMessage());
        }
      }
    }

    private List<DeviceSpec> devices(YamlFields root) {
      List<DeviceSpec> out = new ArrayList<>();
      if (!root.has("devices")) {
        problems.add(
            root.at("devices"), "devices", "required field is missing; expected a list of devices");
        return out;
      }
      List<YNode> items = list(root.node("devices"), "devices");
      Map<String, String> pathOfId = new HashMap<>();
      Map<String, Map<Integer, String>> unitsOnBus = new HashMap<>();
      String defaultGroup = declaredGroups.isEmpty() ? null : declaredGroups.iterator().next();
      TagReader tagReader = new TagReader(problems, groups.keySet(), declaredGroups, defaultGroup);
      for (int i = 0; i < items.size(); i++) {
        String path = "devices[" + i + "]";
        YamlFields d = new YamlFields(problems, path, items.get(i), DEVICE);
        if (!d.isMapping()) {
          continue;
        }
        int before = problems.size();
        String id = deviceId(d, path, pathOfId);
        Endpoint endpoint = endpoint(d);
        Integer unit = d.integer("unitId", 1, 0, 247);
        Duration timeout = d.positiveDuration("timeout", Duration.ofSeconds(1));
        Integer maxRegisters = d.integer("maxRegisters", 125, 1, 125);
        Integer maxBits = d.integer("maxBits", 2000, 1, 2000);
        Integer maxGap = d.integer("maxGap", 8, 0, 125);
        if (endpoint instanceof Endpoint.Rtu rtu && unit != null) {
          rtuUnit(d, rtu, unit, id != null ? "device '" + id + "'" : path, unitsOnBus);
        }
        List<TagSpec> tags =
            tagReader.read(
                d, maxRegisters == null ? 125 : maxRegisters, maxBits == null ? 2000 : maxBits);
        // endpoint is null without a problem here only for a declared bus that failed to load,
        // which is reported where the bus is declared.
        if (problems.size() > before || endpoint == null) {
          continue;
        }
        try {
          out.add(new DeviceSpec(id, endpoint, unit, timeout, maxRegisters, maxBits, maxGap, tags));
        } catch (IllegalArgumentException e) {
          problems.add(items.get(i), path, e.getMessage());
        }
      }
      return out;
    }

    private String deviceId(YamlFields d, String path, Map<String, String> pathOfId) {
      String id = d.text("id", true);
      if (id == null) {
        return null;
      }
      if (!DEVICE_ID.matcher(id).matches()) {
        problems.add(
            d.node("id"),
            d.field("id"),
            "expected 1 to 64 of A-Z a-z 0-9 _ . - (the id becomes an MQTT topic level), got '"
                + id
                + "'");
        return null;
      }
      String first = pathOfId.putIfAbsent(id, path);
      if (first != null) {
        problems.add(
            d.node("id"),
            d.field("id"),
            "duplicate device id '" + id + "' (first at " + first + ")");
      }
      return id;
    }

    private void rtuUnit(
        YamlFields d,
        Endpoint.Rtu rtu,
        int unit,
        String device,
        Map<String, Map<Integer, String>> unitsOnBus) {
      if (unit == 0) {
        // On a serial line, address 0 is the broadcast: every unit obeys, none answers a read.
        problems.add(
            d.at("unitId"),
            d.field("unitId"),
            "unit id 0 is the RTU broadcast address and never answers; expected 1..247");
        return;
      }
      String other =
          unitsOnBus.computeIfAbsent(rtu.busId(), k -> new HashMap<>()).putIfAbsent(unit, device);
      if (other != null) {
        problems.add(
            d.at("unitId"),
            d.field("unitId"),
            "unit id " + unit + " is already used on bus '" + rtu.busId() + "' by " + other);
      }
    }

    private Endpoint endpoint(YamlFields d) {
      boolean tcp = d.has("tcp");
      boolean rtu = d.has("rtu");
      if (tcp && rtu) {
        problems.add(
            d.at("rtu"),
            d.field("rtu"),
            "a device has exactly one of 'tcp: {host, port}' or 'rtu: {bus}', not both");
        return null;
      }
      if (!tcp && !rtu) {
        problems.add(
            d.at("id"),
            d.field("tcp"),
            "required field is missing; a device needs one of 'tcp: {host, port}' or 'rtu: {bus}'");
        return null;
      }
      if (tcp) {
        YamlFields t = new YamlFields(problems, d.field("tcp"), d.node("tcp"), TCP);
        if (!t.isMapping()) {
          return null;
        }
        String host = t.text("host", true);
        Integer port = t.integer("port", 502, 1, 65535);
        return host == null || port == null ? null : new Endpoint.Tcp(host, port);
      }
      YamlFields r = new YamlFields(problems, d.field("rtu"), d.node("rtu"), RTU);
      if (!r.isMapping()) {
        return null;
      }
      String bus = r.text("bus", true);
      if (bus == null || !declaredBuses.contains(bus)) {
        if (bus != null) {
          problems.add(
              r.node("bus"),
              r.field("bus"),
              "unknown RTU bus '"
                  + bus
                  + "'; "
                  + (declaredBuses.isEmpty()
                      ? "no rtuBuses are declared"
                      : "declared: " + String.join(", ", declaredBuses)));
        }
        return null;
      }
      return new Endpoint.Rtu(bus);
    }

    private List<YNode> list(YNode node, String path) {
      if (node instanceof Sequence seq) {
        return seq.items();
      }
      problems.add(
          node, path, "expected a list (lines starting with '- '), got " + YamlFields.kind(node));
      return List.of();
    }

    private static String scalarText(YNode node) {
      return node instanceof Scalar s ? s.value() : "";
    }
  }
}
