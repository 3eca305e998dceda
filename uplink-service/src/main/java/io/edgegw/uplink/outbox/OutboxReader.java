package io.edgegw.uplink.outbox;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgegw.contracts.Quality;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Reads the buffer's rows by commit ({@code ingest_seq}): the commits of a seq window with their
 * row counts, then the rows of one {@link Slice} with their series' device and tag. Reads only;
 * positions are the {@link DeliveryLedger}'s.
 *
 * <p>Windows are bounded seq ranges, never "everything after N": {@code sample}'s index on {@code
 * ingest_seq} is a BRIN on plain PostgreSQL, and an open-ended range would visit the whole backlog
 * for every message.
 */
public final class OutboxReader {

  /** The rows of a telemetry slice and the key of its last row. */
  public record TelemetryRows(List<CloudMessage.Sample> samples, LaneCursor.RowKey last) {}

  /**
   * Samples the cloud has not acknowledged.
   *
   * @param rows how many
   * @param oldest the time of the oldest; null when there are none
   */
  public record Backlog(long rows, Instant oldest) {}

  private static final String COMMITS =
      "SELECT seq, sum(s)::int, sum(a)::int FROM ("
          + " SELECT ingest_seq AS seq, count(*) AS s, 0 AS a FROM sample"
          + "  WHERE ingest_seq > ? AND ingest_seq <= ? GROUP BY ingest_seq"
          + " UNION ALL"
          + " SELECT ingest_seq, 0, count(*) FROM alarm_event"
          + "  WHERE ingest_seq > ? AND ingest_seq <= ? GROUP BY ingest_seq) c"
          + " GROUP BY seq ORDER BY seq";

  private static final String NEXT_SEQ =
      "SELECT least("
          + "(SELECT min(ingest_seq) FROM sample WHERE ingest_seq > ? AND ingest_seq <= ?),"
          + "(SELECT min(ingest_seq) FROM alarm_event WHERE ingest_seq > ? AND ingest_seq <= ?))";

  private static final String NEWEST =
      "SELECT greatest("
          + "(SELECT max(ingest_seq) FROM sample WHERE ingest_seq > ?),"
          + "(SELECT max(ingest_seq) FROM alarm_event WHERE ingest_seq > ?))";

  private static final String SAMPLES =
      "SELECT s.series_id, s.ts, r.device, r.tag, r.kind, s.value, s.text_value, s.quality"
          + " FROM sample s JOIN series r ON r.id = s.series_id"
          + " WHERE s.ingest_seq BETWEEN ? AND ?"
          + " ORDER BY s.ingest_seq, s.series_id, s.ts OFFSET ? LIMIT ?";

  private static final String ALARMS =
      "SELECT alarm_id, transition, severity, value, text_value, ts, message, detail::text"
          + " FROM alarm_event WHERE ingest_seq BETWEEN ? AND ?"
          + " ORDER BY ingest_seq, ts, id OFFSET ? LIMIT ?";

  // Counts what lies above the backfill position, up to a horizon, outside the delivered ranges: a
  // range scan of the BRIN on ingest_seq (summarized first, see summarize()).
  private static final String BACKLOG =
      "SELECT count(*), min(s.ts) FROM sample s WHERE s.ingest_seq > ? AND s.ingest_seq <= ?"
          + " AND NOT EXISTS"
          + " (SELECT 1 FROM outbox_delivered d WHERE d.consumer = ?"
          + " AND s.ingest_seq BETWEEN d.from_seq AND d.to_seq)";

  private static final String ROWS_THROUGH =
      "SELECT count(*) FROM sample WHERE ingest_seq = ? AND (series_id, ts) <= (?, ?)";

  private static final Quality[] QUALITIES = Quality.values();
  private static final long EXACT_DOUBLE = 1L << 53;

  private final DataSource dataSource;
  private final ObjectMapper json = new ObjectMapper();

