package io.edgegw.rules.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * A rule's message with {@code {name}} placeholders, parsed once at load time so that rendering is
 * a concatenation. {@code {{} and {@code }}} are not special: a brace that does not open a valid
 * placeholder is an error, found when the file is loaded rather than when the alarm fires.
 */
public final class MessageTemplate {
  private final String source;
  private final List<String> parts; // even index: literal text; odd index: a placeholder name

  private MessageTemplate(String source, List<String> parts) {
    this.source = source;
    this.parts = parts;
  }

  /**
   * Parses {@code source}, allowing only the placeholders in {@code allowed}.
   *
   * @throws IllegalArgumentException naming the first bad placeholder and what is allowed
   */
  public static MessageTemplate parse(String source, Set<String> allowed) {
    List<String> parts = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    int i = 0;
    while (i < source.length()) {
      char c = source.charAt(i);
      if (c == '}') {
        throw new IllegalArgumentException("unmatched '}' at position " + (i + 1));
      }
      if (c != '{') {
        literal.append(c);
        i++;
        continue;
      }
      int end = source.indexOf('}', i);
      if (end < 0) {
        throw new IllegalArgumentException("unclosed '{' at position " + (i + 1));
      }
      String name = source.substring(i + 1, end).strip();
      if (!allowed.contains(name)) {
        throw new IllegalArgumentException(
            "unknown placeholder {" + name + "}; this rule offers " + sorted(allowed));
      }
      parts.add(literal.toString());
      parts.add(name);
      literal.setLength(0);
      i = end + 1;
    }
    parts.add(literal.toString());
    return new MessageTemplate(source, List.copyOf(parts));
  }

  /**
   * The message with each placeholder replaced by {@code values.apply(name)} ("?" for null; whole
   * doubles without ".0").
   */
  public String render(Function<String, Object> values) {
    StringBuilder out = new StringBuilder(source.length() + 16);
    for (int k = 0; k < parts.size(); k++) {
      if (k % 2 == 0) {
        out.append(parts.get(k));
      } else {
        out.append(text(values.apply(parts.get(k))));
      }
    }
    return out.toString();
  }

  /** A value as an operator reads it: "?" for none, whole numbers without a trailing ".0". */
  static String text(Object v) {
    if (v == null) {
      return "?";
    }
    if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) {
      return Long.toString(d.longValue());
    }
    return v.toString();
  }

  public String source() {
    return source;
  }

  private static String sorted(Set<String> names) {
    return "{" + String.join("}, {", names.stream().sorted().toList()) + "}";
  }

  @Override
  public String toString() {
    return source;
  }
}
