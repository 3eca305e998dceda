package io.edgegw.bridge.config;

import io.edgegw.bridge.DataType;
import io.edgegw.bridge.Deadband;
import io.edgegw.bridge.DeviceSpec;
import io.edgegw.bridge.DevicesConfig;
import io.edgegw.bridge.Endpoint;
import io.edgegw.bridge.PollGroup;
import io.edgegw.bridge.RegisterOrder;
import io.edgegw.bridge.RtuBusSpec;
import io.edgegw.bridge.Table;
import io.edgegw.bridge.TagSpec;
import io.edgegw.bridge.config.YamlTree.Mapping;
import io.edgegw.bridge.config.YamlTree.Scalar;
import io.edgegw.bridge.config.YamlTree.Sequence;
import io.edgegw.bridge.config.YamlTree.YNode;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads and validates {@code devices.yaml} into a {@link DevicesConfig}. Every problem in the file
 * is reported, each with its line, the field path and the expected form, and nothing is returned
 * unless the whole file is valid: the bridge never starts half-configured. The schema is documented
 * in {@code docs/configuration.md}.
 */
public final class DevicesConfigLoader {
  private DevicesConfigLoader() {}

  private static final Set<String> ROOT = keys("version", "pollGroups", "rtuBuses", "devices");
  private static final Set<String> BUS =
      keys("id", "port", "baud", "parity", "dataBits", "stopBits", "interFrameDelay", "turnaround");
  private static final Set<String> DEVICE =
      keys("id", "tcp", "rtu", "unitId", "timeout", "maxRegisters", "maxBits", "maxGap", "tags");
  private static final Set<String> TCP = keys("host", "port");
  private static final Set<String> RTU = keys("bus");
  private static final Set<String> TAG =
      keys(
          "name",
          "table",
          "address",
          "type",
          "order",
          "bit",
          "length",
          "scale",
          "offset",
          "unit",
          "pollGroup",
          "deadband",
          "heartbeat",
          "spike",
          "writable",
          "min",
          "max");
  private static final List<String> TABLES = List.of("coil", "discrete-input", "holding", "input");
  private static final List<String> TYPES =
      List.of(
          "bool", "bit", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32",
          "float64", "string");
  private static final List<String> ORDERS = List.of("ABCD", "CDAB", "BADC", "DCBA");
  private static final List<String> PARITIES = List.of("none", "even", "odd");

  private static Set<String> keys(String... names) {
    return new LinkedHashSet<>(List.of(names));
  }

