package io.edgegw.ota.update;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The images a Compose file runs ({@code services.*.image}), in file order, each once. */
public final class ComposeImages {
  private ComposeImages() {}

  /**
   * @throws IllegalArgumentException when the file has no services or a service has no image
   */
  public static List<String> of(byte[] compose) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(10);
    Object root =
        new Yaml(new SafeConstructor(options))
            .load(new String(compose, java.nio.charset.StandardCharsets.UTF_8));
    if (!(root instanceof Map<?, ?> top) || !(top.get("services") instanceof Map<?, ?> services)) {
      throw new IllegalArgumentException("the Compose file has no 'services' mapping");
    }
    Set<String> images = new LinkedHashSet<>();
    for (Map.Entry<?, ?> e : services.entrySet()) {
      if (!(e.getValue() instanceof Map<?, ?> service)
          || !(service.get("image") instanceof String image)
          || image.isBlank()) {
        throw new IllegalArgumentException("service '" + e.getKey() + "' has no 'image'");
      }
      images.add(image);
    }
    return new ArrayList<>(images);
  }
}
