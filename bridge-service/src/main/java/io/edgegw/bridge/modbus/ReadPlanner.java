package io.edgegw.bridge.modbus;

import io.edgegw.bridge.Table;
import io.edgegw.bridge.TagSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Plans the fewest Modbus reads that cover a set of tags of one device and one poll group: one
 * table per request, each request within the device's limit, and two tags in one request only when
 * the unread gap between them is at most {@code maxGap}. Pure.
 */
public final class ReadPlanner {
  private ReadPlanner() {}

  /**
   * @param tags tags of one device and one poll group, in any order
   * @param maxRegisters most registers one request may read (holding, input)
   * @param maxBits most bits one request may read (coils, discrete inputs)
   * @param maxGap most unused addresses a request may read through to join two tags
   * @return the requests, ordered by table then address
   * @throws IllegalArgumentException if a tag alone is wider than the limit of its table
   */
  public static List<ReadRequest> plan(
      List<TagSpec> tags, int maxRegisters, int maxBits, int maxGap) {
    Map<Table, List<TagSpec>> byTable = new EnumMap<>(Table.class);
    for (TagSpec t : tags) {
      byTable.computeIfAbsent(t.table(), k -> new ArrayList<>()).add(t);
    }
    List<ReadRequest> out = new ArrayList<>();
    byTable.forEach((table, list) ->
        out.addAll(planTable(table, list, table.isBitTable() ? maxBits : maxRegisters, maxGap)));
    return out;
  }

  // Greedy from the lowest address is optimal here: with tags sorted by start address, extending
  // the current request as far as the limit and the gap allow never leaves a tag that a
  // different split could have covered with fewer requests (the standard exchange argument for
  // covering sorted intervals with windows of bounded length).
  private static List<ReadRequest> planTable(
      Table table, List<TagSpec> tags, int limit, int maxGap) {
    List<TagSpec> sorted = new ArrayList<>(tags);
    sorted.sort(Comparator.comparingInt(TagSpec::address).thenComparingInt(TagSpec::lastAddress));
    List<ReadRequest> out = new ArrayList<>();
    int start = -1;
    int end = -1;
    List<TagSpec> members = new ArrayList<>();
    for (TagSpec t : sorted) {
      if (t.width() > limit) {
        throw new IllegalArgumentException(
            "tag "
                + t.name()
                + " spans "
                + t.width()
                + " addresses, over the limit of "
                + limit
                + " per request");
      }
      boolean fits =
          start >= 0
              && t.address() - end - 1 <= maxGap
              && Math.max(end, t.lastAddress()) - start + 1 <= limit;
      if (!fits) {
        if (start >= 0) {
          out.add(new ReadRequest(table, start, end - start + 1, members));
        }
        start = t.address();
        end = t.lastAddress();
        members = new ArrayList<>();
      } else {
        end = Math.max(end, t.lastAddress());
      }
      members.add(t);
    }
    if (start >= 0) {
      out.add(new ReadRequest(table, start, end - start + 1, members));
    }
    return out;
  }
}