  /** Loads the file; its name appears in every problem. */
  public static DevicesConfig load(Path file) throws ConfigException {
    String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return parse(name, r);
    } catch (IOException e) {
      throw new ConfigException(
          List.of(new ConfigException.Problem(file.toString(), 0, "", "cannot read: " + e)));
    }
  }

  /** Parses YAML text; {@code displayName} names the file in problems. */
  public static DevicesConfig parse(String displayName, Reader reader) throws ConfigException {
    Problems problems = new Problems(displayName);
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(true); // reported by YamlFields with both lines
    options.setMaxAliasesForCollections(10);
    // A site with 100 devices of 1,000 tags writes about 7 MB of YAML.
    options.setCodePointLimit(64 * 1024 * 1024);
    options.setNestingDepthLimit(20);
    YNode root;
    try {
      root = YamlTree.parse(reader, options);
    } catch (YamlTree.Unsupported e) {
      problems.add(e.line, "", e.getMessage());
      problems.throwIfAny();
      throw new IllegalStateException("unreachable");
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
      problems.add(line, "", "not valid YAML: " + e.getProblem());
      problems.throwIfAny();
      throw new IllegalStateException("unreachable");
    } catch (YAMLException e) {
      problems.add(0, "", "not valid YAML: " + e.getMessage());
      problems.throwIfAny();
      throw new IllegalStateException("unreachable");
    }
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

    Reading(Problems problems) {
      this.problems = problems;
    }

    DevicesConfig root(YNode node) {
      YamlFields root = new YamlFields(problems, "", node, ROOT);
      if (!root.isMapping()) {
        return null;
      }
      Integer version = root.integer("version", null, 0, Integer.MAX_VALUE);
      if (version != null && version != 1) {
        problems.add(root.node("version"), "version", "expected 1, got " + version);
      }
      pollGroups(root);
      rtuBuses(root);
      List<DeviceSpec> devices = devices(root);
      return new DevicesConfig(groups, buses, devices);
    }

    private void pollGroups(YamlFields root) {
      if (!root.has("pollGroups")) {
        problems.add(
            root.at("pollGroups"),
            "pollGroups",
            "required field is missing; expected a mapping of name to interval, e.g. fast: 1s");
        return;
      }
      YamlFields map =
          new YamlFields(
              problems, "pollGroups", root.node("pollGroups"), namesOf(root.node("pollGroups")));
      if (!map.isMapping()) {
        return;
      }
      for (String name : namesOf(root.node("pollGroups"))) {
        Duration d = map.duration(name, null, true);
        if (d != null) {
          try {
            groups.put(name, new PollGroup(name, d));
          } catch (IllegalArgumentException e) {
            problems.add(map.node(name), map.field(name), e.getMessage());
          }
        }
      }
      if (groups.isEmpty() && problems.isEmpty()) {
        problems.add(root.node("pollGroups"), "pollGroups", "declare at least one poll group");
      }
    }

    private void rtuBuses(YamlFields root) {
      if (!root.has("rtuBuses")) {
        return;
      }
      List<YNode> items = list(root.node("rtuBuses"), "rtuBuses");
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
            b.choice("parity", RtuBusSpec.Parity.class, RtuBusSpec.Parity.NONE, PARITIES);
        Integer dataBits = b.integer("dataBits", 8, 7, 8);
        Integer stopBits = b.integer("stopBits", 1, 1, 2);
        Duration ifd = b.duration("interFrameDelay", null, false);
        Duration turnaround = b.duration("turnaround", Duration.ZERO, false);
        if (id != null && buses.containsKey(id)) {
          problems.add(b.node("id"), b.field("id"), "duplicate bus id '" + id + "'");
          continue;
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
      Set<String> ids = new HashSet<>();
      Map<String, Map<Integer, String>> unitsOnBus = new HashMap<>();
      for (int i = 0; i < items.size(); i++) {
        String path = "devices[" + i + "]";
        YamlFields d = new YamlFields(problems, path, items.get(i), DEVICE);
        if (!d.isMapping()) {
          continue;
        }
        int before = problems.size();
        String id = d.text("id", true);
        if (id != null && !ids.add(id)) {
          problems.add(d.node("id"), d.field("id"), "duplicate device id '" + id + "'");
        }
        Endpoint endpoint = endpoint(d);
        Integer unit = d.integer("unitId", 1, 0, 247);
        Duration timeout = d.duration("timeout", Duration.ofSeconds(1), false);
        Integer maxRegisters = d.integer("maxRegisters", 125, 1, 125);
        Integer maxBits = d.integer("maxBits", 2000, 1, 2000);
        Integer maxGap = d.integer("maxGap", 8, 0, 125);
        if (endpoint instanceof Endpoint.Rtu rtu && unit != null) {
          String other =
              unitsOnBus.computeIfAbsent(rtu.busId(), k -> new HashMap<>()).putIfAbsent(unit, id);
          if (other != null) {
            problems.add(
                d.at("unitId"),
                d.field("unitId"),
                "unit id "
                    + unit
                    + " is already used on bus '"
                    + rtu.busId()
                    + "' by device '"
                    + other
                    + "'");
          }
        }
        List<TagSpec> tags =
            tags(d, maxRegisters == null ? 125 : maxRegisters, maxBits == null ? 2000 : maxBits);
        if (problems.size() > before) {
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

    private Endpoint endpoint(YamlFields d) {
      boolean tcp = d.has("tcp");
      boolean rtu = d.has("rtu");
      if (tcp == rtu) {
        problems.add(
            d.at(tcp ? "rtu" : "id"),
            d.field(tcp ? "rtu" : "tcp"),
            "a device needs exactly one of 'tcp: {host, port}' or 'rtu: {bus}'");
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
      if (bus != null && !buses.containsKey(bus)) {
        problems.add(
            r.node("bus"),
            r.field("bus"),
            "unknown RTU bus '" + bus + "'; declared: " + String.join(", ", buses.keySet()));
        return null;
      }
      return bus == null ? null : new Endpoint.Rtu(bus);
    }

    private List<TagSpec> tags(YamlFields d, int maxRegisters, int maxBits) {
      List<TagSpec> out = new ArrayList<>();
      if (!d.has("tags")) {
        problems.add(
            d.at("tags"), d.field("tags"), "required field is missing; expected a list of tags");
        return out;
      }
      List<YNode> items = list(d.node("tags"), d.field("tags"));
      Set<String> names = new HashSet<>();
      for (int i = 0; i < items.size(); i++) {
        String path = d.field("tags") + "[" + i + "]";
        YamlFields t = new YamlFields(problems, path, items.get(i), TAG);
        if (!t.isMapping()) {
          continue;
        }
        int before = problems.size();
        String name = t.text("name", true);
        if (name != null && !names.add(name)) {
          problems.add(
              t.node("name"), t.field("name"), "duplicate tag name '" + name + "' in this device");
        }
        Table table = t.choice("table", Table.class, null, TABLES);
        Integer address = t.integer("address", null, 0, 65535);
        DataType type = t.choice("type", DataType.class, null, TYPES);
        RegisterOrder order = t.choice("order", RegisterOrder.class, RegisterOrder.ABCD, ORDERS);
        Integer bit = null;
        if (type == DataType.BIT) {
          bit = t.integer("bit", null, 0, 15);
        } else if (t.has("bit")) {
          problems.add(t.at("bit"), t.field("bit"), "only a tag of type bit takes 'bit'");
        }
        Integer length = null;
        if (type == DataType.STRING) {
          length = t.integer("length", null, 1, 125);
        } else if (t.has("length")) {
          problems.add(
              t.at("length"), t.field("length"), "only a tag of type string takes 'length'");
        }
        Double scale = t.number("scale", 1.0);
        if (scale != null && scale == 0) {
          problems.add(t.node("scale"), t.field("scale"), "scale must not be 0");
        }
        Double offset = t.number("offset", 0.0);
        String unit = t.text("unit", false);
        String group = t.text("pollGroup", false);
        if (group == null && !t.has("pollGroup")) {
          group = groups.isEmpty() ? null : groups.keySet().iterator().next();
        } else if (group != null && !groups.containsKey(group)) {
          problems.add(
              t.node("pollGroup"),
              t.field("pollGroup"),
              "unknown poll group '"
                  + group
                  + "'; declared: "
                  + String.join(", ", groups.keySet()));
        }
        Deadband deadband = deadband(t);
        Duration heartbeat = t.duration("heartbeat", null, false);
        Double spike = t.number("spike", null);
        if (spike != null && spike <= 0) {
          problems.add(t.node("spike"), t.field("spike"), "spike limit must be > 0");
        }
        Boolean writable = t.bool("writable", false);
        Double min = t.number("min", null);
        Double max = t.number("max", null);
        if (table != null && Boolean.TRUE.equals(writable) && !table.isProtocolWritable()) {
          problems.add(
              t.at("writable"),
              t.field("writable"),
              "a tag in table "
                  + TABLES.get(table.ordinal())
                  + " cannot be written; only coil and holding can");
        }
        if ((min != null || max != null) && !Boolean.TRUE.equals(writable)) {
          problems.add(
              t.at(min != null ? "min" : "max"),
              t.field(min != null ? "min" : "max"),
              "min/max limit writes; set 'writable: true' or remove them");
        }
        if (min != null && max != null && min > max) {
          problems.add(t.node("min"), t.field("min"), "min " + min + " is greater than max " + max);
        }
        if (table != null && type != null && table.isBitTable() != (type == DataType.BOOL)) {
          problems.add(
              t.node("type"),
              t.field("type"),
              table.isBitTable()
                  ? "a tag in table " + TABLES.get(table.ordinal()) + " must be of type bool"
                  : "type bool is only for coil and discrete-input; for one bit of a register use type bit");
        }
        int width = type == null ? 1 : type.width(length == null ? 1 : length);
        if (table != null && width > (table.isBitTable() ? maxBits : maxRegisters)) {
          problems.add(
              t.node("type"),
              t.field("type"),
              "spans " + width + " registers, more than the device's maxRegisters " + maxRegisters);
        }
        if (address != null && address + width - 1 > 65535) {
          problems.add(
              t.node("address"),
              t.field("address"),
              "tag runs past address 65535 (" + width + " registers from " + address + ")");
        }
        if (problems.size() > before) {
          continue;
        }
        try {
          out.add(
              new TagSpec(
                  name,
                  table,
                  address,
                  type,
                  order,
                  bit == null ? 0 : bit,
                  width,
                  scale,
                  offset,
                  unit,
                  group,
                  deadband,
                  heartbeat,
                  spike == null ? OptionalDouble.empty() : OptionalDouble.of(spike),
                  writable,
                  min == null ? OptionalDouble.empty() : OptionalDouble.of(min),
                  max == null ? OptionalDouble.empty() : OptionalDouble.of(max)));
        } catch (IllegalArgumentException | NullPointerException e) {
          problems.add(items.get(i), path, e.getMessage());
        }
      }
      return out;
    }

    private Deadband deadband(YamlFields t) {
      if (!t.has("deadband")) {
        return Deadband.NONE;
      }
      YNode n = t.node("deadband");
      String s = n instanceof Scalar sc ? sc.value().strip() : null;
      String expected = "expected an absolute amount like 0.5 or a percentage like '2%'";
      if (s == null) {
        problems.add(n, t.field("deadband"), expected + ", got " + YamlFields.kind(n));
        return null;
      }
      boolean percent = s.endsWith("%");
      try {
        double v = Double.parseDouble(percent ? s.substring(0, s.length() - 1).strip() : s);
        return new Deadband(percent ? Deadband.Kind.PERCENT : Deadband.Kind.ABSOLUTE, v);
      } catch (IllegalArgumentException e) {
        problems.add(n, t.field("deadband"), expected + ", got '" + s + "'");
        return null;
      }
    }

    private List<YNode> list(YNode node, String path) {
      if (node instanceof Sequence seq) {
        return seq.items();
      }
      problems.add(
          node, path, "expected a list (lines starting with '- '), got " + YamlFields.kind(node));
      return List.of();
    }

    private static Set<String> namesOf(YNode node) {
      Set<String> names = new LinkedHashSet<>();
      if (node instanceof Mapping m) {
        for (YamlTree.Entry t : m.entries()) {
          if (t.key() instanceof Scalar k) {
            names.add(k.value());
          }
        }
      }
      return names;
    }
  }
}
