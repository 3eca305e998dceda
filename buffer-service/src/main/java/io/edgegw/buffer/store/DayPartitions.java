package io.edgegw.buffer.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The daily partitions of {@code sample} in {@link StoreMode#PLAIN} mode, named {@code
 * sample_dYYYYMMDD} and covering one UTC day each. The writer asks for the days of each flush;
 * maintenance creates the next days ahead of time, so the midnight roll-over needs no DDL on the
 * write path, and drops whole days for retention.
 */
public final class DayPartitions {
  private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("'sample_d'yyyyMMdd");
  private static final Pattern NAME_PATTERN = Pattern.compile("sample_d(\\d{8})");

  private final Set<LocalDate> known = ConcurrentHashMap.newKeySet();

  /** The UTC day of an epoch-millisecond timestamp. */
  public static LocalDate dayOf(long epochMillis) {
    return LocalDate.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneOffset.UTC);
  }

  /** The partition table name of a day. */
  public static String nameOf(LocalDate day) {
    return NAME.format(day);
  }

  /**
   * Creates the partitions of {@code days} that are not known to exist, in the caller's
   * transaction. Returns the days created or confirmed; pass them to {@link #remember} after the
   * commit.
   */
  public List<LocalDate> ensure(Connection c, Collection<LocalDate> days) throws SQLException {
    List<LocalDate> checked = new ArrayList<>();
    for (LocalDate day : new TreeSet<>(days)) {
      if (known.contains(day)) {
        continue;
      }
      try (Statement s = c.createStatement()) {
        s.execute(
            "CREATE TABLE IF NOT EXISTS "
                + nameOf(day)
                + " PARTITION OF sample FOR VALUES FROM ('"
                + day
                + " 00:00:00+00') TO ('"
                + day.plusDays(1)
                + " 00:00:00+00')");
      }
      checked.add(day);
    }
    return checked;
  }

  /** Marks days as existing after the transaction that created them committed. */
  public void remember(Collection<LocalDate> days) {
    known.addAll(days);
  }

  /** Forgets a day, after it was dropped or when an insert found it missing. */
  public void forget(LocalDate day) {
    known.remove(day);
  }

  /** Forgets every day. */
  public void forgetAll() {
    known.clear();
  }

  /** The days that have a partition, oldest first, read from the catalogue. */
  public static List<LocalDate> existing(Connection c) throws SQLException {
    List<LocalDate> days = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT c.relname FROM pg_inherits i"
                    + " JOIN pg_class c ON c.oid = i.inhrelid"
                    + " WHERE i.inhparent = 'sample'::regclass ORDER BY c.relname")) {
      while (rs.next()) {
        Matcher m = NAME_PATTERN.matcher(rs.getString(1));
        if (m.matches()) {
          days.add(LocalDate.parse(m.group(1), DateTimeFormatter.BASIC_ISO_DATE));
        }
      }
    }
    return days;
  }
}
