package io.edgegw.uplink.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * This consumer's rows in {@code outbox_position} (one per lane) and {@code outbox_delivered}
 * (ranges of seqs the cloud acknowledged, which retention and the disk quota read). A new range is
 * merged with the ranges it touches or adjoins, so the table keeps one row per gap-free stretch.
 */
public final class DeliveryLedger {

  /** An acknowledged range of seqs, both ends included. */
  public record Range(long from, long to) {
    public Range {
      if (from > to) {
        throw new IllegalArgumentException("range " + from + "-" + to + " is empty");
      }
    }

    /** Whether {@code seq} lies in the range. */
    public boolean contains(long seq) {
      return seq >= from && seq <= to;
    }
  }

  private static final String POSITIONS =
      "SELECT lane, ingest_seq, series_id, ts, alarms_through FROM outbox_position"
          + " WHERE consumer = ?";

  private static final String UPSERT =
      "INSERT INTO outbox_position"
          + " (consumer, lane, ingest_seq, series_id, ts, alarms_through, updated_at)"
          + " VALUES (?, ?, ?, ?, ?, ?, now())"
          + " ON CONFLICT (consumer, lane) DO UPDATE SET ingest_seq = excluded.ingest_seq,"
          + " series_id = excluded.series_id, ts = excluded.ts,"
          + " alarms_through = excluded.alarms_through, updated_at = excluded.updated_at";

  private static final String PACKED_THROUGH =
      "SELECT packed_through FROM outbox_position WHERE consumer = ? AND lane = ?";

  private static final String SET_PACKED_THROUGH =
      "INSERT INTO outbox_position"
          + " (consumer, lane, ingest_seq, series_id, ts, alarms_through, packed_through,"
          + " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, now())"
          + " ON CONFLICT (consumer, lane) DO UPDATE SET packed_through = excluded.packed_through,"
          + " updated_at = excluded.updated_at";

  private static final String TOUCHING =
      "DELETE FROM outbox_delivered WHERE consumer = ? AND from_seq <= ? AND to_seq >= ?"
          + " RETURNING from_seq, to_seq";

  private static final String INSERT_RANGE =
      "INSERT INTO outbox_delivered (consumer, from_seq, to_seq) VALUES (?, ?, ?)";

  private static final String RANGES =
      "SELECT from_seq, to_seq FROM outbox_delivered"
          + " WHERE consumer = ? AND to_seq >= ? AND from_seq <= ? ORDER BY from_seq";

  private final DataSource dataSource;
  private final String consumer;

  /**
   * @param consumer {@code uplink.outbox.consumer}
   */
  public DeliveryLedger(DataSource dataSource, String consumer) {
    this.dataSource = dataSource;
    this.consumer = consumer;
  }

  /** The stored positions; a lane without a row is absent. */
  public Map<Lane, OutboxPosition> positions() throws SQLException {
    Map<Lane, OutboxPosition> out = new EnumMap<>(Lane.class);
    read(out, null);
    return out;
  }

  /**
   * Per lane, the seq up to which every alarm event is acknowledged, where that is beyond the
   * position (see {@link LaneCursor#alarmsThrough()}); a lane without one is absent.
   */
  public Map<Lane, Long> alarmsThrough() throws SQLException {
    Map<Lane, Long> out = new EnumMap<>(Lane.class);
    read(null, out);
    return out;
  }

  private void read(Map<Lane, OutboxPosition> positions, Map<Lane, Long> alarms)
      throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(POSITIONS)) {
      ps.setString(1, consumer);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Integer series = rs.getObject(3, Integer.class);
          OffsetDateTime ts = rs.getObject(4, OffsetDateTime.class);
          Long alarmsThrough = rs.getObject(5, Long.class);
          for (Lane lane : Lane.values()) {
            if (!lane.column().equals(rs.getString(1))) {
              continue;
            }
            if (positions != null) {
              positions.put(
                  lane,
                  new OutboxPosition(rs.getLong(2), series, ts == null ? null : ts.toInstant()));
            }
            if (alarms != null && alarmsThrough != null) {
              alarms.put(lane, alarmsThrough);
            }
          }
        }
      }
    }
  }

  /** Stores a lane's position, and the range it newly acknowledged in full, in one transaction. */
  public void store(Lane lane, OutboxPosition position, Range delivered) throws SQLException {
    store(lane, position, delivered, position.completeThrough());
  }

  /**
   * Stores a lane's position with its alarm mark, and the range it newly acknowledged in full, in
   * one transaction.
   */
  public void store(Lane lane, OutboxPosition position, Range delivered, long alarmsThrough)
      throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        upsert(c, lane, position, alarmsThrough);
        if (delivered != null) {
          merge(c, delivered);
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(auto);
      }
    }
  }

  /**
   * The seq up to which the backfill lane may pack commits (see {@link OutboxDelivery}), as the
   * last run stored it; null when none did.
   */
  public Long packedThrough() throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(PACKED_THROUGH)) {
      ps.setString(1, consumer);
      ps.setString(2, Lane.BACKFILL.column());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getObject(1, Long.class) : null;
      }
    }
  }

  /**
   * Stores {@link #packedThrough()}; the backfill lane's row gets {@code position} if it has none
   * yet.
   */
  public void storePackedThrough(long packedThrough, OutboxPosition position) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(SET_PACKED_THROUGH)) {
      ps.setString(1, consumer);
      ps.setString(2, Lane.BACKFILL.column());
      ps.setLong(3, position.seq());
      if (position.partial()) {
        ps.setInt(4, position.seriesId());
        ps.setTimestamp(5, Timestamp.from(position.ts()));
      } else {
        ps.setNull(4, Types.INTEGER);
        ps.setNull(5, Types.TIMESTAMP_WITH_TIMEZONE);
      }
      ps.setLong(6, position.completeThrough());
      ps.setLong(7, packedThrough);
      ps.executeUpdate();
    }
  }

  /** The acknowledged ranges that overlap {@code [from, to]}, ascending. */
  public List<Range> delivered(long from, long to) throws SQLException {
    List<Range> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(RANGES)) {
      ps.setString(1, consumer);
      ps.setLong(2, from);
      ps.setLong(3, to);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Range(rs.getLong(1), rs.getLong(2)));
        }
      }
    }
    return out;
  }

  private void upsert(Connection c, Lane lane, OutboxPosition p, long alarmsThrough)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(UPSERT)) {
      ps.setString(1, consumer);
      ps.setString(2, lane.column());
      ps.setLong(3, p.seq());
      if (p.partial()) {
        ps.setInt(4, p.seriesId());
        ps.setTimestamp(5, Timestamp.from(p.ts()));
      } else {
        ps.setNull(4, Types.INTEGER);
        ps.setNull(5, Types.TIMESTAMP_WITH_TIMEZONE);
      }
      ps.setLong(6, Math.max(alarmsThrough, p.completeThrough()));
      ps.executeUpdate();
    }
  }

  private void merge(Connection c, Range r) throws SQLException {
    long from = r.from();
    long to = r.to();
    try (PreparedStatement ps = c.prepareStatement(TOUCHING)) {
      ps.setString(1, consumer);
      ps.setLong(2, to == Long.MAX_VALUE ? to : to + 1);
      ps.setLong(3, from == Long.MIN_VALUE ? from : from - 1);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          from = Math.min(from, rs.getLong(1));
          to = Math.max(to, rs.getLong(2));
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement(INSERT_RANGE)) {
      ps.setString(1, consumer);
      ps.setLong(2, from);
      ps.setLong(3, to);
      ps.executeUpdate();
    }
  }
}
