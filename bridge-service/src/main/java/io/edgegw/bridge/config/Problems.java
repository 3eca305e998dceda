package io.edgegw.bridge.config;

import io.edgegw.bridge.config.YamlTree.YNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The problems found in one file, each at a line. */
final class Problems {
  private final String file;
  private final List<ConfigException.Problem> list = new ArrayList<>();

  Problems(String file) {
    this.file = file;
  }

  void add(YNode at, String field, String reason) {
    add(at == null ? 0 : at.line(), field, reason);
  }

  void add(int line, String field, String reason) {
    list.add(new ConfigException.Problem(file, line, field, reason));
  }

  boolean isEmpty() {
    return list.isEmpty();
  }

  int size() {
    return list.size();
  }

  /** Throws when anything was found: by line, and in the order found within a line. */
  void throwIfAny() throws ConfigException {
    if (!list.isEmpty()) {
      List<ConfigException.Problem> sorted = new ArrayList<>(list);
      sorted.sort(Comparator.comparingInt(ConfigException.Problem::line));
      throw new ConfigException(sorted);
    }
  }
}
