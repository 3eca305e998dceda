package io.edgegw.uplink.outbox;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One lane's delivery state: the slices planned and not yet sent (alarm events ahead of samples),
 * the slices in flight, and the acknowledged position. The position moves only over commits whose
 * every slice is acknowledged, so acknowledgements that arrive out of order move it to the highest
 * contiguous point. Pure; not thread-safe (the caller serialises).
 *
 * <p>Alarm events go ahead of the samples of their commits, so they are often acknowledged while
 * the position still stands before them. The cursor keeps a second mark for them, {@link
 * #alarmsThrough()}: every alarm slice up to it is acknowledged. Stored with the position, it lets
 * a restart skip those alarm slices instead of sending them again beyond the in-flight window.
 */
public final class LaneCursor {

  /** The key of a sample row, for a partial position. */
  public record RowKey(int seriesId, Instant ts) {}

  /**
   * What one acknowledgement changed.
   *
   * @param position the new position to store
   * @param deliveredFrom first seq newly acknowledged in full (a range to record), or 0
   * @param deliveredTo last seq newly acknowledged in full, or -1 when none
   * @param alarmsThrough the new {@link #alarmsThrough()}
   */
  public record Advance(
      OutboxPosition position, long deliveredFrom, long deliveredTo, long alarmsThrough) {
    /** Whether whole commits were newly acknowledged. */
    public boolean delivered() {
      return deliveredTo >= deliveredFrom;
    }
  }

  private static final class CommitTrack {
    final List<Slice> slices = new ArrayList<>();
    final Map<Slice, Boolean> acked = new IdentityHashMap<>();

    boolean complete() {
      return acked.size() == slices.size();
    }
  }

  private final Lane lane;
  private final long upTo;
  private final Deque<Slice> alarms = new ArrayDeque<>();
  private final Deque<Slice> telemetry = new ArrayDeque<>();
  private final TreeMap<Long, CommitTrack> open = new TreeMap<>();
  private final Map<Slice, RowKey> lastRows = new IdentityHashMap<>();
  private final Map<Slice, Boolean> inFlight = new IdentityHashMap<>();
  private final TreeMap<Long, Integer> unackedAlarms = new TreeMap<>();
  private final List<DeliveryLedger.Range> alarmsDelivered;
  private long alarmsThrough;
  private long readPoint;
  private long completeThrough;
  private OutboxPosition position;

  /**
   * @param lane the lane
   * @param start the stored (or initial) position
   * @param upTo the last seq of the lane's range ({@code Long.MAX_VALUE} for the live lane)
   */
  public LaneCursor(Lane lane, OutboxPosition start, long upTo) {
    this(lane, start, upTo, List.of());
  }

  /**
   * @param alarmsDelivered seq ranges above {@code start} whose alarm events were acknowledged
   *     before (by an earlier run); alarm slices inside one are not planned again
   */
  public LaneCursor(
      Lane lane, OutboxPosition start, long upTo, List<DeliveryLedger.Range> alarmsDelivered) {
    this.lane = lane;
    this.upTo = upTo;
    this.position = start;
    this.completeThrough = start.completeThrough();
    this.readPoint = completeThrough;
    this.alarmsDelivered = List.copyOf(alarmsDelivered);
    this.alarmsThrough = completeThrough;
  }

  /** Every alarm slice up to and including this seq is acknowledged. */
  public long alarmsThrough() {
    return alarmsThrough;
  }

  public Lane lane() {
    return lane;
  }

  /** Every commit up to here has been planned (or needs nothing). */
  public long readPoint() {
    return readPoint;
  }

  /** The last seq of the lane's range. */
  public long upTo() {
    return upTo;
  }

  /** Whether the range is read to its end and everything in it acknowledged. */
  public boolean drained() {
    return readPoint >= upTo && open.isEmpty();
  }

  /** The acknowledged position. */
  public OutboxPosition position() {
    return position;
  }

  /** Whether planned slices wait to be sent. */
  public boolean hasWaiting(Slice.Kind kind) {
    return !queue(kind).isEmpty();
  }

  /** Whether anything is planned and unsent. */
  public boolean hasWaiting() {
    return !alarms.isEmpty() || !telemetry.isEmpty();
  }

  /** Slices sent and not yet acknowledged. */
  public int inFlight() {
    return inFlight.size();
  }

  /** Samples and alarm events planned and not yet acknowledged. */
  public long pendingRows() {
    long rows = 0;
    for (Slice s : alarms) {
      rows += s.rows();
    }
    for (Slice s : telemetry) {
      rows += s.rows();
    }
    for (Slice s : inFlight.keySet()) {
      rows += s.rows();
    }
    return rows;
  }

  /**
   * Adds planned slices for the commits read up to {@code readThrough} (inclusive). The slices must
   * come from {@link BatchPlanner} over commits after {@link #readPoint()}.
   */
  public void add(List<Slice> slices, long readThrough) {
    if (readThrough < readPoint || readThrough > upTo) {
      throw new IllegalArgumentException(
          lane + ": read point " + readThrough + " outside " + readPoint + ".." + upTo);
    }
    for (Slice s : slices) {
      if (s.fromSeq() <= readPoint || s.toSeq() > readThrough) {
        throw new IllegalArgumentException(lane + ": slice " + s + " outside the read window");
      }
      if (s.kind() == Slice.Kind.ALARM && alarmsDeliveredBefore(s)) {
        continue;
      }
      if (s.kind() == Slice.Kind.ALARM) {
        unackedAlarms.merge(s.fromSeq(), 1, Integer::sum);
      }
      // A packed slice holds its commits whole and alone, so tracking it at its two ends is
      // enough: the commits between complete exactly when the ends do.
      open.computeIfAbsent(s.fromSeq(), k -> new CommitTrack()).slices.add(s);
      if (s.toSeq() != s.fromSeq()) {
        open.computeIfAbsent(s.toSeq(), k -> new CommitTrack()).slices.add(s);
      }
      queue(s.kind()).addLast(s);
    }
    readPoint = readThrough;
  }

  /**
   * Moves the position over commits that need no acknowledgement (a read window without rows for
   * this lane). Returns the advance to store, if any.
   */
  public Optional<Advance> settle() {
    return advance(false);
  }

  /** The next slice of {@code kind} to send, without taking it. */
  public Optional<Slice> peek(Slice.Kind kind) {
    return Optional.ofNullable(queue(kind).peekFirst());
  }

  /**
   * Takes the next slice of {@code kind} for sending.
   *
   * @param lastRow the key of its last sample row (telemetry parts), or null
   */
  public Slice take(Slice.Kind kind, RowKey lastRow) {
    Slice s = queue(kind).removeFirst();
    inFlight.put(s, Boolean.TRUE);
    if (lastRow != null) {
      lastRows.put(s, lastRow);
    }
    return s;
  }

  /** The session was lost before these were acknowledged: they go out again, first. */
  public void returnInFlight() {
    List<Slice> back = new ArrayList<>(inFlight.keySet());
    back.sort(java.util.Comparator.comparingLong(Slice::fromSeq).thenComparingInt(Slice::firstRow));
    for (int i = back.size() - 1; i >= 0; i--) {
      queue(back.get(i).kind()).addFirst(back.get(i));
    }
    inFlight.clear();
  }

  /**
   * Records the PUBACK of a slice. Returns the advance to store, if the position moved.
   *
   * @throws IllegalArgumentException if the slice is not in flight on this lane
   */
  public Optional<Advance> acknowledged(Slice s) {
    if (inFlight.remove(s) == null) {
      throw new IllegalArgumentException(lane + ": slice " + s + " is not in flight");
    }
    boolean alarm = s.kind() == Slice.Kind.ALARM;
    if (alarm) {
      unackedAlarms.computeIfPresent(s.fromSeq(), (k, n) -> n == 1 ? null : n - 1);
    }
    for (Map.Entry<Long, CommitTrack> e :
        open.subMap(s.fromSeq(), true, s.toSeq(), true).entrySet()) {
      if (e.getValue().slices.contains(s)) {
        e.getValue().acked.put(s, Boolean.TRUE);
      }
    }
    return advance(alarm);
  }

  /**
   * @param alarmAcknowledged whether an alarm slice was just acknowledged: only then is a move of
   *     {@link #alarmsThrough()} alone worth storing (otherwise it follows the read point)
   */
  private Optional<Advance> advance(boolean alarmAcknowledged) {
    long before = completeThrough;
    OutboxPosition old = position;
    long oldAlarms = alarmsThrough;
    while (!open.isEmpty() && open.firstEntry().getValue().complete()) {
      open.pollFirstEntry().getValue().slices.forEach(lastRows::remove);
    }
    completeThrough = open.isEmpty() ? readPoint : open.firstKey() - 1;
    position = OutboxPosition.through(completeThrough);
    if (!open.isEmpty()) {
      RowKey partial = acknowledgedPrefix(open.firstKey(), open.firstEntry().getValue());
      if (partial != null) {
        position = new OutboxPosition(open.firstKey(), partial.seriesId(), partial.ts());
      }
    }
    long alarmsBound = unackedAlarms.isEmpty() ? readPoint : unackedAlarms.firstKey() - 1;
    alarmsThrough = Math.max(alarmsThrough, Math.max(completeThrough, alarmsBound));
    if (position.equals(old) && !(alarmAcknowledged && alarmsThrough > oldAlarms)) {
      return Optional.empty();
    }
    return Optional.of(new Advance(position, before + 1, completeThrough, alarmsThrough));
  }

  private boolean alarmsDeliveredBefore(Slice s) {
    for (DeliveryLedger.Range r : alarmsDelivered) {
      if (r.contains(s.fromSeq()) && r.contains(s.toSeq())) {
        return true;
      }
    }
    return false;
  }

  /** The last row of the acknowledged telemetry prefix of a part-sent commit, if any. */
  private RowKey acknowledgedPrefix(long seq, CommitTrack track) {
    RowKey last = null;
    for (Slice s : track.slices) {
      if (!track.acked.containsKey(s)) {
        break;
      }
      if (s.kind() == Slice.Kind.TELEMETRY) {
        if (!s.part() || s.fromSeq() != seq) {
          return null;
        }
        last = lastRows.getOrDefault(s, last);
      }
    }
    return last;
  }

  private Deque<Slice> queue(Slice.Kind kind) {
    return switch (kind) {
      case ALARM -> alarms;
      case TELEMETRY -> telemetry;
    };
  }
}
