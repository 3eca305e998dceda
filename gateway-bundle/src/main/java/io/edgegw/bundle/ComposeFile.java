package io.edgegw.bundle;

import io.edgegw.bundle.BundleRejectedException.Reason;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * The parts of a Compose file that a bundle cares about: its services and their images.
 *
 * <p>Only the {@code services} mapping and each service's {@code image} are read; everything else
 * is left to podman-compose. {@link #withImages} rewrites images in the original text, so comments
 * and layout survive {@code gwctl bundle build}.
 */
public final class ComposeFile {

  /** A Compose service and its image reference as written, absent when it has none. */
  public record Service(String name, Optional<String> image) {}

  private static final int MAX_CODE_POINTS = 1 << 20;

  private final String text;
  private final List<Service> services;
  private final Map<String, ScalarNode> imageNodes;

  private ComposeFile(String text, List<Service> services, Map<String, ScalarNode> imageNodes) {
    this.text = text;
    this.services = services;
    this.imageNodes = imageNodes;
  }

  /**
   * Parses a Compose file.
   *
   * @param where the file name for messages
   * @throws BundleRejectedException {@link Reason#MALFORMED} with the line when it is not UTF-8,
   *     not YAML, or has no {@code services} mapping
   */
  public static ComposeFile parse(byte[] yaml, String where) throws BundleRejectedException {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(yaml))
              .toString();
    } catch (CharacterCodingException e) {
      throw new BundleRejectedException(Reason.MALFORMED, where + " is not UTF-8 text", e);
    }
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(20);
    options.setCodePointLimit(MAX_CODE_POINTS);
    options.setAllowRecursiveKeys(false);
    Node root;
    try {
      root = new Yaml(new SafeConstructor(options)).compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark();
      String line = mark == null ? "" : " at line " + (mark.getLine() + 1);
      throw new BundleRejectedException(
          Reason.MALFORMED, where + " is not valid YAML" + line + ": " + e.getProblem(), e);
    } catch (YAMLException e) {
      throw new BundleRejectedException(
          Reason.MALFORMED, where + " is not valid YAML: " + e.getMessage(), e);
    }
    if (!(root instanceof MappingNode top)) {
      throw new BundleRejectedException(
          Reason.MALFORMED, where + ": the top level must be a mapping with 'services'");
    }
    MappingNode servicesNode = null;
    requireUniqueKeys(top, where);
    for (NodeTuple entry : top.getValue()) {
      if (scalar(entry.getKeyNode()).equals("services")) {
        if (!(entry.getValueNode() instanceof MappingNode m)) {
          throw new BundleRejectedException(
              Reason.MALFORMED,
              where + " line " + line(entry.getValueNode()) + ": 'services' must be a mapping");
        }
        servicesNode = m;
      }
    }
    if (servicesNode == null || servicesNode.getValue().isEmpty()) {
      throw new BundleRejectedException(Reason.MALFORMED, where + " has no services");
    }
    List<Service> services = new ArrayList<>();
    Map<String, ScalarNode> imageNodes = new LinkedHashMap<>();
    requireUniqueKeys(servicesNode, where);
    for (NodeTuple entry : servicesNode.getValue()) {
      String name = scalar(entry.getKeyNode());
      if (!(entry.getValueNode() instanceof MappingNode definition)) {
        throw new BundleRejectedException(
            Reason.MALFORMED,
            where
                + " line "
                + line(entry.getKeyNode())
                + ": service '"
                + name
                + "' must be a mapping");
      }
      Optional<String> image = Optional.empty();
      requireUniqueKeys(definition, where);
      for (NodeTuple field : definition.getValue()) {
        if (scalar(field.getKeyNode()).equals("image")) {
          if (!(field.getValueNode() instanceof ScalarNode value)) {
            throw new BundleRejectedException(
                Reason.MALFORMED,
                where
                    + " line "
                    + line(field.getValueNode())
                    + ": image of '"
                    + name
                    + "' must be a string");
          }
          image = Optional.of(value.getValue());
          imageNodes.put(name, value);
        }
      }
      services.add(new Service(name, image));
    }
    return new ComposeFile(text, List.copyOf(services), imageNodes);
  }

  /** The services in file order. */
  public List<Service> services() {
    return services;
  }

  /** The names of the services in file order. */
  public List<String> serviceNames() {
    return services.stream().map(Service::name).toList();
  }

  /**
   * Checks that every service has an image pinned by digest.
   *
   * @param where the file name for messages
   * @throws BundleRejectedException {@link Reason#UNPINNED_IMAGE} naming the first service that is
   *     not
   */
  public void requirePinned(String where) throws BundleRejectedException {
    for (Service service : services) {
      if (service.image().isEmpty()) {
        throw new BundleRejectedException(
            Reason.UNPINNED_IMAGE,
            where
                + ": service '"
                + service.name()
                + "' has no image (a bundle cannot build images)");
      }
      String image = service.image().get();
      boolean pinned;
      try {
        pinned = ImageReference.parse(image).isPinned();
      } catch (IllegalArgumentException e) {
        throw new BundleRejectedException(
            Reason.UNPINNED_IMAGE, where + ": service '" + service.name() + "': " + e.getMessage());
      }
      if (!pinned) {
        throw new BundleRejectedException(
            Reason.UNPINNED_IMAGE,
            where
                + ": service '"
                + service.name()
                + "' image '"
                + image
                + "' is not pinned by digest (expected name@sha256:<64 hex>)");
      }
    }
  }

  /**
   * The same file with the images of some services replaced, everything else byte for byte as it
   * was.
   *
   * @param images service name to its new image reference
   * @throws IllegalArgumentException when a named service has no {@code image} line
   */
  public byte[] withImages(Map<String, String> images) {
    List<Map.Entry<String, String>> edits = new ArrayList<>(images.entrySet());
    for (Map.Entry<String, String> edit : edits) {
      if (!imageNodes.containsKey(edit.getKey())) {
        throw new IllegalArgumentException(
            "service '" + edit.getKey() + "' has no image to replace");
      }
      ImageReference.parse(edit.getValue());
    }
    // Replace from the end of the text backwards so that earlier offsets stay valid.
    edits.sort(
        Comparator.comparingInt((Map.Entry<String, String> e) ->
                imageNodes.get(e.getKey()).getStartMark().getIndex())
            .reversed());
    StringBuilder out = new StringBuilder(text);
    for (Map.Entry<String, String> edit : edits) {
      ScalarNode node = imageNodes.get(edit.getKey());
      int start = text.offsetByCodePoints(0, node.getStartMark().getIndex());
      int end = text.offsetByCodePoints(0, node.getEndMark().getIndex());
      out.replace(start, end, edit.getValue());
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Composing (unlike constructing) keeps duplicate keys; which one wins would differ between this
   * check and podman-compose, so a duplicate is refused.
   */
  private static void requireUniqueKeys(MappingNode mapping, String where)
      throws BundleRejectedException {
    java.util.Set<String> keys = new java.util.HashSet<>();
    for (NodeTuple entry : mapping.getValue()) {
      String key = scalar(entry.getKeyNode());
      if (!keys.add(key)) {
        throw new BundleRejectedException(
            Reason.MALFORMED,
            where + " line " + line(entry.getKeyNode()) + ": duplicate key '" + key + "'");
      }
    }
  }

  private static String scalar(Node node) {
    return node instanceof ScalarNode s ? s.getValue() : "";
  }

  private static int line(Node node) {
    return node.getStartMark().getLine() + 1;
  }
}