  public OutboxReader(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * Samples in seqs {@code (after, through]} that no delivered range of {@code consumer} covers.
   */
  public Backlog backlog(String consumer, long after, long through) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(BACKLOG)) {
      ps.setLong(1, after);
      ps.setLong(2, through);
      ps.setString(3, consumer);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        Timestamp oldest = rs.getTimestamp(2);
        return new Backlog(rs.getLong(1), oldest == null ? null : oldest.toInstant());
      }
    }
  }

  /**
   * Summarizes the page ranges of {@code sample}'s BRIN on {@code ingest_seq} that are new since
   * the last summary (buffer-service's {@code outbox_summarize()}), so that the backlog's seq-range
   * reads visit the pages of their range, not every page written since autovacuum last ran.
   *
   * @return the page ranges summarized now
   */
  public long summarize() throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT outbox_summarize()");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The newest committed seq above {@code after}, or {@code after} when there is none. */
  public long newestCommitted(long after) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(NEWEST)) {
      ps.setLong(1, after);
      ps.setLong(2, after);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long newest = rs.getLong(1);
        return rs.wasNull() ? after : newest;
      }
    }
  }

  /** The commits in {@code (after, through]} with their row counts, ascending. */
  public List<CommitSize> commits(long after, long through) throws SQLException {
    List<CommitSize> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(COMMITS)) {
      ps.setLong(1, after);
      ps.setLong(2, through);
      ps.setLong(3, after);
      ps.setLong(4, through);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new CommitSize(rs.getLong(1), rs.getInt(2), rs.getInt(3)));
        }
      }
    }
    return out;
  }

  /** The first commit in {@code (after, through]}, or -1. */
  public long nextCommit(long after, long through) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(NEXT_SEQ)) {
      ps.setLong(1, after);
      ps.setLong(2, through);
      ps.setLong(3, after);
      ps.setLong(4, through);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long seq = rs.getLong(1);
        return rs.wasNull() ? -1 : seq;
      }
    }
  }

  /** Samples of commit {@code seq} up to and including the row key: where a partial resumes. */
  public int rowsThrough(OutboxPosition partial) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(ROWS_THROUGH)) {
      ps.setLong(1, partial.seq());
      ps.setInt(2, partial.seriesId());
      ps.setTimestamp(3, Timestamp.from(partial.ts()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /** The samples of a telemetry slice. */
  public TelemetryRows samples(Slice slice) throws SQLException {
    List<CloudMessage.Sample> out = new ArrayList<>(slice.rows());
    LaneCursor.RowKey last = null;
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(SAMPLES)) {
      bind(ps, slice);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          OffsetDateTime ts = rs.getObject(2, OffsetDateTime.class);
          last = new LaneCursor.RowKey(rs.getInt(1), ts.toInstant());
          Double value = rs.getObject(6, Double.class);
          out.add(
              new CloudMessage.Sample(
                  rs.getString(3),
                  rs.getString(4),
                  ts.toInstant().toEpochMilli(),
                  value(rs.getString(5), value, rs.getString(7)),
                  QUALITIES[rs.getShort(8)].name()));
        }
      }
    }
    requireAll(slice, out.size());
    return new TelemetryRows(out, last);
  }

  /** The alarm events of an alarm slice. */
  public List<CloudMessage.Event> alarms(Slice slice) throws SQLException {
    List<CloudMessage.Event> out = new ArrayList<>(slice.rows());
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(ALARMS)) {
      bind(ps, slice);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Double value = rs.getObject(4, Double.class);
          String text = rs.getString(5);
          out.add(
              new CloudMessage.Event(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3),
                  text != null ? text : value,
                  rs.getObject(6, OffsetDateTime.class).toInstant().toEpochMilli(),
                  rs.getString(7),
                  detail(rs.getString(8))));
        }
      }
    }
    requireAll(slice, out.size());
    return out;
  }

  private static void bind(PreparedStatement ps, Slice slice) throws SQLException {
    ps.setLong(1, slice.fromSeq());
    ps.setLong(2, slice.toSeq());
    ps.setInt(3, slice.firstRow());
    ps.setInt(4, slice.rows());
  }

  /**
   * Rows of a planned slice can only disappear when retention or the disk quota removed them
   * (recorded in {@code data_dropped}); the slice then goes out with what is left and the same key,
   * which no earlier message of these rows can have carried with different content: an earlier
   * sending held all of them.
   */
  private static void requireAll(Slice slice, int found) {
    if (found > slice.rows()) {
      throw new IllegalStateException(
          "slice " + slice + " found " + found + " rows: commits are not immutable");
    }
  }

  /** The value as the bridge sent it: exact integers, booleans, strings, or a double. */
  static Object value(String kind, Double value, String text) {
    if (kind == null) {
      return text != null ? text : value;
    }
    return switch (kind) {
      case "string" -> text;
      case "boolean" -> value == null ? null : value != 0.0;
      case "number" -> {
        if (text != null) {
          BigInteger exact = new BigInteger(text);
          yield exact.bitLength() < 64 ? (Object) exact.longValue() : exact;
        }
        if (value != null && value == Math.rint(value) && Math.abs(value) <= EXACT_DOUBLE) {
          yield value.longValue();
        }
        yield value;
      }
      default -> text != null ? text : value;
    };
  }

  private Map<String, Object> detail(String text) {
    if (text == null) {
      return Map.of();
    }
    try {
      return json.readValue(text, new TypeReference<Map<String, Object>>() {});
    } catch (IOException e) {
      throw new UncheckedIOException("alarm detail is not a JSON object: " + text, e);
    }
  }
}
