package io.edgegw.bridge.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * An invalid configuration file. Holds every problem found, each with the file, the line, the field
 * path and what was expected; the message lists them one per line in the form {@code
 * devices.yaml:42: devices[2].tags[5].type: expected one of ..., got 'float'}.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * One problem.
   *
   * @param file file name as shown to the operator
   * @param line 1-based line, 0 when the file as a whole is wrong
   * @param field path of the field, e.g. {@code devices[2].tags[5].type}; empty for the root
   * @param reason what is wrong and the expected form
   */
  public record Problem(String file, int line, String field, String reason) {
    @Override
    public String toString() {
      return file + ":" + line + ": " + (field.isEmpty() ? "" : field + ": ") + reason;
    }
  }

  private final transient List<Problem> problems;

  public ConfigException(List<Problem> problems) {
    super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a ConfigException needs at least one problem");
    }
    this.problems = List.copyOf(problems);
  }

  /** Every problem, in file order. */
  public List<Problem> problems() {
    return problems;
  }

  /** The file of the first problem. */
  public String file() {
    return problems.getFirst().file();
  }

  /** The line of the first problem. */
  public int line() {
    return problems.getFirst().line();
  }

  /** The field of the first problem. */
  public String field() {
    return problems.getFirst().field();
  }
}
