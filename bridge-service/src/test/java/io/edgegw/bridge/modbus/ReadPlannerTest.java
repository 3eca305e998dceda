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
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReadPlannerTest {

  private static TagSpec reg(String name, int address, DataType type) {
    return tag(name, Table.HOLDING, address, type);
  }

  private static TagSpec str(String name, int address, int length) {
    return Specs.shaped(
        name, Table.HOLDING, address, DataType.STRING, RegisterOrder.ABCD, 0, length, 1, 0);
  }

  private static String shape(List<ReadRequest> plan) {
    return plan.stream()
        .map(r -> r.table() + "@" + r.address() + "+" + r.count())
        .reduce((a, b) -> a + " " + b)
        .orElse("");
  }

  @Test
  void noTagsNoRequests() {
    assertThat(ReadPlanner.plan(List.of(), 125, 2000, 8)).isEmpty();
  }

  @Test
  void contiguousTagsBecomeOneRequest() {
    var plan =
        ReadPlanner.plan(
            List.of(
                reg("a", 0, DataType.UINT16),
                reg("b", 1, DataType.FLOAT32),
                reg("c", 3, DataType.FLOAT64)),
            125,
            2000,
            0);
    assertThat(shape(plan)).isEqualTo("HOLDING@0+7");
    assertThat(plan.getFirst().tags()).extracting(TagSpec::name).containsExactly("a", "b", "c");
  }

  @Test
  void gapsUpToMaxGapAreReadThroughAndLongerOnesSplit() {
    var atLimit =
        ReadPlanner.plan(
            List.of(reg("a", 0, DataType.UINT16), reg("b", 9, DataType.UINT16)), 125, 2000, 8);
    assertThat(shape(atLimit)).isEqualTo("HOLDING@0+10");
    var over =
        ReadPlanner.plan(
            List.of(reg("a", 0, DataType.UINT16), reg("b", 10, DataType.UINT16)), 125, 2000, 8);
    assertThat(shape(over)).isEqualTo("HOLDING@0+1 HOLDING@10+1");
    var noGap =
        ReadPlanner.plan(
            List.of(reg("a", 0, DataType.UINT16), reg("b", 2, DataType.UINT16)), 125, 2000, 0);
    assertThat(noGap).hasSize(2);
  }

  @Test
  void requestsSplitAtExactly125RegistersAnd2000Bits() {
    List<TagSpec> regs = new ArrayList<>();
    for (int i = 0; i < 126; i++) {
      regs.add(reg("r" + i, i, DataType.UINT16));
    }
    assertThat(shape(ReadPlanner.plan(regs, 125, 2000, 8)))
        .isEqualTo("HOLDING@0+125 HOLDING@125+1");
    List<TagSpec> bits = new ArrayList<>();
    for (int i = 0; i < 2001; i++) {
      bits.add(tag("c" + i, Table.COIL, i, DataType.BOOL));
    }
    assertThat(shape(ReadPlanner.plan(bits, 125, 2000, 8))).isEqualTo("COIL@0+2000 COIL@2000+1");
  }

  @Test
  void aTagIsNeverSplitAcrossRequests() {
    // 124 single registers then a float32: the float would end at 125 and must move on.
    List<TagSpec> regs = new ArrayList<>();
    for (int i = 0; i < 124; i++) {
      regs.add(reg("r" + i, i, DataType.UINT16));
    }
    regs.add(reg("f", 124, DataType.FLOAT32));
    assertThat(shape(ReadPlanner.plan(regs, 125, 2000, 8)))
        .isEqualTo("HOLDING@0+124 HOLDING@124+2");
  }

  @Test
  void overlappingTagsShareARequest() {
    TagSpec bit3 =
        Specs.shaped("b3", Table.HOLDING, 5, DataType.BIT, RegisterOrder.ABCD, 3, 1, 1, 0);
    TagSpec word = reg("w", 5, DataType.UINT16);
    TagSpec wide = reg("f", 4, DataType.FLOAT64);
    var plan = ReadPlanner.plan(List.of(bit3, word, wide), 125, 2000, 0);
    assertThat(shape(plan)).isEqualTo("HOLDING@4+4");
    assertThat(plan.getFirst().tags()).hasSize(3);
  }

  @Test
  void tablesAreNeverMixedAndOrderIsByTableThenAddress() {
    var plan =
        ReadPlanner.plan(
            List.of(
                tag("i", Table.INPUT, 0, DataType.UINT16),
                reg("h2", 50, DataType.UINT16),
                tag("c", Table.COIL, 0, DataType.BOOL),
                reg("h1", 0, DataType.UINT16),
                tag("d", Table.DISCRETE_INPUT, 0, DataType.BOOL)),
            125,
            2000,
            8);
    assertThat(shape(plan))
        .isEqualTo("COIL@0+1 DISCRETE_INPUT@0+1 HOLDING@0+1 HOLDING@50+1 INPUT@0+1");
  }

  @Test
  void stringsCountTheirLength() {
    var plan =
        ReadPlanner.plan(List.of(str("s", 0, 10), reg("a", 10, DataType.UINT16)), 11, 2000, 0);
    assertThat(shape(plan)).isEqualTo("HOLDING@0+11");
    assertThat(
            shape(
                ReadPlanner.plan(
                    List.of(str("s", 0, 10), reg("a", 10, DataType.UINT16)), 10, 2000, 0)))
        .isEqualTo("HOLDING@0+10 HOLDING@10+1");
  }

  @Test
  void aTagWiderThanTheLimitIsAnError() {
    assertThatThrownBy(() -> ReadPlanner.plan(List.of(str("s", 0, 20)), 10, 2000, 0))
        .hasMessageContaining("tag s spans 20 addresses, over the limit of 10");
  }

  /** Brute force: fewest requests over all ways to cut the sorted tags into consecutive runs. */
  private static int optimum(List<TagSpec> sorted, int limit, int maxGap) {
    int n = sorted.size();
    int[] best = new int[n + 1];
    java.util.Arrays.fill(best, Integer.MAX_VALUE);
    best[0] = 0;
    for (int i = 0; i < n; i++) {
      if (best[i] == Integer.MAX_VALUE) {
        continue;
      }
      int start = sorted.get(i).address();
      int end = -1;
      for (int j = i; j < n; j++) {
        TagSpec t = sorted.get(j);
        if (j > i && t.address() - end - 1 > maxGap) {
          break;
        }
        end = Math.max(end, t.lastAddress());
        if (end - start + 1 > limit) {
          break;
        }
        best[j + 1] = Math.min(best[j + 1], best[i] + 1);
      }
    }
    return best[n];
  }

  @Test
  void randomTagSetsAreCoveredOnceWithinLimitsAndOptimally() {
    Random random = new Random(20261125);
    DataType[] types = {DataType.UINT16, DataType.INT32, DataType.FLOAT64};
    for (int round = 0; round < 500; round++) {
      int limit = 4 + random.nextInt(30);
      int maxGap = random.nextInt(6);
      List<TagSpec> tags = new ArrayList<>();
      int count = 1 + random.nextInt(25);
      for (int i = 0; i < count; i++) {
        tags.add(reg("t" + i, random.nextInt(120), types[random.nextInt(types.length)]));
      }
      Collections.shuffle(tags, random);
      List<ReadRequest> plan = ReadPlanner.plan(tags, limit, 2000, maxGap);
      List<TagSpec> covered = new ArrayList<>();
      for (ReadRequest r : plan) {
        assertThat(r.count()).isLessThanOrEqualTo(limit);
        for (TagSpec t : r.tags()) {
          assertThat(t.address()).isGreaterThanOrEqualTo(r.address());
          assertThat(t.lastAddress()).isLessThanOrEqualTo(r.lastAddress());
          covered.add(t);
        }
      }
      assertThat(covered).containsExactlyInAnyOrderElementsOf(tags);
      List<TagSpec> sorted = new ArrayList<>(tags);
      sorted.sort(
          java.util.Comparator.comparingInt(TagSpec::address)
              .thenComparingInt(TagSpec::lastAddress));
      assertThat(plan).as("round %d", round).hasSize(optimum(sorted, limit, maxGap));
    }
  }
}
