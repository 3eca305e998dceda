package io.edgegw.testsupport;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * One sample line of the Prometheus text format, {@code name{k="v",...} value [timestamp]}, as a
 * service's {@code /q/metrics} writes it; for {@link ServiceProcess#metric(String, Map)}.
 */
record MetricLine(String name, Map<String, String> labels, double value) {

  /**
   * The value of the line named {@code name} with exactly {@code labels} (in any order) in a
   * Prometheus text exposition, or empty.
   */
  static OptionalDouble find(String exposition, String name, Map<String, String> labels) {
    return exposition
        .lines()
        .map(MetricLine::parse)
        .filter(l -> l != null && l.name().equals(name) && l.labels().equals(labels))
        .mapToDouble(MetricLine::value)
        .findFirst();
  }

  /** The parsed line, or null for a comment, a blank line or something unparsable. */
  static MetricLine parse(String line) {
    int i = 0;
    int n = line.length();
    while (i < n && isNameChar(line.charAt(i))) {
      i++;
    }
    if (i == 0) {
      return null;
    }
    String name = line.substring(0, i);
    Map<String, String> labels = new HashMap<>();
    if (i < n && line.charAt(i) == '{') {
      i++;
      while (true) {
        while (i < n && (line.charAt(i) == ',' || line.charAt(i) == ' ')) {
          i++;
        }
        if (i < n && line.charAt(i) == '}') {
          i++;
          break;
        }
        int keyStart = i;
        while (i < n && isNameChar(line.charAt(i))) {
          i++;
        }
        if (i == keyStart || i + 1 >= n || line.charAt(i) != '=' || line.charAt(i + 1) != '"') {
          return null;
        }
        String key = line.substring(keyStart, i);
        i += 2;
        StringBuilder value = new StringBuilder();
        while (i < n && line.charAt(i) != '"') {
          char c = line.charAt(i++);
          if (c == '\\' && i < n) {
            char e = line.charAt(i++);
            value.append(e == 'n' ? '\n' : e);
          } else {
            value.append(c);
          }
        }
        if (i >= n) {
          return null;
        }
        i++; // closing quote
        labels.put(key, value.toString());
      }
    }
    String[] rest = line.substring(i).strip().split("\\s+");
    if (rest.length == 0 || rest[0].isEmpty()) {
      return null;
    }
    try {
      return new MetricLine(name, Map.copyOf(labels), number(rest[0]));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static boolean isNameChar(char c) {
    return c == '_' || c == ':' || Character.isLetterOrDigit(c) && c < 128;
  }

  private static double number(String text) {
    return switch (text) {
      case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(text);
    };
  }
}
