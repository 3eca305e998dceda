package io.edgegw.gwctl.fleet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * Which gateways a fleet command goes to: {@code --gateway} (one or a comma-separated list), {@code
 * --group} (from {@code --inventory}, YAML {@code groups: {name: [gatewayId, ...]}}), or {@code
 * --all} (every gateway with a retained status on the cloud broker).
 */
public final class Targets {

  private static final Pattern GATEWAY_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  @ArgGroup(exclusive = true, multiplicity = "1")
  Choice choice;

  @Option(
      names = "--inventory",
      paramLabel = "FILE",
      description = "YAML with 'groups: {name: [gatewayId, ...]}', for --group.")
  Path inventory;

  static final class Choice {
    @Option(
        names = "--gateway",
        split = ",",
        paramLabel = "ID",
        description = "Gateway id(s), repeatable or comma-separated.")
    List<String> gateways;

    @Option(names = "--group", paramLabel = "NAME", description = "A group from --inventory.")
    String group;

    @Option(names = "--all", description = "Every gateway known to the cloud broker.")
    boolean all;
  }

  boolean all() {
    return choice.all;
  }

  /** The named gateways (not for {@code --all}), in order, each once. */
  List<String> named() throws IOException {
    List<String> ids;
    if (choice.gateways != null) {
      ids = choice.gateways;
    } else {
      ids = group();
    }
    LinkedHashSet<String> unique = new LinkedHashSet<>();
    for (String id : ids) {
      if (!GATEWAY_ID.matcher(id).matches()) {
        throw new IllegalArgumentException("gateway id '" + id + "' must be [A-Za-z0-9_.-], 1-64");
      }
      unique.add(id);
    }
    return new ArrayList<>(unique);
  }

  private List<String> group() throws IOException {
    if (inventory == null) {
      throw new IllegalArgumentException("--group needs --inventory FILE");
    }
    Object root =
        new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(inventory));
    if (root instanceof Map<?, ?> top && top.get("groups") instanceof Map<?, ?> groups) {
      Object members = groups.get(choice.group);
      if (members instanceof List<?> list) {
        return list.stream().map(String::valueOf).toList();
      }
      throw new IllegalArgumentException(
          inventory + ": no group '" + choice.group + "' (it has " + groups.keySet() + ")");
    }
    throw new IllegalArgumentException(inventory + " must hold 'groups: {name: [gatewayId, ...]}'");
  }
}
