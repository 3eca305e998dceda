package io.edgegw.buffer.maintenance;

import io.edgegw.buffer.store.DayPartitions;
import io.edgegw.buffer.store.StoreMode;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Retention and the disk quota, run on a schedule with the service's clock.
 *
 * <p><b>Retention</b> removes whole days (plain mode) or chunks (TimescaleDB) that lie entirely
 * before {@code now - retention}: data is kept at least the retention and at most one day longer.
 * The rest of a commit that has rows in such a day goes with it (plain mode): a commit is kept or
 * removed whole.
 *
 * <p><b>Quota</b>, when the stored data (tables and indexes) is larger than the quota:
 *
 * <ol>
 *   <li>data already delivered to the cloud goes first, oldest day first: a day holding only
 *       delivered rows is dropped; a day mixing both loses its delivered rows and is compacted;
 *   <li>only if that is not enough, unsent data goes, oldest first, one {@code dropStep} of time at
 *       a time (TimescaleDB: a chunk at a time), in whole commits: each step removes every commit
 *       that holds a row of that step, with all of its rows wherever they lie, so no commit is ever
 *       left in part (see {@link #removeCommits}). Each step is recorded in {@code data_dropped}
 *       (range and row count) and counted in {@code buffer_data_dropped_rows_total}.
 * </ol>
 *
 * A row counts as delivered when its {@code ingest_seq} lies in a range that the outbox consumer
 * {@code deliveredBy} recorded in {@code outbox_delivered}.
 */
public final class StoreMaintenance {
  private static final Logger LOG = Logger.getLogger(StoreMaintenance.class);

  /** Policy settings. */
  public record Settings(
      Duration retention, long quotaBytes, Duration dropStep, int daysAhead, String deliveredBy) {
    public Settings {
      if (retention.compareTo(Duration.ofDays(1)) < 0) {
        throw new IllegalArgumentException("retention must be at least 1d, got " + retention);
      }
      if (quotaBytes < 1) {
        throw new IllegalArgumentException("quota must be positive, got " + quotaBytes);
      }
      if (dropStep.compareTo(Duration.ofMinutes(1)) < 0) {
        throw new IllegalArgumentException("quota drop step must be at least 1m, got " + dropStep);
      }
      if (daysAhead < 0 || daysAhead > 30) {
        throw new IllegalArgumentException("days ahead must be 0..30, got " + daysAhead);
      }
    }
  }

  /** One recorded removal of unsent data. */
  public record Drop(Instant from, Instant to, long rows, String reason) {}

  /** What one run did. */
  public record Report(
      long bytesBefore,
      long bytesAfter,
      int daysDropped,
      long deliveredRowsRemoved,
      List<Drop> drops) {}

  private static final String DELIVERED =
      "EXISTS (SELECT 1 FROM outbox_delivered d WHERE d.consumer = ?"
          + " AND s.ingest_seq BETWEEN d.from_seq AND d.to_seq)";

  private final DataSource dataSource;
  private final StoreMode mode;
  private final DayPartitions partitions;
  private final Settings settings;
  private final MeterRegistry registry;
  private final AtomicLong storeBytes = new AtomicLong();
  private volatile Drop lastDrop;

  public StoreMaintenance(
      DataSource dataSource,
      StoreMode mode,
      DayPartitions partitions,
      Settings settings,
      MeterRegistry registry) {
    this.dataSource = dataSource;
    this.mode = mode;
    this.partitions = partitions;
    this.settings = settings;
    this.registry = registry;
    registry.gauge("buffer_store_bytes", storeBytes);
    // A gauge holds its object weakly: a boxed long would be collected and read NaN.
    registry.gauge("buffer_store_quota_bytes", settings, Settings::quotaBytes);
  }

  /** Stored bytes measured by the last run. */
  public long storeBytes() {
    return storeBytes.get();
  }

  /** The last removal of unsent data, or null. */
  public Drop lastDrop() {
    return lastDrop;
  }

  /** Runs retention, then the quota, at {@code now}. */
  public synchronized Report run(Instant now) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      try (Statement s = c.createStatement()) {
        // Dropping a partition needs an exclusive lock on the parent, which a long API export
        // holds off; while the DROP waits, inserts queue behind it. Give up quickly and try
        // again on the next run rather than stall ingest.
        s.execute("SET lock_timeout = '2s'");
      }
      long before = measure(c);
      List<Drop> drops = new ArrayList<>();
      Set<Drop> recorded = Collections.newSetFromMap(new IdentityHashMap<>());
      int days = 0;
      if (mode == StoreMode.PLAIN) {
        createAhead(c, now);
        days += retainPlain(c, now, drops);
      } else {
        retainTimescale(c, now, drops);
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM alarm_event WHERE ts < ?")) {
        ps.setTimestamp(1, Timestamp.from(now.minus(settings.retention())));
        ps.executeUpdate();
      }
      long[] delivered = {0};
      long size = measure(c);
      if (size > settings.quotaBytes()) {
        size =
            mode == StoreMode.PLAIN
                ? quotaPlain(c, now, size, drops, recorded, delivered)
                : quotaTimescale(c, now, size, drops, delivered);
        if (size > settings.quotaBytes()) {
          LOG.errorf(
              "the store holds %d bytes, over its quota of %d, and has no samples left to remove",
              size, settings.quotaBytes());
        }
      }
      for (Drop d : drops) {
        if (!recorded.contains(d)) {
          record(c, now, d);
        }
      }
      storeBytes.set(size);
      return new Report(before, size, days, delivered[0], drops);
    }
  }

  /** Stored bytes: samples (all partitions or chunks) and alarm events, with their indexes. */
  public long measure(Connection c) throws SQLException {
    String sql =
        mode == StoreMode.PLAIN
            ? "SELECT (SELECT COALESCE(sum(pg_total_relation_size(relid)), 0)"
                + " FROM pg_partition_tree('sample'))"
                + " + pg_total_relation_size('alarm_event')"
            : "SELECT hypertable_size('sample') + pg_total_relation_size('alarm_event')";
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void createAhead(Connection c, Instant now) throws SQLException {
    LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
    List<LocalDate> days = new ArrayList<>();
    for (int i = 0; i <= settings.daysAhead(); i++) {
      days.add(today.plusDays(i));
    }
    partitions.remember(partitions.ensure(c, days));
  }

  private int retainPlain(Connection c, Instant now, List<Drop> drops) throws SQLException {
    Instant cutoff = now.minus(settings.retention());
    int dropped = 0;
    for (LocalDate day : DayPartitions.existing(c)) {
      Instant end = day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
      if (end.isAfter(cutoff)) {
        break;
      }
      String table = DayPartitions.nameOf(day);
      Counts counts = counts(c, table);
      if (counts.unsent() > 0) {
        drops.add(new Drop(counts.unsentFrom(), counts.unsentTo(), counts.unsent(), "retention"));
      }
      // Commits that straddle the day's end go whole, as with the quota.
      Removed rest = removeCommits(c, table, null, true);
      if (rest.unsent() > 0) {
        drops.add(new Drop(rest.from(), rest.to(), rest.unsent(), "retention"));
      }
      dropDay(c, day);
      dropped++;
      LOG.infof(
          "retention: dropped %s (%d rows, %d never sent)", table, counts.rows(), counts.unsent());
    }
    return dropped;
  }

  private long quotaPlain(
      Connection c, Instant now, long size, List<Drop> drops, Set<Drop> recorded, long[] delivered)
      throws SQLException {
    // 1. Delivered data, oldest day first.
    for (LocalDate day : DayPartitions.existing(c)) {
      if (size <= settings.quotaBytes()) {
        return size;
      }
      String table = DayPartitions.nameOf(day);
      Counts counts = counts(c, table);
      long sent = counts.rows() - counts.unsent();
      if (sent == 0) {
        continue;
      }
      if (counts.unsent() == 0 && !isCurrentOrAhead(day, now)) {
        dropDay(c, day);
      } else {
        try (PreparedStatement ps =
            c.prepareStatement("DELETE FROM " + table + " s WHERE " + DELIVERED)) {
          ps.setString(1, settings.deliveredBy());
          ps.executeUpdate();
        }
        compact(c, table);
      }
      delivered[0] += sent;
      LOG.infof("quota: removed %d delivered rows of %s", sent, table);
      size = measure(c);
    }
    // 2. Unsent data, oldest first, one step at a time, in whole commits.
    while (size > settings.quotaBytes()) {
      LocalDate oldest = oldestDayWithRows(c);
      if (oldest == null) {
        return size;
      }
      String table = DayPartitions.nameOf(oldest);
      Instant from;
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT min(ts) FROM " + table)) {
        rs.next();
        from = rs.getTimestamp(1).toInstant();
      }
      Instant cut = from.plus(settings.dropStep());
      Removed removed = removeCommits(c, table, cut, false);
      delivered[0] += removed.delivered();
      if (removed.unsent() > 0) {
        Drop drop = new Drop(removed.from(), removed.to(), removed.unsent(), "quota");
        // Recorded at once, before the compaction below, which may fail (lock timeout): a failure
        // later in the run must not lose the record of what this step removed.
        record(c, now, drop);
        recorded.add(drop);
        drops.add(drop);
        LOG.warnf(
            "quota: dropped %d unsent rows from %s to %s to stay under %d bytes",
            removed.unsent(), removed.from(), removed.to(), settings.quotaBytes());
      }
      for (String part : removed.partitions()) {
        if (part.equals(table) && isEmpty(c, table) && !isCurrentOrAhead(oldest, now)) {
          dropDay(c, oldest);
        } else {
          compact(c, part);
        }
      }
      size = measure(c);
    }
    return size;
  }

  /**
   * What {@link #removeCommits} removed.
   *
   * @param unsent rows no delivered range covered
   * @param delivered rows already delivered
   * @param from time of the oldest unsent row removed, or null
   * @param to time of the newest unsent row removed, or null
   * @param partitions the tables (day partitions or chunks) that lost rows
   */
  private record Removed(
      long unsent, long delivered, Instant from, Instant to, List<String> partitions) {}

  /**
   * Removes every sample of the commits that have a row in {@code table} before {@code before}
   * (every row of the table when null), wherever their rows lie; with {@code elsewhereOnly}, only
   * their rows outside {@code table} (which the caller drops whole).
   *
   * <p>The quota removes whole commits, never a part of one: uplink-service reads a commit too
   * large for one message in parts by row position, commits being immutable once visible, so
   * removing some rows of a commit it is sending shifted its later parts past rows that then never
   * left (found by FaultsProcessIT). The search for the commits' other rows is bounded by their seq
   * range, which the BRIN index on {@code ingest_seq} narrows to the pages of that range.
   */
  private Removed removeCommits(Connection c, String table, Instant before, boolean elsewhereOnly)
      throws SQLException {
    String touched = "SELECT ingest_seq FROM " + table + (before == null ? "" : " WHERE ts < ?");
    long unsent = 0;
    long sent = 0;
    Instant from = null;
    Instant to = null;
    List<String> parts = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "WITH gone AS (DELETE FROM sample s WHERE s.ingest_seq IN ("
                + touched
                + ") AND s.ingest_seq BETWEEN (SELECT min(ingest_seq) FROM ("
                + touched
                + ") t) AND (SELECT max(ingest_seq) FROM ("
                + touched
                + ") t)"
                + (elsewhereOnly ? " AND s.tableoid <> '" + table + "'::regclass" : "")
                + " RETURNING s.tableoid::regclass::text AS part, s.ingest_seq, s.ts)"
                + " SELECT part, count(*) FILTER (WHERE NOT "
                + DELIVERED
                + "), count(*), min(ts) FILTER (WHERE NOT "
                + DELIVERED
                + "), max(ts) FILTER (WHERE NOT "
                + DELIVERED
                + ") FROM gone s GROUP BY part")) {
      int i = 1;
      if (before != null) {
        for (int k = 0; k < 3; k++) {
          ps.setTimestamp(i++, Timestamp.from(before));
        }
      }
      for (int k = 0; k < 3; k++) {
        ps.setString(i++, settings.deliveredBy());
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          parts.add(rs.getString(1));
          long u = rs.getLong(2);
          unsent += u;
          sent += rs.getLong(3) - u;
          if (u > 0) {
            Instant f = rs.getTimestamp(4).toInstant();
            Instant t = rs.getTimestamp(5).toInstant();
            from = from == null || f.isBefore(from) ? f : from;
            to = to == null || t.isAfter(to) ? t : to;
          }
        }
      }
    }
    return new Removed(unsent, sent, from, to, parts);
  }

  private void retainTimescale(Connection c, Instant now, List<Drop> drops) throws SQLException {
    Instant cutoff = now.minus(settings.retention());
    for (Chunk chunk : chunks(c)) {
      if (chunk.end().isAfter(cutoff)) {
        break;
      }
      Counts counts = counts(c, chunk.name());
      if (counts.unsent() > 0) {
        drops.add(new Drop(counts.unsentFrom(), counts.unsentTo(), counts.unsent(), "retention"));
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement("SELECT drop_chunks('sample', older_than => ?::timestamptz)")) {
      ps.setTimestamp(1, Timestamp.from(cutoff));
      ps.execute();
    }
  }

  /** TimescaleDB works in whole chunks: delivered chunks first, then the oldest chunks. */
  private long quotaTimescale(
      Connection c, Instant now, long size, List<Drop> drops, long[] delivered)
      throws SQLException {
    List<Chunk> all = chunks(c);
    for (Chunk chunk : all) {
      if (size <= settings.quotaBytes()) {
        return size;
      }
      Counts counts = counts(c, chunk.name());
      if (counts.unsent() == 0 && chunk.end().isBefore(now)) {
        dropChunk(c, chunk);
        delivered[0] += counts.rows();
        size = measure(c);
      }
    }
    for (Chunk chunk : chunks(c)) {
      if (size <= settings.quotaBytes()) {
        return size;
      }
      Counts counts = counts(c, chunk.name());
      if (counts.unsent() > 0) {
        drops.add(new Drop(counts.unsentFrom(), counts.unsentTo(), counts.unsent(), "quota"));
      }
      delivered[0] += counts.rows() - counts.unsent();
      // A chunk's edge cuts through commits; their rows in later chunks go too (whole commits).
      Removed rest = removeCommits(c, chunk.name(), null, true);
      dropChunk(c, chunk);
      delivered[0] += rest.delivered();
      if (rest.unsent() > 0) {
        drops.add(new Drop(rest.from(), rest.to(), rest.unsent(), "quota"));
      }
      size = measure(c);
    }
    return size;
  }

  private record Chunk(String name, Instant start, Instant end) {}

  private static List<Chunk> chunks(Connection c) throws SQLException {
    List<Chunk> out = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT format('%I.%I', chunk_schema, chunk_name), range_start, range_end"
                    + " FROM timescaledb_information.chunks WHERE hypertable_name = 'sample'"
                    + " ORDER BY range_start")) {
      while (rs.next()) {
        out.add(
            new Chunk(
                rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getTimestamp(3).toInstant()));
      }
    }
    return out;
  }

  private static void dropChunk(Connection c, Chunk chunk) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT drop_chunks('sample', older_than => ?::timestamptz,"
                + " newer_than => ?::timestamptz)")) {
      ps.setTimestamp(1, Timestamp.from(chunk.end()));
      ps.setTimestamp(2, Timestamp.from(chunk.start()));
      ps.execute();
    }
  }

  private record Counts(long rows, long unsent, Instant unsentFrom, Instant unsentTo) {}

  private Counts counts(Connection c, String table) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT count(*), count(*) FILTER (WHERE NOT "
                + DELIVERED
                + "), min(ts) FILTER (WHERE NOT "
                + DELIVERED
                + "), max(ts) FILTER (WHERE NOT "
                + DELIVERED
                + ") FROM "
                + table
                + " s")) {
      for (int i = 1; i <= 3; i++) {
        ps.setString(i, settings.deliveredBy());
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        Timestamp from = rs.getTimestamp(3);
        Timestamp to = rs.getTimestamp(4);
        return new Counts(
            rs.getLong(1),
            rs.getLong(2),
            from == null ? null : from.toInstant(),
            to == null ? null : to.toInstant());
      }
    }
  }

  private static boolean isCurrentOrAhead(LocalDate day, Instant now) {
    return !day.isBefore(LocalDate.ofInstant(now, ZoneOffset.UTC));
  }

  private static boolean isEmpty(Connection c, String table) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT NOT EXISTS (SELECT 1 FROM " + table + ")")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  private static LocalDate oldestDayWithRows(Connection c) throws SQLException {
    for (LocalDate day : DayPartitions.existing(c)) {
      if (!isEmpty(c, DayPartitions.nameOf(day))) {
        return day;
      }
    }
    return null;
  }

  private void dropDay(Connection c, LocalDate day) throws SQLException {
    partitions.forget(day);
    try (Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + DayPartitions.nameOf(day));
    }
  }

  /** Rewrites a partition so that the space of deleted rows is given back to the disk. */
  private static void compact(Connection c, String table) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("VACUUM FULL " + table);
    }
  }

  private void record(Connection c, Instant now, Drop d) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO data_dropped (recorded_at, from_ts, to_ts, row_count, reason)"
                + " VALUES (?, ?, ?, ?, ?)")) {
      ps.setTimestamp(1, Timestamp.from(now));
      ps.setTimestamp(2, Timestamp.from(d.from()));
      ps.setTimestamp(3, Timestamp.from(d.to()));
      ps.setLong(4, d.rows());
      ps.setString(5, d.reason());
      ps.executeUpdate();
    }
    registry.counter("buffer_data_dropped_rows_total", "reason", d.reason()).increment(d.rows());
    registry.counter("buffer_data_dropped_events_total", "reason", d.reason()).increment();
    lastDrop = d;
    LOG.warnf(
        "data_dropped: %d unsent rows from %s to %s (%s)", d.rows(), d.from(), d.to(), d.reason());
  }
}
