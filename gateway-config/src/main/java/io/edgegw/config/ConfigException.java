package io.edgegw.config;

import java.io.Serializable;
import java.util.List;
import java.util.stream.Collectors;

/**
 * An invalid configuration file: a mistake of the operator, not a fault of the program, so its
 * message is meant to be printed as it is, without a stack trace. It holds every problem found, in
 * file order, each with the file, the line, the field path and what was expected; the message lists
 * them one per line:
 *
 * <pre>
 * devices.yaml:42: devices[2].tags[5].type: expected one of bool, bit, int16, ..., got 'float'
 * devices.yaml:57: devices[3].unitId: unit id 4 is already used on bus 'line1' by device 'meter-2'
 * </pre>
 *
 * {@link #file()}, {@link #line()} and {@link #field()} describe the first problem. Every loader of
 * a gateway configuration file ({@code devices.yaml}, {@code rules.yaml}) reports through it.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 2L;

  /**
   * One problem.
   *
   * @param file file name as shown to the operator
   * @param line 1-based line, 0 when the file as a whole is wrong (unreadable, not YAML text)
   * @param field path of the field, e.g. {@code devices[2].tags[5].type}; empty for the root
   * @param reason what is wrong and the expected form
   */
  public record Problem(String file, int line, String field, String reason)
      implements Serializable {
    @Override
    public String toString() {
      return file + ":" + line + ": " + (field.isEmpty() ? "" : field + ": ") + reason;
    }
  }

  private final List<Problem> problems;

  /**
   * Creates the exception; its message lists the problems one per line.
   *
   * @param problems at least one, in the order they are to be reported
   */
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
