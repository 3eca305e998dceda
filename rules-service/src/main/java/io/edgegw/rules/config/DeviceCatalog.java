package io.edgegw.rules.config;

import io.edgegw.config.ConfigException;
import io.edgegw.config.ConfigFile;
import io.edgegw.config.Problems;
import io.edgegw.config.YamlFields;
import io.edgegw.config.YamlTree;
import io.edgegw.config.YamlTree.YNode;
import java.io.Reader;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The devices and tags of {@code devices.yaml} as rules see them: which tags exist, the kind of
 * value each carries and whether it may be written. Only {@code devices[].id} and {@code
 * devices[].tags[].name}, {@code .type} and {@code .writable} are read; every other key is ignored,
 * because the bridge validates the whole file and refuses to start on a bad one. What is read must
 * be there and be readable, or the load fails with located problems like the bridge's own.
 */
public final class DeviceCatalog {

  /** The kind of value a tag's samples carry. */
  public enum ValueType {
    /** {@code bool} and {@code bit} tags. */
    BOOL,
    /** Every integer and floating point type, after scale and offset. */
    NUMBER,
    /** {@code string} tags. */
    STRING
  }

  /**
   * One tag.
   *
   * @param type the kind of its values
   * @param writable whether write commands (interlocks) may target it
   */
  public record Tag(ValueType type, boolean writable) {}

  // A site with 100 devices of 1,000 tags writes about 7 MB of YAML; the bridge's limit.
  private static final int MAX_CODE_POINTS = 64 * 1024 * 1024;

  private final Map<String, Map<String, Tag>> devices;

  private DeviceCatalog(Map<String, Map<String, Tag>> devices) {
    this.devices = devices;
  }

  /**
   * A catalog of the given devices, for tests and tools.
   *
   * @param devices device id to its tags (tag name to tag), iterated in that order
   */
  public static DeviceCatalog of(Map<String, Map<String, Tag>> devices) {
    Map<String, Map<String, Tag>> copy = new LinkedHashMap<>();
    devices.forEach(
        (id, tags) -> copy.put(id, Collections.unmodifiableMap(new LinkedHashMap<>(tags))));
    return new DeviceCatalog(Collections.unmodifiableMap(copy));
  }

  /**
   * Reads the file.
   *
   * @param devicesFile the bridge's {@code devices.yaml}
   * @throws ConfigException when the file cannot be read, is not YAML, or lacks an id, name or type
   *     (each problem at its line)
   */
  public static DeviceCatalog load(Path devicesFile) throws ConfigException {
    return ConfigFile.read(devicesFile, "devices.yaml", "rules.devices-file", DeviceCatalog::parse);
  }

  /**
   * Reads YAML text.
   *
   * @param displayName names the file in problems, e.g. {@code devices.yaml}
   * @param reader the YAML text; not closed here
   */
  public static DeviceCatalog parse(String displayName, Reader reader) throws ConfigException {
    Problems problems = new Problems(displayName);
    YNode root = YamlTree.read(reader, MAX_CODE_POINTS, problems);
    problems.throwIfAny();
    if (root == null) {
      problems.add(1, "", "the file is empty; expected the bridge's devices and their tags");
      problems.throwIfAny();
    }
    Map<String, Map<String, Tag>> devices = new LinkedHashMap<>();
    YamlFields top = YamlFields.anyKeys(problems, "", root);
    List<YNode> items = top.isMapping() ? top.list("devices", true) : List.of();
    for (int i = 0; i < items.size(); i++) {
      device(problems, items.get(i), "devices[" + i + "]", devices);
    }
    problems.throwIfAny();
    return of(devices);
  }

  private static void device(
      Problems problems, YNode node, String path, Map<String, Map<String, Tag>> devices) {
    YamlFields d = YamlFields.anyKeys(problems, path, node);
    if (!d.isMapping()) {
      return;
    }
    String id = d.text("id", true);
    Map<String, Tag> tags = new LinkedHashMap<>();
    List<YNode> items = d.list("tags", false);
    for (int j = 0; j < items.size(); j++) {
      YamlFields t = YamlFields.anyKeys(problems, d.field("tags") + "[" + j + "]", items.get(j));
      if (!t.isMapping()) {
        continue;
      }
      String name = t.text("name", true);
      String type = t.text("type", true);
      boolean writable = t.bool("writable", false);
      // A duplicate is the bridge's to refuse; the first one stands here.
      if (name != null && type != null) {
        tags.putIfAbsent(name, new Tag(valueType(type), writable));
      }
    }
    if (id != null) {
      devices.putIfAbsent(id, tags);
    }
  }

  /** bool and bit are BOOL, string is STRING; every other type the bridge knows is a number. */
  private static ValueType valueType(String type) {
    return switch (type.strip().toLowerCase(Locale.ROOT)) {
      case "bool", "bit" -> ValueType.BOOL;
      case "string" -> ValueType.STRING;
      default -> ValueType.NUMBER;
    };
  }

  /** Whether devices.yaml declares the device. */
  public boolean hasDevice(String device) {
    return devices.containsKey(device);
  }

  /** The tag, if its device declares it. */
  public Optional<Tag> tag(TagRef ref) {
    Map<String, Tag> tags = devices.get(ref.device());
    return tags == null ? Optional.empty() : Optional.ofNullable(tags.get(ref.tag()));
  }

  /** The device ids, in file order. */
  public Set<String> devices() {
    return devices.keySet();
  }

  /** The tag names of a device, in file order; empty for an unknown device. */
  public Set<String> tagsOf(String device) {
    return devices.getOrDefault(device, Map.of()).keySet();
  }
}
