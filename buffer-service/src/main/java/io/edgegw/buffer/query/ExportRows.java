package io.edgegw.buffer.query;

import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * The raw-sample export, shared by the HTTP export ({@code GET /api/v1/export}) and the bus export
 * ({@code buffer.export}, which sends it in parts through the cloud): which series, which range,
 * which format, and the rows ordered by series then time, read from a server-side cursor so that
 * memory stays bounded whatever the range.
 */
public final class ExportRows {
  private static final String[] COLUMNS = {
    "series", "device", "tag", "unit", "time", "t", "v", "q"
  };
  private static final Pattern DURATION = Pattern.compile("(?i)P.+|\\d{1,12}(ms|s|m|h|d)");

  private final List<SeriesInfo> series;
  private final QueryParams.Range range;
  private final QueryParams.Format format;

  private ExportRows(List<SeriesInfo> series, QueryParams.Range range, QueryParams.Format format) {
    this.series = List.copyOf(series);
    this.range = range;
    this.format = format;
  }

  /** An export that cannot be answered; the message names the argument and what is wrong. */
  public static final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean unknownSeries;

    Rejected(String reason, boolean unknownSeries) {
      super(reason);
      this.unknownSeries = unknownSeries;
    }

    /** Whether a named series does not exist (the HTTP API answers 404 for it). */
    public boolean unknownSeries() {
      return unknownSeries;
    }
  }

  /** Called after each row, once the row's bytes are flushed to the output stream. */
  @FunctionalInterface
  public interface RowListener {
    void afterRow() throws IOException;
  }

  /**
   * Resolves an export request.
   *
   * @param c a connection for the series lookup
   * @param seriesRefs series ids ({@code 12}) or {@code device/tag} names; null or empty = all
   * @param from ISO-8601 instant, epoch ms, {@code now}, {@code now-<duration>}, or a duration
   *     ({@code P30D}, {@code 30d}) back from now; default {@code defaultLength} before {@code to}
   * @param to as {@code from} without the bare duration; default now
   * @param format csv or json; default csv
   */
  public static ExportRows plan(
      Connection c,
      List<String> seriesRefs,
      String from,
      String to,
      String format,
      Instant now,
      Duration defaultLength)
      throws Rejected, SQLException {
    try {
      String fromText = from;
      if (from != null && DURATION.matcher(from.strip()).matches()) {
        fromText = "now-" + from.strip();
      }
      QueryParams.Range range = QueryParams.range(fromText, to, now, defaultLength);
      QueryParams.Format f =
          QueryParams.format(format == null || format.isBlank() ? "csv" : format);
      return new ExportRows(select(c, seriesRefs), range, f);
    } catch (BadRequest e) {
      throw new Rejected(e.getMessage(), false);
    }
  }

  private static List<SeriesInfo> select(Connection c, List<String> refs)
      throws Rejected, SQLException {
    List<SeriesInfo> all = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT id, device, tag, unit, kind FROM series ORDER BY device, tag")) {
      while (rs.next()) {
        all.add(
            new SeriesInfo(
                rs.getInt(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                null,
                null));
      }
    }
    if (refs == null || refs.isEmpty()) {
      return all;
    }
    // Every reference is checked for its form before any is looked up, so a typo is reported as
    // such rather than as some other series being unknown.
    List<Object> keys = new ArrayList<>();
    for (String ref : refs) {
      String r = ref == null ? "" : ref.strip();
      int slash = r.indexOf('/');
      if (slash > 0 && slash < r.length() - 1) {
        keys.add(new Name(r.substring(0, slash), r.substring(slash + 1)));
      } else {
        try {
          keys.add(QueryParams.seriesId(r));
        } catch (BadRequest e) {
          throw new Rejected(e.getMessage(), false);
        }
      }
    }
    Map<Integer, SeriesInfo> chosen = new LinkedHashMap<>();
    for (Object key : keys) {
      SeriesInfo found = find(all, key);
      chosen.putIfAbsent(found.id(), found);
    }
    return new ArrayList<>(chosen.values());
  }

  /** A series named by device and tag. */
  private record Name(String device, String tag) {
    @Override
    public String toString() {
      return device + "/" + tag;
    }
  }

  private static SeriesInfo find(List<SeriesInfo> all, Object key) throws Rejected {
    for (SeriesInfo s : all) {
      boolean match =
          key instanceof Integer id ? s.id() == id : key.equals(new Name(s.device(), s.tag()));
      if (match) {
        return s;
      }
    }
    throw new Rejected(
        key instanceof Integer id
            ? "no series with id " + id
            : "no series " + key + " (device/tag)",
        true);
  }

  /** The chosen series, in export order. */
  public List<SeriesInfo> series() {
    return series;
  }

  /** Start of the range, inclusive. */
  public Instant from() {
    return range.from();
  }

  /** End of the range, exclusive. */
  public Instant to() {
    return range.to();
  }

  /** {@code csv} or {@code json}. */
  public String format() {
    return format.name().toLowerCase(java.util.Locale.ROOT);
  }

  String mediaType() {
    return format.mediaType;
  }

  /**
   * Writes the document: a CSV header and rows, or a JSON array of row objects.
   *
   * @param cursor a connection from {@link #cursor}
   * @param listener called after each row with the output flushed, or null (no flushing)
   * @return the number of rows
   */
  public long write(Connection cursor, int fetchSize, OutputStream out, RowListener listener)
      throws IOException, SQLException {
    long rows = 0;
    try (PreparedStatement ps =
        cursor.prepareStatement(
            "SELECT ts, value, text_value, quality FROM sample"
                + " WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts")) {
      RowWriter w = RowWriter.open(format, out, COLUMNS);
      ps.setFetchSize(fetchSize);
      for (SeriesInfo s : series) {
        ps.setInt(1, s.id());
        ps.setTimestamp(2, Timestamp.from(range.from()));
        ps.setTimestamp(3, Timestamp.from(range.to()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            Instant t = rs.getTimestamp(1).toInstant();
            w.beginRow();
            w.field("series", s.id());
            w.field("device", s.device());
            w.field("tag", s.tag());
            w.field("unit", s.unit());
            w.time("time", t);
            w.field("t", t.toEpochMilli());
            w.value(s.kind(), rs, 2, 3);
            w.quality(rs, 4);
            w.endRow();
            rows++;
            if (listener != null) {
              w.flush();
              listener.afterRow();
            }
          }
        }
      }
      w.finish();
    }
    return rows;
  }

  /**
   * A connection in a read-only transaction, so that the driver streams through a server-side
   * cursor, with the statement timeout set.
   */
  public static Connection cursor(DataSource dataSource, Duration statementTimeout)
      throws SQLException {
    Connection c = dataSource.getConnection();
    try {
      c.setAutoCommit(false);
      c.setReadOnly(true);
      try (Statement s = c.createStatement()) {
        s.execute("SET LOCAL statement_timeout = " + statementTimeout.toMillis());
        // PostgreSQL's JIT compiles these scans anew for every request: on a 30-day aggregate it
        // spent ~2.3 s of ~5.6 s compiling (docs/benchmarks.md). The plans are simple; no JIT.
        s.execute("SET LOCAL jit = off");
      }
      return c;
    } catch (SQLException e) {
      c.close();
      throw e;
    }
  }
}
