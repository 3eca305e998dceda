package io.edgegw.rules.config;

import io.edgegw.config.Problems;
import io.edgegw.config.YamlFields;
import io.edgegw.config.YamlTree.YNode;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** Checks the tags a rule names against devices.yaml, recording a located problem for each miss. */
final class TagResolver {
  private final Problems problems;
  private final DeviceCatalog catalog;

  TagResolver(Problems problems, DeviceCatalog catalog) {
    this.problems = problems;
    this.catalog = catalog;
  }

  /** The tag, when devices.yaml declares it. */
  DeviceCatalog.Tag find(TagRef ref) {
    return catalog.tag(ref).orElse(null);
  }

  /**
   * The {@code device} and {@code tag} of a condition or action, checked against devices.yaml.
   *
   * @param purpose names the reader in a message, e.g. "a threshold"
   * @param numeric whether the tag must carry numbers
   * @return the tag, or null (then a problem)
   */
  TagRef tag(YamlFields f, String purpose, boolean numeric) {
    String device = f.text("device", true);
    String name = f.text("tag", true);
    if (device == null || name == null) {
      return null;
    }
    TagRef ref = new TagRef(device, name);
    DeviceCatalog.Tag tag =
        lookup(ref, f.node("device"), f.field("device"), f.node("tag"), f.field("tag"));
    if (tag == null) {
      return null;
    }
    if (numeric && tag.type() != DeviceCatalog.ValueType.NUMBER) {
      problems.add(
          f.node("tag"),
          f.field("tag"),
          ref
              + " is a "
              + tag.type().name().toLowerCase(Locale.ROOT)
              + " tag; "
              + purpose
              + " needs a numeric tag");
      return null;
    }
    return ref;
  }

  /** The tag in devices.yaml, or null after a problem at the device or the tag. */
  DeviceCatalog.Tag lookup(
      TagRef ref, YNode deviceAt, String deviceField, YNode tagAt, String tagField) {
    if (!catalog.hasDevice(ref.device())) {
      problems.add(
          deviceAt,
          deviceField,
          "unknown device '"
              + ref.device()
              + "'; devices.yaml declares "
              + listed(catalog.devices(), "no devices"));
      return null;
    }
    DeviceCatalog.Tag tag = catalog.tag(ref).orElse(null);
    if (tag == null) {
      problems.add(
          tagAt,
          tagField,
          "device '"
              + ref.device()
              + "' has no tag '"
              + ref.tag()
              + "' in devices.yaml; its tags: "
              + listed(catalog.tagsOf(ref.device()), "none"));
    }
    return tag;
  }

  private static String listed(Set<String> names, String none) {
    if (names.isEmpty()) {
      return none;
    }
    // A site may have hundreds; the first few say enough about the spelling.
    int shown = 12;
    return names.stream().limit(shown).collect(Collectors.joining(", "))
        + (names.size() > shown ? ", ... (" + names.size() + " in all)" : "");
  }
}
