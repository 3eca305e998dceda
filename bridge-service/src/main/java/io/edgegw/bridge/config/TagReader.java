package io.edgegw.bridge.config;

import static io.edgegw.bridge.config.DevicesConfigLoader.spelling;

import io.edgegw.bridge.DataType;
import io.edgegw.bridge.Deadband;
import io.edgegw.bridge.RegisterOrder;
import io.edgegw.bridge.Table;
import io.edgegw.bridge.TagSpec;
import io.edgegw.config.Problems;
import io.edgegw.config.YamlFields;
import io.edgegw.config.YamlTree.Scalar;
import io.edgegw.config.YamlTree.Sequence;
import io.edgegw.config.YamlTree.YNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Set;

/** Reads the {@code tags} list of one device, with located problems. */
final class TagReader {
  private static final Set<String> TAG =
      DevicesConfigLoader.keys(
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

  /** Keys that only act on a number: decoding ignores them for bool, bit and string. */
  private static final List<String> NUMERIC_ONLY =
      List.of("scale", "offset", "spike", "min", "max");

  private static final String DEADBAND_FORM =
      "an absolute amount like 0.5 or a percentage like '2%', at least 0";

  private final Problems problems;
  private final Set<String> validGroups;
  private final Set<String> declaredGroups;
  private final String defaultGroup;

  /**
   * Creates a reader for the tags of every device of one file.
   *
   * @param problems where problems are recorded
   * @param validGroups poll groups that loaded
   * @param declaredGroups every poll group name in the file, valid or not
   * @param defaultGroup the first declared group, or null when there is none
   */
  TagReader(
      Problems problems, Set<String> validGroups, Set<String> declaredGroups, String defaultGroup) {
    this.problems = problems;
    this.validGroups = validGroups;
    this.declaredGroups = declaredGroups;
    this.defaultGroup = defaultGroup;
  }

  /** The device's tags; a tag with a problem is left out (the problem is recorded). */
  List<TagSpec> read(YamlFields device, int maxRegisters, int maxBits) {
    List<TagSpec> out = new ArrayList<>();
    String listPath = device.field("tags");
    if (!device.has("tags")) {
      problems.add(
          device.at("tags"), listPath, "required field is missing; expected a list of tags");
      return out;
    }
    YNode list = device.node("tags");
    if (!(list instanceof Sequence seq)) {
      problems.add(
          list,
          listPath,
          "expected a list (lines starting with '- '), got " + YamlFields.kind(list));
      return out;
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < seq.items().size(); i++) {
      YNode item = seq.items().get(i);
      YamlFields t = new YamlFields(problems, listPath + "[" + i + "]", item, TAG);
      if (!t.isMapping()) {
        continue;
      }
      TagSpec tag = tag(t, names, maxRegisters, maxBits);
      if (tag != null) {
        out.add(tag);
      }
    }
    return out;
  }

  private TagSpec tag(YamlFields t, Set<String> names, int maxRegisters, int maxBits) {
    int before = problems.size();
    String name = t.text("name", true);
    if (name != null && !names.add(name)) {
      problems.add(
          t.node("name"), t.field("name"), "duplicate tag name '" + name + "' in this device");
    }
    Table table = t.choice("table", Table.values(), DevicesConfigLoader::spelling, null);
    Integer address = t.integer("address", null, 0, 65535);
    DataType type = t.choice("type", DataType.values(), DevicesConfigLoader::spelling, null);
    RegisterOrder order = t.choice("order", RegisterOrder.values(), Enum::name, RegisterOrder.ABCD);
    Integer bit = onlyFor(t, type, DataType.BIT, "bit", 0, 15);
    Integer length = onlyFor(t, type, DataType.STRING, "length", 1, 125);
    if (type != null && !type.isNumeric()) {
      for (String key : NUMERIC_ONLY) {
        if (t.has(key)) {
          problems.add(
              t.at(key),
              t.field(key),
              "'" + key + "' applies to numeric types only, not to " + spelling(type));
        }
      }
    }
    Double scale = t.number("scale", 1.0);
    if (scale != null && scale == 0) {
      problems.add(t.node("scale"), t.field("scale"), "expected a number other than 0, got 0");
    }
    Double offset = t.number("offset", 0.0);
    String unit = t.text("unit", false);
    String group = pollGroup(t);
    Deadband deadband = deadband(t);
    Duration heartbeat = t.positiveDuration("heartbeat", null);
    Double spike = t.number("spike", null);
    if (spike != null && spike <= 0) {
      problems.add(
          t.node("spike"), t.field("spike"), "expected a number greater than 0, got " + spike);
    }
    boolean writable = t.bool("writable", false);
    Double min = t.number("min", null);
    Double max = t.number("max", null);
    if (table != null && writable && !table.isProtocolWritable()) {
      problems.add(
          t.at("writable"),
          t.field("writable"),
          "a tag in table "
              + spelling(table)
              + " cannot be written; only coil and holding can (remove 'writable')");
    }
    boolean numeric = type == null || type.isNumeric(); // otherwise reported above
    if (numeric && (min != null || max != null) && !writable) {
      String key = min != null ? "min" : "max";
      problems.add(
          t.at(key), t.field(key), "min/max limit writes; set 'writable: true' or remove them");
    }
    if (numeric && min != null && max != null && min > max) {
      problems.add(t.node("min"), t.field("min"), "min " + min + " is greater than max " + max);
    }
    if (table != null && type != null && table.isBitTable() != (type == DataType.BOOL)) {
      problems.add(
          t.node("type"),
          t.field("type"),
          table.isBitTable()
              ? "a tag in table " + spelling(table) + " must be of type bool, got " + spelling(type)
              : "type bool is only for coil and discrete-input; for one bit of a register use"
                  + " type bit");
    }
    int width = type == null ? 1 : type.width(length == null ? 1 : length);
    if (table != null && type != null) {
      fitsDevice(t, table, type, width, maxRegisters, maxBits);
    }
    if (address != null && address + width - 1 > 65535) {
      problems.add(
          t.node("address"),
          t.field("address"),
          "the tag runs past address 65535 (" + width + " registers from " + address + ")");
    }
    // group is null only when no poll group is declared, which is reported at pollGroups.
    if (problems.size() > before || group == null) {
      return null;
    }
    try {
      return new TagSpec(
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
          max == null ? OptionalDouble.empty() : OptionalDouble.of(max));
    } catch (IllegalArgumentException e) {
      problems.add(t.at("name"), t.field("name"), e.getMessage());
      return null;
    }
  }

  /** An integer key that is required for one type and forbidden for the others. */
  private Integer onlyFor(
      YamlFields t, DataType type, DataType owner, String key, int min, int max) {
    if (type == owner) {
      return t.integer(key, null, min, max);
    }
    if (t.has(key)) {
      problems.add(
          t.at(key),
          t.field(key),
          "only a tag of type " + spelling(owner) + " takes '" + key + "'");
    }
    return null;
  }

  private String pollGroup(YamlFields t) {
    if (!t.has("pollGroup")) {
      return defaultGroup;
    }
    String group = t.text("pollGroup", true);
    // With no group declared at all, pollGroups itself is reported.
    if (group != null && !declaredGroups.isEmpty() && !declaredGroups.contains(group)) {
      problems.add(
          t.node("pollGroup"),
          t.field("pollGroup"),
          "unknown poll group '" + group + "'; declared: " + String.join(", ", declaredGroups));
    }
    // A declared group that failed to load is reported where it is declared.
    return group != null && validGroups.contains(group) ? group : null;
  }

  /** A tag wider than one request of its device could never be read. */
  private void fitsDevice(
      YamlFields t, Table table, DataType type, int width, int maxRegisters, int maxBits) {
    String key = type == DataType.STRING ? "length" : "type";
    if (table.isBitTable() && width > maxBits) {
      problems.add(
          t.at(key),
          t.field(key),
          "spans " + width + " bits, more than the device's maxBits " + maxBits);
    } else if (!table.isBitTable() && width > maxRegisters) {
      problems.add(
          t.at(key),
          t.field(key),
          "spans "
              + width
              + " registers, more than the device's maxRegisters "
              + maxRegisters
              + " (one read request)");
    }
  }

  private Deadband deadband(YamlFields t) {
    if (!t.has("deadband")) {
      return Deadband.NONE;
    }
    YNode n = t.node("deadband");
    if (!(n instanceof Scalar sc)) {
      problems.add(
          n, t.field("deadband"), "expected " + DEADBAND_FORM + ", got " + YamlFields.kind(n));
      return null;
    }
    String s = sc.value().strip();
    boolean percent = s.endsWith("%");
    Double v = YamlFields.parseNumber(percent ? s.substring(0, s.length() - 1) : s);
    if (v == null || v < 0) {
      problems.add(n, t.field("deadband"), "expected " + DEADBAND_FORM + ", got '" + s + "'");
      return null;
    }
    return new Deadband(percent ? Deadband.Kind.PERCENT : Deadband.Kind.ABSOLUTE, v);
  }
}
