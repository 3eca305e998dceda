package io.edgegw.config;

import io.edgegw.config.YamlTree.Entry;
import io.edgegw.config.YamlTree.Mapping;
import io.edgegw.config.YamlTree.Scalar;
import io.edgegw.config.YamlTree.Sequence;
import io.edgegw.config.YamlTree.YNode;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed reads of one YAML mapping with located errors: unknown and duplicate keys, missing fields,
 * wrong types and ranges become problems at the field's line. A failed read records the problem and
 * returns null (a boolean returns its default); the caller goes on, so one pass reports every
 * problem of the file. Field paths name the mapping's place in the file, e.g. {@code
 * devices[2].tags[5]}, so a problem reads {@code devices.yaml:42: devices[2].tags[5].type: ...}.
 */
public final class YamlFields {
  /** How a duration is written, for messages. */
  public static final String DURATION_FORM = "a duration like 250ms, 1s, 5m or 1h";

  // Nine digits keep every unit inside Duration's range; nobody means a billion hours.
  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");
  // YAML 1.2 core-schema numbers only: no Java suffixes (1d, 1f), hex floats, NaN or Infinity.
  private static final Pattern NUMBER =
      Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");

  private final Problems problems;
  private final String path;
  private final YNode node;
  private final Map<String, YNode> values = new LinkedHashMap<>();
  private final Map<String, YNode> keys = new LinkedHashMap<>();

  /**
   * Reads the keys of a mapping; a node that is not a mapping, and every unknown or duplicate key,
   * is a problem.
   *
   * @param path the mapping's field path, empty for the root
   * @param allowed the keys the mapping may have, in the order the message lists them
   */
  public YamlFields(Problems problems, String path, YNode node, Set<String> allowed) {
    this.problems = problems;
    this.path = path;
    this.node = node;
    if (!(node instanceof Mapping map)) {
      problems.add(node, path, "expected a mapping (key: value lines), got " + kind(node));
      return;
    }
    for (Entry t : map.entries()) {
      if (!(t.key() instanceof Scalar k)) {
        problems.add(t.key(), path, "keys must be plain names, got " + kind(t.key()));
        continue;
      }
      String key = k.value();
      if (values.containsKey(key)) {
        problems.add(k, field(key), "duplicate key (first at line " + keys.get(key).line() + ")");
        continue;
      }
      if ("<<".equals(key)) {
        problems.add(k, path, "merge keys (<<) are not supported in this file; write the keys out");
        continue;
      }
      if (!allowed.contains(key)) {
        problems.add(
            k,
            field(key),
            "unknown key" + suggestion(key, allowed) + "; allowed: " + String.join(", ", allowed));
        continue;
      }
      values.put(key, t.value());
      keys.put(key, k);
    }
  }

  /**
   * Reads a mapping whose keys are not fixed: names the file chooses (poll groups, expression
   * inputs), or keys that another program validates. Every key is allowed; duplicate and merge keys
   * are still problems.
   */
  public static YamlFields anyKeys(Problems problems, String path, YNode node) {
    Set<String> names = new LinkedHashSet<>();
    if (node instanceof Mapping map) {
      for (Entry t : map.entries()) {
        if (t.key() instanceof Scalar k) {
          names.add(k.value());
        }
      }
    }
    return new YamlFields(problems, path, node, names);
  }

  /** Whether the node is a mapping (otherwise a problem was recorded and every read is empty). */
  public boolean isMapping() {
    return node instanceof Mapping;
  }

