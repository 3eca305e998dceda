package io.edgegw.config;

import io.edgegw.config.YamlTree.YNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The problems found in one file, each at a line. A loader records every problem and goes on, then
 * calls {@link #throwIfAny()} once, so one run reports the whole file.
 */
public final class Problems {
  private final String file;
  private final List<ConfigException.Problem> list = new ArrayList<>();

  /**
   * Creates an empty list.
   *
   * @param file the file name as shown to the operator, e.g. {@code devices.yaml}
   */
  public Problems(String file) {
    this.file = file;
  }

  /** Records a problem at the line of {@code at} (line 0 when null). */
  public void add(YNode at, String field, String reason) {
    add(at == null ? 0 : at.line(), field, reason);
  }

  /** Records a problem at {@code line}, 0 for the file as a whole. */
  public void add(int line, String field, String reason) {
    list.add(new ConfigException.Problem(file, line, field, reason));
  }

  /** Whether nothing has been recorded. */
  public boolean isEmpty() {
    return list.isEmpty();
  }

  /** How many problems have been recorded; compare before and after reading a part. */
  public int size() {
    return list.size();
  }

  /** Throws when anything was found: by line, and in the order found within a line. */
  public void throwIfAny() throws ConfigException {
    if (!list.isEmpty()) {
      List<ConfigException.Problem> sorted = new ArrayList<>(list);
      sorted.sort(Comparator.comparingInt(ConfigException.Problem::line));
      throw new ConfigException(sorted);
    }
  }
}
