package io.edgegw.buffer.query;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsing of the API's time parameters. A time is an ISO-8601 instant ({@code
 * 2026-11-25T10:00:00Z}), epoch milliseconds, {@code now}, or {@code now-<duration>}. A duration is
 * a number and a unit ({@code 500ms}, {@code 10s}, {@code 15m}, {@code 24h}, {@code 30d}) or an
 * ISO-8601 duration ({@code PT1M}).
 */
final class QueryParams {
  private static final Pattern SHORT = Pattern.compile("(\\d{1,12})(ms|s|m|h|d)");
  private static final Pattern EPOCH_MS = Pattern.compile("-?\\d{1,15}");

  private QueryParams() {}

  /** A validated half-open time range [from, to). */
  record Range(Instant from, Instant to) {
    Duration length() {
      return Duration.between(from, to);
    }
  }

  static Range range(String fromText, String toText, Instant now, Duration defaultLength) {
    Instant to = toText == null || toText.isBlank() ? now : time("to", toText, now);
    Instant from =
        fromText == null || fromText.isBlank()
            ? to.minus(defaultLength)
            : time("from", fromText, now);
    if (!from.isBefore(to)) {
      throw BadRequest.of("from (" + from + ") must be before to (" + to + ")");
    }
    return new Range(from, to);
  }

  static Instant time(String name, String text, Instant now) {
    String t = text.strip();
    if (t.equals("now")) {
      return now;
    }
    if (t.startsWith("now-")) {
      return now.minus(duration(name, t.substring(4)));
    }
    if (EPOCH_MS.matcher(t).matches()) {
      return Instant.ofEpochMilli(Long.parseLong(t));
    }
    try {
      Instant i = Instant.parse(t);
      if (i.getEpochSecond() < 0 || i.getEpochSecond() > 253402300799L) {
        throw BadRequest.of(name + ": " + t + " is outside the years 1970..9999");
      }
      return i;
    } catch (DateTimeParseException e) {
      throw BadRequest.of(
          name
              + ": '"
              + t
              + "' is not a time; use an ISO-8601 instant (2026-11-25T10:00:00Z), epoch"
              + " milliseconds, now or now-<duration>");
    }
  }

  static Duration duration(String name, String text) {
    String t = text.strip();
    Matcher m = SHORT.matcher(t);
    Duration d;
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      d =
          switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
          };
    } else {
      try {
        d = Duration.parse(t);
      } catch (DateTimeParseException e) {
        throw BadRequest.of(
            name
                + ": '"
                + t
                + "' is not a duration; use a number and a unit (500ms, 10s, 15m, 24h, 30d) or"
                + " ISO-8601 (PT1M)");
      }
    }
    if (d.isNegative() || d.isZero()) {
      throw BadRequest.of(name + ": duration must be positive, got '" + t + "'");
    }
    if (d.compareTo(Duration.ofDays(3660)) > 0) {
      throw BadRequest.of(name + ": duration '" + t + "' is longer than ten years");
    }
    return d;
  }

  static int seriesId(String text) {
    try {
      int id = Integer.parseInt(text.strip());
      if (id < 1) {
        throw BadRequest.of("series id must be a positive integer, got '" + text + "'");
      }
      return id;
    } catch (NumberFormatException e) {
      throw BadRequest.of("series id must be a positive integer, got '" + text + "'");
    }
  }

  static Format format(String text) {
    if (text == null || text.isBlank() || text.equalsIgnoreCase("json")) {
      return Format.JSON;
    }
    if (text.equalsIgnoreCase("csv")) {
      return Format.CSV;
    }
    throw BadRequest.of("format must be json or csv, got '" + text + "'");
  }

  /** Response formats. */
  enum Format {
    JSON("application/json"),
    CSV("text/csv");

    final String mediaType;

    Format(String mediaType) {
      this.mediaType = mediaType;
    }
  }
}