  /** The field path of a key, e.g. {@code devices[2].unitId}. */
  public String field(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** Whether the key is present (and allowed). */
  public boolean has(String key) {
    return values.containsKey(key);
  }

  /** The value of a key, or null when absent. */
  public YNode node(String key) {
    return values.get(key);
  }

  /** The line of a key, or of the mapping when absent. */
  public YNode at(String key) {
    YNode n = keys.get(key);
    return n != null ? n : node;
  }

  /** The keys present, in file order. */
  public Set<String> keys() {
    return values.keySet();
  }

  /**
   * The items of a list field; empty when absent (a problem if required) or not a list (a problem).
   */
  public List<YNode> list(String key, boolean required) {
    YNode n = values.get(key);
    if (n == null) {
      if (required) {
        problems.add(node, field(key), "required field is missing; expected a list");
      }
      return List.of();
    }
    if (n instanceof Sequence seq) {
      return seq.items();
    }
    problems.add(n, field(key), "expected a list (lines starting with '- '), got " + kind(n));
    return List.of();
  }

  /** The raw text of a scalar field; null when absent (a problem if required) or not a scalar. */
  public String scalar(String key, boolean required, String expected) {
    YNode n = values.get(key);
    if (n == null) {
      if (required) {
        problems.add(node, field(key), "required field is missing; expected " + expected);
      }
      return null;
    }
    if (!(n instanceof Scalar s)) {
      problems.add(n, field(key), "expected " + expected + ", got " + kind(n));
      return null;
    }
    return s.value();
  }

  /** A text; a required one must not be blank. */
  public String text(String key, boolean required) {
    String s = scalar(key, required, "a text");
    if (s != null && s.isBlank() && required) {
      problems.add(values.get(key), field(key), "must not be empty");
      return null;
    }
    return s;
  }

  /** An integer in {@code min..max}; required when {@code dflt} is null. */
  public Integer integer(String key, Integer dflt, int min, int max) {
    String expected = "an integer " + min + ".." + max;
    String s = scalar(key, dflt == null, expected);
    if (s == null) {
      return has(key) ? null : dflt;
    }
    try {
      long v = Long.parseLong(s.strip());
      if (v < min || v > max) {
        problems.add(values.get(key), field(key), "expected " + expected + ", got " + v);
        return null;
      }
      return (int) v;
    } catch (NumberFormatException e) {
      problems.add(values.get(key), field(key), "expected " + expected + ", got '" + s + "'");
      return null;
    }
  }

  /** A finite decimal number; {@code dflt} when absent. */
  public Double number(String key, Double dflt) {
    String s = scalar(key, false, "a number");
    if (s == null) {
      return has(key) ? null : dflt;
    }
    Double d = parseNumber(s);
    if (d == null) {
      problems.add(
          values.get(key), field(key), "expected a number like 12 or 0.5, got '" + s + "'");
    }
    return d;
  }

  /** A finite decimal number, or null. */
  public static Double parseNumber(String s) {
    String t = s.strip();
    if (!NUMBER.matcher(t).matches()) {
      return null;
    }
    double d = Double.parseDouble(t);
    return Double.isFinite(d) ? d : null;
  }

  /** A boolean; on a wrong value the problem is recorded and the default returned. */
  public boolean bool(String key, boolean dflt) {
    String s = scalar(key, false, "true or false");
    if (s == null) {
      return dflt;
    }
    return switch (s.strip().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on" -> true;
      case "false", "no", "off" -> false;
      default -> {
        problems.add(values.get(key), field(key), "expected true or false, got '" + s + "'");
        yield dflt;
      }
    };
  }

  /** A duration ({@link #DURATION_FORM}); {@code dflt} when absent and not required. */
  public Duration duration(String key, Duration dflt, boolean required) {
    String s = scalar(key, required, DURATION_FORM);
    if (s == null) {
      return has(key) ? null : dflt;
    }
    Duration d = parseDuration(s);
    if (d == null) {
      problems.add(values.get(key), field(key), "expected " + DURATION_FORM + ", got '" + s + "'");
    }
    return d;
  }

  /** A duration that must be longer than zero. */
  public Duration positiveDuration(String key, Duration dflt) {
    Duration d = duration(key, dflt, false);
    if (d != null && d.isZero()) {
      problems.add(
          values.get(key), field(key), "expected a duration longer than 0, like 250ms or 1s");
      return null;
    }
    return d;
  }

  /** A duration ({@link #DURATION_FORM}), or null. */
  public static Duration parseDuration(String s) {
    Matcher m = DURATION.matcher(s.strip());
    if (!m.matches()) {
      return null;
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> throw new IllegalStateException("the pattern admits no unit " + m.group(2));
    };
  }

  /**
   * One of an enum's constants, by its spelling in the file. Case and '-' versus '_' do not matter.
   *
   * @param spelling how the file writes each constant, also used in the message
   */
  public <E extends Enum<E>> E choice(
      String key, E[] constants, Function<E, String> spelling, E dflt) {
    List<String> names = Arrays.stream(constants).map(spelling).toList();
    String expected = "one of " + String.join(", ", names);
    String s = scalar(key, dflt == null, expected);
    if (s == null) {
      return has(key) ? null : dflt;
    }
    String wanted = normalized(s);
    for (E c : constants) {
      if (normalized(spelling.apply(c)).equals(wanted)) {
        return c;
      }
    }
    problems.add(values.get(key), field(key), "expected " + expected + ", got '" + s + "'");
    return null;
  }

  private static String normalized(String s) {
    return s.strip().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Describes what the file has where something else was expected. */
  public static String kind(YNode n) {
    return switch (n) {
      case Scalar s when s.value().isEmpty() -> "nothing";
      case Scalar s ->
          "'" + (s.value().length() > 40 ? s.value().substring(0, 40) + "..." : s.value()) + "'";
      case Sequence q -> "a list";
      case Mapping m -> "a mapping";
    };
  }

  private static String suggestion(String key, Set<String> allowed) {
    String best = null;
    int bestDistance = 3;
    for (String a : allowed) {
      int d = distance(key.toLowerCase(Locale.ROOT), a.toLowerCase(Locale.ROOT));
      // A two-letter typo can reach any short key; only hint when most of the key survived.
      if (d < bestDistance && d < key.length()) {
        best = a;
        bestDistance = d;
      }
    }
    return best == null ? "" : " (did you mean '" + best + "'?)";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
