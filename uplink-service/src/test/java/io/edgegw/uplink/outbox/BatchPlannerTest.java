package io.edgegw.uplink.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class BatchPlannerTest {
  static final BatchPlanner.Joinable ALWAYS = (a, b) -> true;

  static List<String> keys(List<Slice> slices) {
    return slices.stream().map(s -> s.key("gw1")).toList();
  }

  @Test
  void smallCommitsShareAMessageUpToTheLimitAlarmsFirst() {
    List<Slice> plan =
        BatchPlanner.plan(
            List.of(new CommitSize(1, 4, 0), new CommitSize(2, 4, 1), new CommitSize(3, 4, 0)),
            10,
            ALWAYS,
            0);
    assertThat(keys(plan)).containsExactly("gw1:a:1-2", "gw1:t:1-2", "gw1:t:3-3");
    assertThat(plan).extracting(Slice::rows).containsExactly(1, 8, 4);
  }

  @Test
  void aCommitLargerThanOneMessageGoesAloneInPartsNamedByTheirRows() {
    List<Slice> plan =
        BatchPlanner.plan(
            List.of(new CommitSize(1, 2, 0), new CommitSize(2, 25, 0), new CommitSize(3, 2, 0)),
            10,
            ALWAYS,
            0);
    assertThat(keys(plan))
        .containsExactly(
            "gw1:t:1-1", "gw1:t:2-2:0-9", "gw1:t:2-2:10-19", "gw1:t:2-2:20-24", "gw1:t:3-3");
  }

  @Test
  void commitsJoinOnlyWhenAllowed() {
    List<Slice> plan =
        BatchPlanner.plan(
            List.of(new CommitSize(1, 1, 0), new CommitSize(2, 1, 0), new CommitSize(5, 1, 0)),
            10,
            (a, b) -> b == a + 1,
            0);
    assertThat(keys(plan)).containsExactly("gw1:t:1-2", "gw1:t:5-5");
  }

  @Test
  void planningAgainFromAnyMessageBoundaryGivesTheSameKeys() {
    List<CommitSize> commits = new java.util.ArrayList<>();
    java.util.Random random = new java.util.Random(7);
    for (long seq = 1; seq <= 200; seq++) {
      commits.add(new CommitSize(seq, 1 + random.nextInt(30), random.nextInt(10) == 0 ? 2 : 0));
    }
    List<Slice> full = BatchPlanner.plan(commits, 25, ALWAYS, 0);
    for (int i = 0; i < full.size(); i++) {
      Slice boundary = full.get(i);
      if (boundary.kind() != Slice.Kind.TELEMETRY) {
        continue;
      }
      List<Slice> rest = full.subList(i + 1, full.size());
      long resumeAfter = boundary.toSeq();
      int rowsDone = 0;
      if (boundary.part() && boundary.firstRow() + boundary.rows() < size(commits, resumeAfter)) {
        // A part acknowledged: resume inside its commit.
        rowsDone = boundary.firstRow() + boundary.rows();
        resumeAfter--;
      }
      long after = resumeAfter;
      List<CommitSize> left = commits.stream().filter(c -> c.seq() > after).toList();
      assertThat(keys(BatchPlanner.plan(left, 25, ALWAYS, rowsDone)))
          .as("resumed after %s", boundary)
          .isEqualTo(keys(rest));
    }
  }

  static int size(List<CommitSize> commits, long seq) {
    return commits.stream().filter(c -> c.seq() == seq).findFirst().orElseThrow().samples();
  }

  @Test
  void resumingAPartSkipsTheCommitsAlarmsAndItsAcknowledgedRows() {
    List<Slice> plan = BatchPlanner.plan(List.of(new CommitSize(9, 25, 3)), 10, ALWAYS, 10);
    assertThat(keys(plan)).containsExactly("gw1:t:9-9:10-19", "gw1:t:9-9:20-24");
  }

  @Test
  void rejectsANonPositiveMessageSize() {
    assertThatThrownBy(() -> BatchPlanner.plan(List.of(), 0, ALWAYS, 0))
        .hasMessageContaining("rows per message must be >= 1");
  }
}
