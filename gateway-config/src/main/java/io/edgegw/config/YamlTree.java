package io.edgegw.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.DocumentStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.MappingStartEvent;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.events.SequenceStartEvent;

/**
 * A light YAML tree that keeps only values and line numbers, built from SnakeYAML's event stream.
 * SnakeYAML's own node tree keeps position marks that pin parts of the input buffer: a 7 MB device
 * map (100 devices of 1,000 tags) then needs several hundred MB of heap to load. Repeated strings
 * (keys, table and type names) are shared. Loaders read the tree with {@link YamlFields}; {@link
 * #read} turns a syntax error into a located problem.
 */
public final class YamlTree {
  private YamlTree() {}

  /** The plain scalars YAML reads as null. */
  private static final Set<String> NULLS = Set.of("", "~", "null", "Null", "NULL");

  /** A node of the tree. */
  public sealed interface YNode permits Scalar, Sequence, Mapping {
    /** 1-based line where the node starts. */
    int line();
  }

  /** A plain value. */
  public record Scalar(String value, int line) implements YNode {}

  /** A list. */
  public record Sequence(List<YNode> items, int line) implements YNode {}

  /** A mapping, in file order, duplicates kept (the reader reports them). */
  public record Mapping(List<Entry> entries, int line) implements YNode {}

  /** One key and its value. */
  public record Entry(YNode key, YNode value) {}

  /** A structure problem: an alias, or a second document in the stream. */
  static final class Unsupported extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int line;

    Unsupported(String message, int line) {
      super(message);
      this.line = line;
    }
  }

  /**
   * Reads one document, recording a syntax error, an alias, a second document or unreadable text as
   * a problem (at its line when known).
   *
   * @param reader the YAML text; not closed here
   * @param maxCodePoints the longest text accepted, in code points
   * @param problems where a problem is recorded
   * @return the root, or null when the document is empty or could not be read (then a problem)
   */
  public static YNode read(Reader reader, int maxCodePoints, Problems problems) {
    LoaderOptions options = new LoaderOptions();
    // The tree is built from SnakeYAML's event stream, where only this limit applies: the alias
    // and nesting limits belong to SnakeYAML's composer, which is not used. YamlTree refuses every
    // alias, and it keeps its own stack, so deep nesting cannot overflow the Java stack.
    options.setCodePointLimit(maxCodePoints);
    try {
      return parse(reader, options);
    } catch (Unsupported e) {
      problems.add(e.line, "", e.getMessage());
    } catch (MarkedYAMLException e) {
      Mark at = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      int line = at == null ? 0 : at.getLine() + 1;
      String reason =
          "not valid YAML: " + (e.getProblem() != null ? e.getProblem() : e.getContext());
      Mark context = e.getContextMark();
      if (e.getProblem() != null && e.getContext() != null && context != null) {
        int contextLine = context.getLine() + 1;
        reason +=
            " (" + e.getContext() + (contextLine != line ? " at line " + contextLine : "") + ")";
      }
      problems.add(line, "", reason);
    } catch (YAMLException e) {
      problems.add(0, "", unparsable(e));
    }
    return null;
  }

  private static String unparsable(YAMLException e) {
    // SnakeYAML wraps failures of the reader in a YAMLException.
    return switch (e.getCause()) {
      case CharacterCodingException c -> "not UTF-8 text; save the file as UTF-8";
      case IOException io -> "cannot read: " + io.getMessage();
      case null, default -> "not valid YAML: " + e.getMessage();
    };
  }

  /**
   * Parses one document; null for an empty one (nothing, only comments, or a plain {@code ---},
   * {@code ~} or {@code null}). Syntax errors surface as SnakeYAML exceptions.
   */
  static YNode parse(Reader reader, LoaderOptions options) {
    Map<String, String> shared = new HashMap<>();
    Deque<Object[]> stack = new ArrayDeque<>(); // {container node, pending key or null}
    YNode root = null;
    boolean rootIsNull = false;
    int documents = 0;
    for (Event e : new Yaml(options).parse(reader)) {
      int line = e.getStartMark() == null ? 0 : e.getStartMark().getLine() + 1;
      YNode done = null;
      switch (e) {
        case DocumentStartEvent d -> {
          // The event stream carries any number of documents; without this check a second one
          // would silently replace the first.
          if (++documents > 1) {
            throw new Unsupported(
                "a second YAML document starts here; this file holds exactly one (remove the '---')",
                line);
          }
        }
        case ScalarEvent s -> {
          done = new Scalar(shared.computeIfAbsent(s.getValue(), v -> v), line);
          rootIsNull = stack.isEmpty() && s.isPlain() && NULLS.contains(s.getValue());
        }
        case MappingStartEvent m ->
            stack.push(new Object[] {new Mapping(new ArrayList<>(), line), null});
        case SequenceStartEvent q ->
            stack.push(new Object[] {new Sequence(new ArrayList<>(), line), null});
        case AliasEvent a ->
            throw new Unsupported(
                "aliases (*name) are not supported in this file; write the values out", line);
        default -> {
          if (e.is(Event.ID.MappingEnd) || e.is(Event.ID.SequenceEnd)) {
            done = (YNode) stack.pop()[0];
          }
        }
      }
      if (done == null) {
        continue;
      }
      if (stack.isEmpty()) {
        root = rootIsNull ? null : done;
        continue;
      }
      Object[] top = stack.peek();
      switch ((YNode) top[0]) {
        case Sequence seq -> seq.items().add(done);
        case Mapping map -> {
          if (top[1] == null) {
            top[1] = done;
          } else {
            map.entries().add(new Entry((YNode) top[1], done));
            top[1] = null;
          }
        }
        case Scalar s -> throw new IllegalStateException("a scalar cannot contain nodes");
      }
    }
    return root;
  }
}
