package io.edgegw.offline;

import com.fasterxml.jackson.databind.JsonNode;
import io.edgegw.testsupport.CloudApplication;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the cloud received, for the fault suite: every telemetry message deduplicated by its key, as
 * a cloud application does, and every sample of every series (the plant's and the bridge's) by
 * {@link #key}, the store's series id and the sample time. It also follows the first-arrival order
 * of each series per lane, and the newest sample time of each device.
 */
final class CloudLedger {
  private final FaultGateway gw;
  private final Map<String, Integer> seriesIds = new HashMap<>();

  /** The sample keys of each message key's first arrival, sorted. */
  private final Map<String, long[]> messageKeys = new HashMap<>();

  final List<String> keyConflicts = new ArrayList<>();
  private final Map<String, Long> lastPerLane = new HashMap<>();
  private final Map<String, Long> newest = new HashMap<>();
  private final java.util.NavigableSet<Long> bridgeTimes = new java.util.TreeSet<>();
  private int next;
  final Set<Long> seen = new HashSet<>();
  final Set<Long> twice = new HashSet<>();
  final Set<String> outOfOrder = new LinkedHashSet<>();
  int messages;
  int duplicateKeys;

  CloudLedger(FaultGateway gw) {
    this.gw = gw;
  }

  /** A sample's identity: the store's primary key (series id, time in epoch ms). */
  static long key(int seriesId, long t) {
    return ((long) seriesId << 44) | t;
  }

  /** Decodes what arrived since the last call; returns the distinct samples so far. */
  synchronized int update() throws SQLException {
    List<CloudApplication.Received> received = gw.cloudApp.received();
    for (; next < received.size(); next++) {
      CloudApplication.Received r = received.get(next);
      if (!r.topic().equals(FaultGateway.ROOT + "/telemetry")) {
        continue;
      }
      JsonNode m = CloudView.decode(r);
      messages++;
      String key = m.get("key").asText();
      long[] rows = sampleKeys(m);
      long[] first = messageKeys.putIfAbsent(key, rows);
      if (first != null) {
        duplicateKeys++;
        // The contract: a key always names the same rows, or fewer of them once the quota removed
        // their commit, so the cloud may drop a resend.
        if (!contains(first, rows)) {
          keyConflicts.add(
              key + " (" + rows.length + " samples this time, " + first.length + " before)");
        }
        continue;
      }
      String lane = m.get("lane").asText();
      for (JsonNode s : m.get("samples")) {
        String device = s.get("device").asText();
        String series = device + "/" + s.get("tag").asText();
        long t = s.get("t").asLong();
        long k = key(seriesId(series), t);
        if (!seen.add(k)) {
          twice.add(k);
          continue;
        }
        newest.merge(device, t, Math::max);
        if (device.equals(FaultGateway.PLC)) {
          bridgeTimes.add(t);
        }
        // The contract orders each series per lane by commit; the plant commits each series in
        // time order, so its first arrivals per lane must go forward in time. (The bridge's
        // samples follow its clock, which the suite steps back on purpose.)
        if (device.startsWith("d")) {
          Long last = lastPerLane.put(lane + " " + series, t);
          if (last != null && t < last) {
            outOfOrder.add(series + " on " + lane);
          }
        }
      }
    }
    return seen.size();
  }

  private long[] sampleKeys(JsonNode m) throws SQLException {
    long[] out = new long[m.get("samples").size()];
    int i = 0;
    for (JsonNode s : m.get("samples")) {
      out[i++] =
          key(
              seriesId(s.get("device").asText() + "/" + s.get("tag").asText()),
              s.get("t").asLong());
    }
    java.util.Arrays.sort(out);
    return out;
  }

  /** Whether every key of {@code part} is in {@code whole} (both sorted). */
  private static boolean contains(long[] whole, long[] part) {
    for (long k : part) {
      if (java.util.Arrays.binarySearch(whole, k) < 0) {
        return false;
      }
    }
    return true;
  }

  /** The newest sample time of {@code device} at the cloud, or -1. */
  synchronized long newest(String device) throws SQLException {
    update();
    return newest.getOrDefault(device, -1L);
  }

  /** Whether a bridge sample stamped in {@code [from, to]} is at the cloud. */
  synchronized boolean bridgeSampleBetween(long from, long to) throws SQLException {
    update();
    Long t = bridgeTimes.ceiling(from);
    return t != null && t <= to;
  }

  synchronized int seriesId(String series) throws SQLException {
    Integer id = seriesIds.get(series);
    if (id == null) {
      try (Connection c = gw.connect();
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT id, device, tag FROM series")) {
        while (rs.next()) {
          seriesIds.put(rs.getString(2) + "/" + rs.getString(3), rs.getInt(1));
        }
      }
      id = seriesIds.get(series);
      if (id == null) {
        throw new AssertionError("the cloud got series " + series + ", which the store never had");
      }
    }
    return id;
  }

  /** Keys of the rows of {@code sql} (series_id, ts) read from the store. */
  static Set<Long> keys(FaultGateway gw, String sql) throws SQLException {
    Set<Long> out = new HashSet<>();
    try (Connection c = gw.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(key(rs.getInt(1), rs.getTimestamp(2).getTime()));
      }
    }
    return out;
  }

  /** Up to {@code n} elements of {@code set}, for failure messages. */
  static List<Long> some(Set<Long> set, int n) {
    List<Long> out = new ArrayList<>();
    for (Long k : set) {
      if (out.size() == n) {
        break;
      }
      out.add(k);
    }
    return out;
  }
}
