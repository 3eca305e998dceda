package io.edgegw.buffer.command;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The arguments of {@code buffer.export}, checked for their form (the store checks what they name).
 *
 * @param series series ids or {@code device/tag} names; empty = every series
 * @param from start of the range (instant, epoch ms, {@code now-<duration>} or a duration back from
 *     now, e.g. {@code P30D}), or null for the default
 * @param to end of the range, or null for now
 * @param format csv or json, or null for csv
 * @param chunkRows most rows per part, or 0 for the configured number
 */
public record ExportArgs(
    List<String> series, String from, String to, String format, int chunkRows) {

  static final Set<String> NAMES = Set.of("series", "from", "to", "format", "chunkRows");

  public ExportArgs {
    series = List.copyOf(series);
  }

  /** A command's arguments that cannot be used; the message says which and why. */
  static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(message);
    }
  }

  /** Reads the arguments of a command. */
  static ExportArgs of(Map<String, Object> args) throws Invalid {
    for (String name : args.keySet()) {
      if (!NAMES.contains(name)) {
        throw new Invalid(
            "unknown argument '"
                + name
                + "' (buffer.export takes series, from, to, format, chunkRows)");
      }
    }
    return new ExportArgs(
        series(args.get("series")),
        text(args, "from"),
        text(args, "to"),
        text(args, "format"),
        chunkRows(args.get("chunkRows")));
  }

  private static List<String> series(Object value) throws Invalid {
    List<String> out = new ArrayList<>();
    switch (value) {
      case null -> {}
      case String s -> {
        if (!s.isBlank()) {
          out.addAll(List.of(s.split(",", -1)));
        }
      }
      case List<?> list -> {
        for (Object item : list) {
          if (item instanceof String || item instanceof Integer || item instanceof Long) {
            out.add(item.toString());
          } else {
            throw new Invalid(
                "series: each item must be a series id or device/tag, got " + describe(item));
          }
        }
      }
      case Integer i -> out.add(i.toString());
      case Long l -> out.add(l.toString());
      default ->
          throw new Invalid(
              "series: must be a list of series ids or device/tag names, got " + describe(value));
    }
    return out;
  }

  private static String text(Map<String, Object> args, String name) throws Invalid {
    Object v = args.get(name);
    if (v == null || v instanceof String) {
      return (String) v;
    }
    if (v instanceof Integer || v instanceof Long) {
      return v.toString();
    }
    throw new Invalid(name + ": must be a text, got " + describe(v));
  }

  private static int chunkRows(Object value) throws Invalid {
    if (value == null) {
      return 0;
    }
    if ((value instanceof Integer || value instanceof Long)
        && ((Number) value).longValue() >= 1
        && ((Number) value).longValue() <= 1_000_000) {
      return ((Number) value).intValue();
    }
    throw new Invalid(
        "chunkRows: must be a whole number from 1 to 1000000, got " + describe(value));
  }

  private static String describe(Object v) {
    return v == null ? "null" : v.getClass().getSimpleName() + " '" + v + "'";
  }
}
