package io.edgegw.bridge.modbus;

import io.edgegw.bridge.Table;
import io.edgegw.bridge.TagSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Plans the fewest Modbus reads that cover the tags of one device and one poll group. Each request
 * reads one table, stays within the device's limit ({@code maxRegisters} for holding and input
 * registers, {@code maxBits} for coils and discrete inputs), holds every one of its tags whole, and
 * reads through at most {@code maxGap} unused addresses between two of its tags. Tags may overlap
 * (several {@code BIT} tags of one register, an int16 and a float32 at the same address). Pure.
 */
public final class ReadPlanner {
  private ReadPlanner() {}

  private static final Comparator<TagSpec> BY_ADDRESS =
      Comparator.comparingInt(TagSpec::address).thenComparingInt(TagSpec::lastAddress);

  /**
   * Plans the reads of one poll group.
   *
   * @param tags tags of one device and one poll group, in any order
   * @param maxRegisters most registers one request may read (holding, input), at least 1
   * @param maxBits most bits one request may read (coils, discrete inputs), at least 1
   * @param maxGap most unused addresses a request may read through to join two tags, at least 0
   * @return the requests, ordered by table then address; each request's tags ordered by address
   * @throws IllegalArgumentException if a tag alone is wider than the limit of its table, if the
   *     tags belong to more than one poll group, or if a limit is out of range
   */
  public static List<ReadRequest> plan(
      List<TagSpec> tags, int maxRegisters, int maxBits, int maxGap) {
    if (maxRegisters < 1 || maxBits < 1 || maxGap < 0) {
      throw new IllegalArgumentException(
          "limits must be maxRegisters >= 1, maxBits >= 1, maxGap >= 0; got "
              + maxRegisters
              + ", "
              + maxBits
              + ", "
              + maxGap);
    }
    Map<Table, List<TagSpec>> byTable = new EnumMap<>(Table.class);
    String group = null;
    for (TagSpec t : tags) {
      if (group == null) {
        group = t.pollGroup();
      } else if (!group.equals(t.pollGroup())) {
        throw new IllegalArgumentException(
            "tags of poll groups "
                + group
                + " and "
                + t.pollGroup()
                + " cannot share a plan (tag "
                + t.name()
                + ")");
      }
      byTable.computeIfAbsent(t.table(), k -> new ArrayList<>()).add(t);
    }
    List<ReadRequest> out = new ArrayList<>();
    // EnumMap iterates in declaration order, which gives the promised order by table.
    byTable.forEach((table, list) ->
        planTable(table, list, table.isBitTable() ? maxBits : maxRegisters, maxGap, out));
    return out;
  }

  // Greedy left to right gives the fewest requests. With tags sorted by first address, the tag
  // that greedy cannot add (k) is either more than maxGap past everything before it, and so are
  // all later tags, or it ends beyond the limit counted from the request's start; any later tag
  // that would still have fitted then lies inside k's own addresses, so the request opened at k
  // reads it at no extra cost. Greedy therefore never opens a request that a cleverer split could
  // save. The property test compares it with an exhaustive search over all partitions.
  private static void planTable(
      Table table, List<TagSpec> tags, int limit, int maxGap, List<ReadRequest> out) {
    List<TagSpec> sorted = new ArrayList<>(tags);
    sorted.sort(BY_ADDRESS);
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
      boolean joins =
          !members.isEmpty()
              && t.address() - end - 1 <= maxGap
              && Math.max(end, t.lastAddress()) - start + 1 <= limit;
      if (joins) {
        end = Math.max(end, t.lastAddress());
      } else {
        if (!members.isEmpty()) {
          out.add(new ReadRequest(table, start, end - start + 1, members));
        }
        start = t.address();
        end = t.lastAddress();
        members = new ArrayList<>();
      }
      members.add(t);
    }
    if (!members.isEmpty()) {
      out.add(new ReadRequest(table, start, end - start + 1, members));
    }
  }
}
