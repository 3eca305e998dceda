package io.edgegw.bridge.modbus;

import static io.edgegw.bridge.Specs.tag;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.bridge.DataType;
import io.edgegw.bridge.RegisterOrder;
import io.edgegw.bridge.Specs;
import io.edgegw.bridge.Table;
import io.edgegw.bridge.TagSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Read plans checked by their shape ({@code TABLE@address+count}) and by their members. */
class ReadPlannerTest {

  private static TagSpec reg(String name, int address, DataType type) {
    return tag(name, Table.HOLDING, address, type);
  }

  private static TagSpec coil(String name, int address) {
    return tag(name, Table.COIL, address, DataType.BOOL);
  }

  private static TagSpec bit(String name, int address, int bit) {
    return Specs.shaped(
        name, Table.HOLDING, address, DataType.BIT, RegisterOrder.ABCD, bit, 1, 1, 0);
  }

  private static TagSpec str(String name, int address, int length) {
    return Specs.shaped(
        name, Table.HOLDING, address, DataType.STRING, RegisterOrder.ABCD, 0, length, 1, 0);
  }

  private static TagSpec inGroup(TagSpec t, String group) {
    return new TagSpec(
        t.name(),
        t.table(),
        t.address(),
        t.type(),
        t.order(),
        t.bit(),
        t.length(),
        t.scale(),
        t.offset(),
        t.unit(),
        group,
        t.deadband(),
        t.heartbeat(),
        t.spikeLimit(),
        t.writable(),
        t.min(),
        t.max());
  }

  private static String shape(List<ReadRequest> plan) {
    return plan.stream()
        .map(r -> r.table() + "@" + r.address() + "+" + r.count())
        .collect(Collectors.joining(" "));
  }

  private static List<String> members(ReadRequest r) {
    return r.tags().stream().map(TagSpec::name).toList();
  }

  private static List<ReadRequest> plan(int maxGap, TagSpec... tags) {
    return ReadPlanner.plan(List.of(tags), 125, 2000, maxGap);
  }

  @Test
  void noTagsNoRequests() {
    assertThat(ReadPlanner.plan(List.of(), 125, 2000, 8)).isEmpty();
  }

  @Test
  void aSingleTagIsReadExactly() {
    var plan = plan(8, reg("f", 40, DataType.FLOAT64));
    assertThat(shape(plan)).isEqualTo("HOLDING@40+4");
    assertThat(members(plan.getFirst())).containsExactly("f");
    assertThat(shape(plan(8, coil("c", 7)))).isEqualTo("COIL@7+1");
  }

  @Test
  void contiguousTagsBecomeOneRequest() {
    var plan =
        plan(
            0,
            reg("a", 0, DataType.UINT16),
            reg("b", 1, DataType.FLOAT32),
            reg("c", 3, DataType.FLOAT64));
    assertThat(shape(plan)).isEqualTo("HOLDING@0+7");
    assertThat(members(plan.getFirst())).containsExactly("a", "b", "c");
  }

  @Test
  void aGapOfExactlyMaxGapIsReadThrough() {
    // a ends at 1; b starts at 10: addresses 2..9 are the 8 unused ones.
    var plan = plan(8, reg("a", 0, DataType.INT32), reg("b", 10, DataType.UINT16));
    assertThat(shape(plan)).isEqualTo("HOLDING@0+11");
    assertThat(members(plan.getFirst())).containsExactly("a", "b");
  }

  @Test
  void aGapOfMaxGapPlusOneSplits() {
    var plan = plan(8, reg("a", 0, DataType.INT32), reg("b", 11, DataType.UINT16));
    assertThat(shape(plan)).isEqualTo("HOLDING@0+2 HOLDING@11+1");
    assertThat(plan)
        .extracting(ReadPlannerTest::members)
        .containsExactly(List.of("a"), List.of("b"));
  }

  @Test
  void bitTablesFollowTheSameGapRule() {
    assertThat(shape(plan(3, coil("a", 0), coil("b", 4)))).isEqualTo("COIL@0+5");
    assertThat(shape(plan(3, coil("a", 0), coil("b", 5)))).isEqualTo("COIL@0+1 COIL@5+1");
  }

