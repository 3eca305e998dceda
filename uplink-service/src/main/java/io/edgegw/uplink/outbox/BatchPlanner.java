package io.edgegw.uplink.outbox;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns commits into message slices: consecutive small commits share a message while both their
 * samples and their alarm events fit in {@code perMessage}; a commit larger than that goes alone,
 * in parts of {@code perMessage} rows. Per group, alarm events come before samples.
 *
 * <p>The grouping depends only on the commits and on where planning starts, and planning restarts
 * at an acknowledged message boundary, so a restart plans the unacknowledged messages again with
 * the same rows and keys. Pure.
 */
public final class BatchPlanner {

  /** Whether the commit {@code next} may join a message that ends with {@code previous}. */
  @FunctionalInterface
  public interface Joinable {
    boolean test(long previous, long next);
  }

  private BatchPlanner() {}

  /**
   * Plans {@code commits} (ascending seq).
   *
   * @param perMessage rows per message, at least 1
   * @param joinable whether two consecutive commits may share a message
   * @param firstCommitRowsDone samples of the first commit already acknowledged (a partial
   *     position): its alarm events and those samples are skipped; 0 for none
   */
  public static List<Slice> plan(
      List<CommitSize> commits, int perMessage, Joinable joinable, int firstCommitRowsDone) {
    if (perMessage < 1) {
      throw new IllegalArgumentException("rows per message must be >= 1, got " + perMessage);
    }
    List<Slice> out = new ArrayList<>();
    int i = 0;
    while (i < commits.size()) {
      CommitSize c = commits.get(i);
      boolean resumed = i == 0 && firstCommitRowsDone > 0;
      if (resumed || oversize(c, perMessage)) {
        if (!resumed) {
          parts(out, Slice.Kind.ALARM, c.seq(), 0, c.alarms(), perMessage);
        }
        parts(
            out,
            Slice.Kind.TELEMETRY,
            c.seq(),
            resumed ? firstCommitRowsDone : 0,
            c.samples(),
            perMessage);
        i++;
        continue;
      }
      int samples = c.samples();
      int alarms = c.alarms();
      int j = i;
      while (j + 1 < commits.size()) {
        CommitSize next = commits.get(j + 1);
        if (!joinable.test(commits.get(j).seq(), next.seq())
            || oversize(next, perMessage)
            || samples + next.samples() > perMessage
            || alarms + next.alarms() > perMessage) {
          break;
        }
        samples += next.samples();
        alarms += next.alarms();
        j++;
      }
      long to = commits.get(j).seq();
      if (alarms > 0) {
        out.add(Slice.whole(Slice.Kind.ALARM, c.seq(), to, alarms));
      }
      if (samples > 0) {
        out.add(Slice.whole(Slice.Kind.TELEMETRY, c.seq(), to, samples));
      }
      i = j + 1;
    }
    return out;
  }

  private static boolean oversize(CommitSize c, int perMessage) {
    return c.samples() > perMessage || c.alarms() > perMessage;
  }

  /** Rows {@code from..total-1} of one commit: whole when that is all of it and it fits. */
  private static void parts(
      List<Slice> out, Slice.Kind kind, long seq, int from, int total, int perMessage) {
    if (total == 0 || from >= total) {
      return;
    }
    if (from == 0 && total <= perMessage) {
      out.add(Slice.whole(kind, seq, seq, total));
      return;
    }
    for (int first = from; first < total; first += perMessage) {
      out.add(Slice.part(kind, seq, first, Math.min(perMessage, total - first)));
    }
  }
}
