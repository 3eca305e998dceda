package io.edgegw.bundle;

import io.edgegw.bundle.BundleRejectedException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.representer.Representer;

/**
 * Several Compose files as one, for a bundle (which holds one Compose file): the top-level sections
 * ({@code services}, {@code networks}, {@code volumes}, {@code secrets}) are joined, and a name
 * defined twice is refused rather than overridden, so that no file can quietly change what another
 * defines (an addition like compose/demo.yaml adds services and secrets only). Comments are not
 * kept. Pure.
 */
public final class ComposeMerge {
  private ComposeMerge() {}

  /** A Compose file's name (for messages) and its text. */
  public record Source(String name, byte[] text) {}

  /**
   * Joins {@code sources} in order; one source comes back unchanged, comments included.
   *
   * @throws BundleRejectedException {@link Reason#MALFORMED} naming the file and the name defined
   *     twice, or what is not a mapping
   */
  public static byte[] merge(List<Source> sources) throws BundleRejectedException {
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("no Compose file");
    }
    if (sources.size() == 1) {
      return sources.getFirst().text();
    }
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, String> definedIn = new LinkedHashMap<>();
    for (Source source : sources) {
      // Each file on its own first: the same checks (UTF-8, unique keys, services) as a bundle's.
      ComposeFile.parse(source.text(), source.name());
      Object loaded;
      try {
        loaded =
            new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(new String(source.text(), StandardCharsets.UTF_8));
      } catch (YAMLException e) {
        throw new BundleRejectedException(
            Reason.MALFORMED, source.name() + " is not YAML: " + e.getMessage(), e);
      }
      if (!(loaded instanceof Map<?, ?> top)) {
        throw new BundleRejectedException(Reason.MALFORMED, source.name() + " is not a mapping");
      }
      for (Map.Entry<?, ?> section : top.entrySet()) {
        String key = String.valueOf(section.getKey());
        Object value = section.getValue();
        if (!(value instanceof Map<?, ?> entries)) {
          Object before = out.putIfAbsent(key, value);
          if (before != null && !before.equals(value)) {
            throw new BundleRejectedException(
                Reason.MALFORMED,
                source.name() + ": '" + key + "' differs from " + definedIn.get(key));
          }
          definedIn.putIfAbsent(key, source.name());
          continue;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> joined =
            (Map<String, Object>)
                out.computeIfAbsent(key, k -> new LinkedHashMap<String, Object>());
        for (Map.Entry<?, ?> e : entries.entrySet()) {
          String name = String.valueOf(e.getKey());
          String where = key + "." + name;
          if (joined.containsKey(name)) {
            throw new BundleRejectedException(
                Reason.MALFORMED,
                source.name() + ": " + where + " is already defined in " + definedIn.get(where));
          }
          joined.put(name, e.getValue());
          definedIn.put(where, source.name());
        }
      }
    }
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setWidth(200);
    return new Yaml(new SafeConstructor(new LoaderOptions()), new Representer(options), options)
        .dump(out)
        .getBytes(StandardCharsets.UTF_8);
  }
}