  @Test
  void maxGapZeroJoinsOnlyAdjacentTags() {
    assertThat(shape(plan(0, reg("a", 0, DataType.UINT16), reg("b", 1, DataType.UINT16))))
        .isEqualTo("HOLDING@0+2");
    assertThat(shape(plan(0, reg("a", 0, DataType.UINT16), reg("b", 2, DataType.UINT16))))
        .isEqualTo("HOLDING@0+1 HOLDING@2+1");
  }

  @Test
  void requestsSplitAtExactly125Registers() {
    List<TagSpec> regs = new ArrayList<>();
    for (int i = 0; i < 125; i++) {
      regs.add(reg("r" + i, i, DataType.UINT16));
    }
    assertThat(shape(ReadPlanner.plan(regs, 125, 2000, 8))).isEqualTo("HOLDING@0+125");
    regs.add(reg("r125", 125, DataType.UINT16));
    var plan = ReadPlanner.plan(regs, 125, 2000, 8);
    assertThat(shape(plan)).isEqualTo("HOLDING@0+125 HOLDING@125+1");
    assertThat(members(plan.get(1))).containsExactly("r125");
  }

  @Test
  void twoTagsFarApartFitWhenTheSpanIsExactlyTheLimit() {
    assertThat(shape(plan(200, reg("a", 0, DataType.UINT16), reg("b", 124, DataType.UINT16))))
        .isEqualTo("HOLDING@0+125");
    assertThat(shape(plan(200, reg("a", 0, DataType.UINT16), reg("b", 124, DataType.INT32))))
        .isEqualTo("HOLDING@0+1 HOLDING@124+2");
  }

  @Test
  void requestsSplitAtExactly2000Bits() {
    List<TagSpec> bits = new ArrayList<>();
    for (int i = 0; i < 2001; i++) {
      bits.add(tag("c" + i, Table.DISCRETE_INPUT, i, DataType.BOOL));
    }
    assertThat(shape(ReadPlanner.plan(bits.subList(0, 2000), 125, 2000, 8)))
        .isEqualTo("DISCRETE_INPUT@0+2000");
    assertThat(shape(ReadPlanner.plan(bits, 125, 2000, 8)))
        .isEqualTo("DISCRETE_INPUT@0+2000 DISCRETE_INPUT@2000+1");
  }

  @Test
  void aTagIsNeverSplitAcrossRequests() {
    // 124 single registers then a float32 that would end at 125: it moves to the next request.
    List<TagSpec> regs = new ArrayList<>();
    for (int i = 0; i < 124; i++) {
      regs.add(reg("r" + i, i, DataType.UINT16));
    }
    regs.add(reg("f", 124, DataType.FLOAT32));
    var plan = ReadPlanner.plan(regs, 125, 2000, 8);
    assertThat(shape(plan)).isEqualTo("HOLDING@0+124 HOLDING@124+2");
    assertThat(members(plan.get(1))).containsExactly("f");
  }

  @Test
  void bitsOfOneRegisterShareOneRead() {
    var plan = plan(0, bit("b15", 5, 15), bit("b0", 5, 0), bit("b7", 5, 7));
    assertThat(shape(plan)).isEqualTo("HOLDING@5+1");
    assertThat(members(plan.getFirst())).containsExactlyInAnyOrder("b0", "b7", "b15");
  }

  @Test
  void tagsStartingAtTheSameAddressShareOneRead() {
    var plan = plan(0, reg("f", 10, DataType.FLOAT32), reg("i", 10, DataType.INT16));
    assertThat(shape(plan)).isEqualTo("HOLDING@10+2");
    assertThat(members(plan.getFirst())).containsExactly("i", "f");
  }

  @Test
  void aTagInsideAWiderOneAddsNothing() {
    var plan =
        plan(
            0,
            bit("b3", 5, 3),
            reg("w", 5, DataType.UINT16),
            reg("f", 4, DataType.FLOAT64),
            reg("after", 8, DataType.UINT16));
    assertThat(shape(plan)).isEqualTo("HOLDING@4+5");
    assertThat(members(plan.getFirst())).containsExactly("f", "b3", "w", "after");
  }

