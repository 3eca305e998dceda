package io.edgegw.bridge.config;

import io.edgegw.bridge.config.YamlTree.Entry;
import io.edgegw.bridge.config.YamlTree.Mapping;
import io.edgegw.bridge.config.YamlTree.Scalar;
import io.edgegw.bridge.config.YamlTree.YNode;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
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
 * problem of the file.
 */
final class YamlFields {
  static final String DURATION_FORM = "a duration like 250ms, 1s, 5m or 1h";

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

  YamlFields(Problems problems, String path, YNode node, Set<String> allowed) {
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

  boolean isMapping() {
    return node instanceof Mapping;
  }

  String field(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  boolean has(String key) {
    return values.containsKey(key);
  }

  YNode node(String key) {
    return values.get(key);
  }

  /** The line of a key, or of the mapping when absent. */
  YNode at(String key) {
    YNode n = keys.get(key);
    return n != null ? n : node;
  }

  /** The keys present, in file order. */
  Set<String> keys() {
    return values.keySet();
  }

  /** The raw text of a scalar field; null when absent (a problem if required) or not a scalar. */
  String scalar(String key, boolean required, String expected) {
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

  String text(String key, boolean required) {
    String s = scalar(key, required, "a text");
    if (s != null && s.isBlank() && required) {
      problems.add(values.get(key), field(key), "must not be empty");
      return null;
    }
    return s;
  }

  Integer integer(String key, Integer dflt, int min, int max) {
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

  Double number(String key, Double dflt) {
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
  static Double parseNumber(String s) {
    String t = s.strip();
    if (!NUMBER.matcher(t).matches()) {
      return null;
    }
    double d = Double.parseDouble(t);
    return Double.isFinite(d) ? d : null;
  }

  /** A boolean; on a wrong value the problem is recorded and the default returned. */
  boolean bool(String key, boolean dflt) {
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

  Duration duration(String key, Duration dflt, boolean required) {
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
  Duration positiveDuration(String key, Duration dflt) {
    Duration d = duration(key, dflt, false);
    if (d != null && d.isZero()) {
      problems.add(
          values.get(key), field(key), "expected a duration longer than 0, like 250ms or 1s");
      return null;
    }
    return d;
  }

  static Duration parseDuration(String s) {
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
  <E extends Enum<E>> E choice(String key, E[] constants, Function<E, String> spelling, E dflt) {
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
  static String kind(YNode n) {
    return switch (n) {
      case Scalar s when s.value().isEmpty() -> "nothing";
      case Scalar s ->
          "'" + (s.value().length() > 40 ? s.value().substring(0, 40) + "..." : s.value()) + "'";
      case YamlTree.Sequence q -> "a list";
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
