package io.edgegw.observability;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Grafana does to a panel's query before its datasource sees it, for the dashboard test
 * (Grafana itself cannot run here): template variables substituted, and the PostgreSQL macros
 * ({@code $__timeFilter}, {@code $__timeGroupAlias}, ...) expanded to the SQL Grafana generates for
 * them, and the interval variables ({@code $__interval}, {@code $__rate_interval}) given values.
 * Anything left that looks like a variable or a macro is an error naming it, so a query never
 * reaches a database half expanded.
 */
final class GrafanaExpansion {

  /** A dashboard's time range. */
  record TimeRange(Instant from, Instant to) {
    TimeRange {
      if (!from.isBefore(to)) {
        throw new IllegalArgumentException("time range from " + from + " is not before " + to);
      }
    }

    /** {@code now-30d}, {@code now-6h}, ... up to {@code now}. */
    static TimeRange lastFrom(String grafanaFrom, Instant now) {
      Matcher m = Pattern.compile("now-(\\d+[smhdwy])").matcher(grafanaFrom);
      if (!m.matches()) {
        throw new IllegalArgumentException(
            "time range 'from' " + grafanaFrom + " is not of the form now-<n><unit>");
      }
      return new TimeRange(now.minus(duration(m.group(1))), now);
    }

    /**
     * Grafana's {@code $__interval}: the range over the panel's data points (at most 1000 here),
     * never under one second.
     */
    Duration interval() {
      long seconds = Math.max(1, Duration.between(from, to).toSeconds() / 1000);
      return Duration.ofSeconds(seconds);
    }
  }

  private static final Pattern VARIABLE =
      Pattern.compile("\\$\\{(\\w+)(?::\\w+)?}|\\[\\[(\\w+)]]|\\$(\\w+)");
  private static final Pattern MACRO = Pattern.compile("\\$__(\\w+)\\(");
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d|w|y)");

  private GrafanaExpansion() {}

  /**
   * Substitutes {@code $name}, {@code ${name}} and {@code [[name]]} for every name in {@code
   * values}; other names (Grafana's {@code $__...}) are left for the caller.
   */
  static String variables(String text, Map<String, String> values) {
    Matcher m = VARIABLE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
      String value = values.get(name);
      m.appendReplacement(out, Matcher.quoteReplacement(value == null ? m.group() : value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * A PromQL panel query as Grafana sends it to Prometheus.
   *
   * @param scrapeInterval the Prometheus datasource's scrape interval (its {@code timeInterval})
   */
  static String promql(
      String expr, Map<String, String> values, TimeRange range, Duration scrapeInterval) {
    Duration interval = max(range.interval(), scrapeInterval);
    // Grafana: max($__interval + scrape interval, 4 * scrape interval).
    Duration rate = max(interval.plus(scrapeInterval), scrapeInterval.multipliedBy(4));
    String s = variables(expr, values);
    s = s.replace("$__rate_interval", seconds(rate)).replace("${__rate_interval}", seconds(rate));
    s = s.replace("$__interval", seconds(interval)).replace("${__interval}", seconds(interval));
    s = s.replace("$__range", seconds(Duration.between(range.from(), range.to())));
    return leftOver(s);
  }

  /** An SQL panel query as Grafana's PostgreSQL datasource runs it. */
  static String sql(String query, Map<String, String> values, TimeRange range) {
    String s = variables(query, values);
    s = s.replace("$__interval_ms", String.valueOf(range.interval().toMillis()));
    s = s.replace("$__interval", seconds(range.interval()));
    s = macros(s, range);
    return leftOver(s);
  }

  private static String macros(String s, TimeRange range) {
    Matcher m = MACRO.matcher(s);
    while (m.find()) {
      int open = m.end() - 1;
      int close = closingParenthesis(s, open);
      List<String> args = arguments(s.substring(open + 1, close));
      String expansion = macro(m.group(1), args, range);
      s = s.substring(0, m.start()) + expansion + s.substring(close + 1);
      m = MACRO.matcher(s);
    }
    return s;
  }

  private static String macro(String name, List<String> args, TimeRange r) {
    String from = "'" + r.from().truncatedTo(ChronoUnit.MILLIS) + "'";
    String to = "'" + r.to().truncatedTo(ChronoUnit.MILLIS) + "'";
    return switch (name) {
      case "time" -> arg(name, args, 0) + " AS \"time\"";
      case "timeEpoch" -> "extract(epoch from " + arg(name, args, 0) + ") AS \"time\"";
      case "timeFilter" -> arg(name, args, 0) + " BETWEEN " + from + " AND " + to;
      case "timeFrom" -> from;
      case "timeTo" -> to;
      case "unixEpochFilter" ->
          arg(name, args, 0)
              + " >= "
              + r.from().getEpochSecond()
              + " AND "
              + arg(name, args, 0)
              + " <= "
              + r.to().getEpochSecond();
      case "unixEpochFrom" -> String.valueOf(r.from().getEpochSecond());
      case "unixEpochTo" -> String.valueOf(r.to().getEpochSecond());
      case "timeGroup", "timeGroupAlias" -> {
        long seconds = duration(unquote(arg(name, args, 1))).toSeconds();
        if (seconds < 1) {
          throw new IllegalArgumentException(
              "$__" + name + " interval " + args.get(1) + " is under one second");
        }
        String group =
            "floor(extract(epoch from " + arg(name, args, 0) + ")/" + seconds + ")*" + seconds;
        yield name.equals("timeGroupAlias") ? group + " AS \"time\"" : group;
      }
      default -> throw new IllegalArgumentException("unknown Grafana macro $__" + name);
    };
  }

  private static String arg(String macro, List<String> args, int i) {
    if (args.size() <= i || args.get(i).isBlank()) {
      throw new IllegalArgumentException("$__" + macro + " needs argument " + (i + 1));
    }
    return args.get(i);
  }

  private static int closingParenthesis(String s, int open) {
    int depth = 0;
    for (int i = open; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')' && --depth == 0) {
        return i;
      }
    }
    throw new IllegalArgumentException("unbalanced parentheses after " + s.substring(open));
  }

  private static List<String> arguments(String inside) {
    List<String> args = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < inside.length(); i++) {
      char c = inside.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == ',' && depth == 0) {
        args.add(inside.substring(start, i).strip());
        start = i + 1;
      }
    }
    args.add(inside.substring(start).strip());
    return args;
  }

  private static String leftOver(String s) {
    Matcher m = Pattern.compile("\\$\\{?\\w+|\\[\\[\\w+]]").matcher(s);
    if (m.find()) {
      throw new IllegalArgumentException(
          "'" + m.group() + "' is neither a variable of the dashboard nor a known macro");
    }
    return s;
  }

  static Duration duration(String text) {
    Matcher m = DURATION.matcher(text.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a Grafana duration like 5m or 1h");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      case "d" -> Duration.ofDays(n);
      case "w" -> Duration.ofDays(7 * n);
      case "y" -> Duration.ofDays(365 * n);
      default -> throw new IllegalStateException(m.group(2));
    };
  }

  private static String unquote(String s) {
    String t = s.strip();
    return t.length() >= 2 && t.startsWith("'") && t.endsWith("'")
        ? t.substring(1, t.length() - 1)
        : t;
  }

  private static String seconds(Duration d) {
    return d.toSeconds() + "s";
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