  @Test
  void theGapIsCountedFromTheFurthestEndSoFar() {
    // The float64 at 0 ends at 3; the int16 at 1 ends earlier. The next tag at 5 is 1 past 3.
    var plan =
        plan(
            1,
            reg("wide", 0, DataType.FLOAT64),
            reg("inner", 1, DataType.INT16),
            reg("next", 5, DataType.INT16));
    assertThat(shape(plan)).isEqualTo("HOLDING@0+6");
  }

  @Test
  void anOverlappingTagThatRunsPastTheLimitStartsTheNextRequest() {
    var plan =
        ReadPlanner.plan(
            List.of(
                reg("a", 0, DataType.UINT16),
                reg("long", 2, DataType.FLOAT64),
                reg("inner", 3, DataType.UINT16)),
            5,
            2000,
            8);
    assertThat(shape(plan)).isEqualTo("HOLDING@0+1 HOLDING@2+4");
    assertThat(members(plan.get(1))).containsExactly("long", "inner");
  }

  @Test
  void tablesAreNeverMixedAndOrderIsByTableThenAddress() {
    var plan =
        plan(
            8,
            tag("i", Table.INPUT, 0, DataType.UINT16),
            reg("h2", 50, DataType.UINT16),
            coil("c", 0),
            reg("h1", 0, DataType.UINT16),
            tag("d", Table.DISCRETE_INPUT, 0, DataType.BOOL),
            tag("i1", Table.INPUT, 1, DataType.UINT16));
    assertThat(shape(plan))
        .isEqualTo("COIL@0+1 DISCRETE_INPUT@0+1 HOLDING@0+1 HOLDING@50+1 INPUT@0+2");
    assertThat(plan.get(4).tags()).allMatch(t -> t.table() == Table.INPUT);
  }

  @Test
  void bitTablesUseMaxBitsAndRegisterTablesMaxRegisters() {
    var plan =
        ReadPlanner.plan(
            List.of(
                coil("c0", 0),
                coil("c2", 2),
                reg("h0", 0, DataType.UINT16),
                reg("h2", 2, DataType.UINT16)),
            2,
            3,
            8);
    assertThat(shape(plan)).isEqualTo("COIL@0+3 HOLDING@0+1 HOLDING@2+1");
  }

  @Test
  void stringsCountTheirLength() {
    var at11 =
        ReadPlanner.plan(List.of(str("s", 0, 10), reg("a", 10, DataType.UINT16)), 11, 2000, 0);
    assertThat(shape(at11)).isEqualTo("HOLDING@0+11");
    var at10 =
        ReadPlanner.plan(List.of(str("s", 0, 10), reg("a", 10, DataType.UINT16)), 10, 2000, 0);
    assertThat(shape(at10)).isEqualTo("HOLDING@0+10 HOLDING@10+1");
    var odd = plan(0, str("s", 3, 7), reg("b", 2, DataType.UINT16));
    assertThat(shape(odd)).isEqualTo("HOLDING@2+8");
  }

