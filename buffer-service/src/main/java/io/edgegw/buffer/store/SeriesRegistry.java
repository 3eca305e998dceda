package io.edgegw.buffer.store;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The {@code series} dictionary: device and tag to id. Ids are cached only after the transaction
 * that created them committed, so a rolled-back flush can never leave a cached id that the database
 * does not hold.
 */
public final class SeriesRegistry {
  private final Map<SeriesKey, Integer> committed = new ConcurrentHashMap<>();
  private final Function<SeriesKey, String> units;

  /**
   * @param units the unit of a series from devices.yaml, or null when unknown
   */
  public SeriesRegistry(Function<SeriesKey, String> units) {
    this.units = units;
  }

  /** The cached id of a series, or null. */
  public Integer cached(SeriesKey key) {
    return committed.get(key);
  }

  /**
   * Ids for every key, creating missing series in the caller's transaction. Call {@link #remember}
   * with the result once that transaction committed.
   *
   * @param kinds the series to resolve, each with the kind of its first known value (or null)
   */
  public Map<SeriesKey, Integer> resolve(Connection c, Map<SeriesKey, String> kinds)
      throws SQLException {
    Map<SeriesKey, Integer> ids = new HashMap<>(kinds.size() * 2);
    Map<SeriesKey, String> missing = new LinkedHashMap<>();
    for (Map.Entry<SeriesKey, String> e : kinds.entrySet()) {
      Integer id = committed.get(e.getKey());
      if (id == null) {
        missing.put(e.getKey(), e.getValue());
      } else {
        ids.put(e.getKey(), id);
      }
    }
    if (missing.isEmpty()) {
      return ids;
    }
    int n = missing.size();
    String[] devices = new String[n];
    String[] tags = new String[n];
    String[] kindArr = new String[n];
    String[] unitArr = new String[n];
    int i = 0;
    for (Map.Entry<SeriesKey, String> e : missing.entrySet()) {
      devices[i] = e.getKey().device();
      tags[i] = e.getKey().tag();
      kindArr[i] = e.getValue();
      unitArr[i] = units.apply(e.getKey());
      i++;
    }
    // DO UPDATE (not DO NOTHING) so that RETURNING yields the id of existing rows too; it also
    // fills a kind that was unknown when the series was first seen.
    String sql =
        "INSERT INTO series (device, tag, kind, unit)"
            + " SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[])"
            + " ON CONFLICT (device, tag) DO UPDATE"
            + " SET kind = COALESCE(series.kind, EXCLUDED.kind),"
            + " unit = COALESCE(EXCLUDED.unit, series.unit)"
            + " RETURNING id, device, tag";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      Array[] arrays = {
        c.createArrayOf("text", devices),
        c.createArrayOf("text", tags),
        c.createArrayOf("text", kindArr),
        c.createArrayOf("text", unitArr)
      };
      for (int k = 0; k < arrays.length; k++) {
        ps.setArray(k + 1, arrays[k]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.put(new SeriesKey(rs.getString(2), rs.getString(3)), rs.getInt(1));
        }
      }
    }
    return ids;
  }

  /** Caches ids from a committed transaction. */
  public void remember(Map<SeriesKey, Integer> ids) {
    committed.putAll(ids);
  }

  /** Drops the cache, e.g. after a database restore. */
  public void forget() {
    committed.clear();
  }
}