  @Test
  void unsortedInputGivesTheSamePlanAsSorted() {
    List<TagSpec> sorted = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      sorted.add(reg("r" + i, i * 3, i % 2 == 0 ? DataType.UINT16 : DataType.INT32));
    }
    List<TagSpec> shuffled = new ArrayList<>(sorted);
    Collections.shuffle(shuffled, new Random(7));
    // Gaps alternate between 2 and 1 unused registers, so only the limit of 20 splits.
    var fromSorted = ReadPlanner.plan(sorted, 20, 2000, 2);
    var fromShuffled = ReadPlanner.plan(shuffled, 20, 2000, 2);
    assertThat(fromShuffled).isEqualTo(fromSorted);
    assertThat(shape(fromSorted))
        .isEqualTo(
            "HOLDING@0+19 HOLDING@21+20 HOLDING@42+19 HOLDING@63+20 HOLDING@84+19 HOLDING@105+14");
    for (ReadRequest r : fromShuffled) {
      assertThat(r.tags()).isSortedAccordingTo(Comparator.comparingInt(TagSpec::address));
    }
  }

  @Test
  void tagsAtTheTopOfTheAddressSpaceJoin() {
    assertThat(shape(plan(0, reg("a", 65534, DataType.UINT16), reg("b", 65535, DataType.UINT16))))
        .isEqualTo("HOLDING@65534+2");
  }

  @Test
  void aTagWiderThanTheLimitIsAnErrorNamingIt() {
    assertThatThrownBy(() -> ReadPlanner.plan(List.of(str("serial", 0, 20)), 10, 2000, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tag serial spans 20 addresses, over the limit of 10 per request");
    assertThatThrownBy(() ->
            ReadPlanner.plan(
                List.of(reg("ok", 0, DataType.UINT16), reg("energy", 4, DataType.FLOAT64)),
                3,
                2000,
                0))
        .hasMessageContaining("tag energy spans 4 addresses");
  }

  @Test
  void tagsOfTwoPollGroupsAreRefused() {
    TagSpec fast = reg("a", 0, DataType.UINT16);
    TagSpec slow = inGroup(reg("b", 1, DataType.UINT16), "slow");
    assertThatThrownBy(() -> ReadPlanner.plan(List.of(fast, slow), 125, 2000, 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tags of poll groups fast and slow cannot share a plan (tag b)");
  }

  @Test
  void limitsOutOfRangeAreRefused() {
    List<TagSpec> one = List.of(reg("a", 0, DataType.UINT16));
    assertThatThrownBy(() -> ReadPlanner.plan(one, 0, 2000, 8))
        .hasMessageContaining("maxRegisters >= 1");
    assertThatThrownBy(() -> ReadPlanner.plan(one, 125, 0, 8)).hasMessageContaining("maxBits >= 1");
    assertThatThrownBy(() -> ReadPlanner.plan(one, 125, 2000, -1))
        .hasMessageContaining("maxGap >= 0");
  }

  @Test
  void aReadRequestHoldsOnlyTagsInsideIt() {
    TagSpec f = reg("f", 10, DataType.FLOAT32);
    assertThat(new ReadRequest(Table.HOLDING, 10, 2, List.of(f)).lastAddress()).isEqualTo(11);
    assertThatThrownBy(() -> new ReadRequest(Table.HOLDING, 10, 1, List.of(f)))
        .hasMessage("tag f (HOLDING 10..11) is not inside the read of HOLDING 10..10");
    assertThatThrownBy(() -> new ReadRequest(Table.INPUT, 10, 2, List.of(f)))
        .hasMessageContaining("is not inside the read of INPUT");
    assertThatThrownBy(() -> new ReadRequest(Table.HOLDING, 0, 0, List.of()))
        .hasMessageContaining("got 0 from 0");
    assertThatThrownBy(() -> new ReadRequest(Table.HOLDING, 65535, 2, List.of()))
        .hasMessageContaining("got 2 from 65535");
    List<TagSpec> mutable = new ArrayList<>(List.of(f));
    ReadRequest r = new ReadRequest(Table.HOLDING, 10, 2, mutable);
    mutable.clear();
    assertThat(r.tags()).containsExactly(f);
  }

  // ---- property check against an exhaustive search ----

  private static final DataType[] REGISTER_TYPES = {
    DataType.BIT, DataType.UINT16, DataType.INT32, DataType.FLOAT64, DataType.STRING
  };

  private static TagSpec randomTag(Random random, String name, Table table, int span) {
    int address = random.nextInt(span);
    if (table.isBitTable()) {
      return tag(name, table, address, DataType.BOOL);
    }
    DataType type = REGISTER_TYPES[random.nextInt(REGISTER_TYPES.length)];
    return switch (type) {
      case BIT -> bit(name, address, random.nextInt(16));
      case STRING -> str(name, address, 1 + random.nextInt(6));
      case BOOL, INT16, UINT16, INT32, UINT32, INT64, UINT64, FLOAT32, FLOAT64 ->
          reg(name, address, type);
    };
  }

  /** Whether these tags may form one request: span within the limit, every hole within maxGap. */
  private static boolean valid(List<TagSpec> block, int limit, int maxGap) {
    List<TagSpec> sorted = new ArrayList<>(block);
    sorted.sort(Comparator.comparingInt(TagSpec::address));
    int start = sorted.getFirst().address();
    int end = sorted.getFirst().lastAddress();
    for (TagSpec t : sorted) {
      if (t.address() - end - 1 > maxGap) {
        return false;
      }
      end = Math.max(end, t.lastAddress());
    }
    return end - start + 1 <= limit;
  }

  /** Fewest requests over every partition of the tags into blocks (branch and bound). */
  private static int optimum(List<TagSpec> tags, int limit, int maxGap) {
    int[] best = {tags.size()};
    search(tags, 0, new ArrayList<>(), limit, maxGap, best);
    return best[0];
  }

  private static void search(
      List<TagSpec> tags, int next, List<List<TagSpec>> blocks, int limit, int maxGap, int[] best) {
    if (blocks.size() >= best[0]) {
      return;
    }
    if (next == tags.size()) {
      if (blocks.stream().allMatch(b -> valid(b, limit, maxGap))) {
        best[0] = blocks.size();
      }
      return;
    }
    TagSpec t = tags.get(next);
    // By index: the recursion adds and removes blocks behind this loop.
    for (int i = 0, n = blocks.size(); i < n; i++) {
      List<TagSpec> block = blocks.get(i);
      block.add(t);
      search(tags, next + 1, blocks, limit, maxGap, best);
      block.removeLast();
    }
    blocks.add(new ArrayList<>(List.of(t)));
    search(tags, next + 1, blocks, limit, maxGap, best);
    blocks.removeLast();
  }

  @Test
  void randomTagSetsAreCoveredOnceWithinLimitsAndOptimally() {
    Random random = new Random(20261125);
    for (int round = 0; round < 1500; round++) {
      int limit = 6 + random.nextInt(20);
      int maxGap = random.nextInt(5);
      int span = 10 + random.nextInt(50);
      List<TagSpec> tags = new ArrayList<>();
      Map<Table, Integer> perTable = new EnumMap<>(Table.class);
      int count = 1 + random.nextInt(8);
      for (int i = 0; i < count; i++) {
        Table table = random.nextInt(4) == 0 ? Table.COIL : Table.HOLDING;
        tags.add(randomTag(random, "t" + i, table, span));
        perTable.merge(table, 1, Integer::sum);
      }
      Collections.shuffle(tags, random);

      List<ReadRequest> plan = ReadPlanner.plan(tags, limit, limit, maxGap);

      Map<TagSpec, Integer> covered = new IdentityHashMap<>();
      for (ReadRequest r : plan) {
        assertThat(r.count()).as("round %d", round).isLessThanOrEqualTo(limit);
        assertThat(valid(r.tags(), limit, maxGap)).as("round %d gaps", round).isTrue();
        // No wasted addresses at either edge.
        assertThat(r.tags().stream().mapToInt(TagSpec::address).min().orElseThrow())
            .isEqualTo(r.address());
        assertThat(r.tags().stream().mapToInt(TagSpec::lastAddress).max().orElseThrow())
            .isEqualTo(r.lastAddress());
        for (TagSpec t : r.tags()) {
          assertThat(t.table()).isEqualTo(r.table());
          covered.merge(t, 1, Integer::sum);
        }
      }
      assertThat(covered.keySet()).as("round %d", round).containsExactlyInAnyOrderElementsOf(tags);
      assertThat(covered.values()).as("each tag once").containsOnly(1);
      assertThat(plan)
          .as("round %d order", round)
          .isSortedAccordingTo(
              Comparator.comparing(ReadRequest::table).thenComparingInt(ReadRequest::address));

      int optimum = 0;
      for (Table table : perTable.keySet()) {
        optimum += optimum(tags.stream().filter(t -> t.table() == table).toList(), limit, maxGap);
      }
      assertThat(plan).as("round %d: %s", round, tags).hasSize(optimum);
    }
  }
}
