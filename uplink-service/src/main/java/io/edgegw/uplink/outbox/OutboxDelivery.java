package io.edgegw.uplink.outbox;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Delivery from the outbox, without threads or a network: the cloud session asks {@link #next()}
 * for the next message to publish at QoS 1 and reports each PUBACK to {@link #acknowledged}; only
 * then does a lane's position move, in the database, together with the range it newly covers in
 * {@code outbox_delivered}. Methods are synchronized; JDBC calls run on the caller's thread.
 *
 * <p><b>Lanes at start.</b> The live lane starts at the newest committed seq S and follows new
 * commits, one commit per message (split into parts above {@code live-samples-per-message}), so its
 * messages never depend on what had been committed when they were read. The backfill lane covers
 * (stored backfill position, S], oldest commit first, skipping the ranges already in {@code
 * outbox_delivered}.
 *
 * <p><b>Resend after a crash.</b> A lane restarts from its stored position, which is always a
 * message boundary, so at most the in-flight window goes out again. It goes out with the same rows
 * and keys: backfill packs several commits into one message only up to the previous run's live
 * position (the "barrier"), within aligned blocks of {@code BLOCK} seqs and never across an
 * acknowledged range; above the barrier it plans each commit as the live lane did. The barrier
 * never rises: each start takes the lowest of the previous live position and the barrier stored by
 * earlier runs and sessions ({@code packed_through}), so a restart or a reconnect never regroups
 * what an earlier one sent one commit per message. Alarm events go ahead of the telemetry of their
 * read window; each lane stores, with its position, the seq up to which its alarm events are all
 * acknowledged ({@code alarms_through}), and a restart does not plan those again.
 */
public final class OutboxDelivery {

  /** Seqs per packing block: messages never join commits of two blocks, and reads stay bounded. */
  static final long BLOCK = 1024;

  /**
   * @param gatewayId the gateway id in every message
   * @param liveSamplesPerMessage {@code uplink.outbox.live-samples-per-message}
   * @param backfillSamplesPerMessage {@code uplink.backfill.samples-per-message}
   */
  public record Settings(
      String gatewayId, int liveSamplesPerMessage, int backfillSamplesPerMessage) {
    public Settings {
      if (liveSamplesPerMessage < 1 || backfillSamplesPerMessage < 1) {
        throw new IllegalArgumentException("samples per message must be >= 1");
      }
    }
  }

  /**
   * One message to publish at QoS 1.
   *
   * @param lane its lane
   * @param slice the rows it holds (hand back to {@link #acknowledged})
   * @param key the dedup key (also inside the payload)
   * @param payload the encoded message and its content type
   * @param session which {@link #start()} it belongs to
   */
  public record Outgoing(
      Lane lane, Slice slice, String key, MessageCodec.Encoded payload, int session) {}

  /** What to do next. */
  public sealed interface Step {
    /** Publish this. */
    record Publish(Outgoing message) implements Step {}

    /** Only backfill waits, and its bucket is empty: ask again after {@code retryIn}. */
    record Wait(Duration retryIn) implements Step {}

    /** Nothing to send until a PUBACK arrives or the live lane is polled. */
    record Nothing() implements Step {}
  }

  private final OutboxReader reader;
  private final DeliveryLedger ledger;
  private final DeliveryScheduler scheduler;
  private final MessageCodec codec;
  private final Settings settings;

  private LaneCursor live;
  private LaneCursor backfill;
  private long barrier;
  private List<DeliveryLedger.Range> skip = List.of();
  private final Map<Long, Integer> resumeRows = new HashMap<>();
  private boolean liveMayHaveMore;
  private int session;
  private long backfillRowsAcked;

  public OutboxDelivery(
      OutboxReader reader,
      DeliveryLedger ledger,
      DeliveryScheduler scheduler,
      MessageCodec codec,
      Settings settings) {
    this.reader = reader;
    this.ledger = ledger;
    this.scheduler = scheduler;
    this.codec = codec;
    this.settings = settings;
  }

  /**
   * Reads the stored positions and sets up both lanes; call at start and after every reconnect of
   * the cloud session (what was in flight then is planned again from the stored positions).
   */
  public synchronized void start() throws SQLException {
    Map<Lane, OutboxPosition> stored = ledger.positions();
    OutboxPosition from = stored.getOrDefault(Lane.BACKFILL, OutboxPosition.through(0));
    OutboxPosition oldLive = stored.get(Lane.LIVE);
    long newest = reader.newestCommitted(from.completeThrough());
    // Above the previous live position, commits were planned one per message: plan them so again.
    long above = oldLive == null ? newest : Math.min(newest, oldLive.completeThrough());
    // Above an earlier session's barrier too, in this run or a stored one: its backfill planned
    // those one per message as well, and packing them now would send rows that the cloud received
    // without a PUBACK again under other keys (found by FaultsProcessIT with the cloud cut twice
    // during one backfill).
    Long packed = ledger.packedThrough();
    if (packed != null) {
      above = Math.min(above, packed);
    }
    barrier = session > 0 ? Math.min(barrier, above) : above;
    ledger.storePackedThrough(barrier, from);
    resumeRows.clear();
    if (from.partial()) {
      resumeRows.put(from.seq(), reader.rowsThrough(from));
    }
    if (oldLive != null && oldLive.partial()) {
      resumeRows.put(oldLive.seq(), reader.rowsThrough(oldLive));
    }
    skip =
        from.completeThrough() < newest
            ? ledger.delivered(from.completeThrough() + 1, newest)
            : List.of();
    backfill = new LaneCursor(Lane.BACKFILL, from, newest, alarmsDelivered(from, oldLive));
    live = new LaneCursor(Lane.LIVE, OutboxPosition.through(newest), Long.MAX_VALUE);
    ledger.store(Lane.LIVE, live.position(), null);
    liveMayHaveMore = true;
    session++;
    backfillRowsAcked = 0;
  }

  /**
   * The seqs above the stored positions whose alarm events the cloud acknowledged before: alarm
   * events go ahead of samples, and are not sent again for a restart.
   */
  private List<DeliveryLedger.Range> alarmsDelivered(OutboxPosition from, OutboxPosition oldLive)
      throws SQLException {
    Map<Lane, Long> marks = ledger.alarmsThrough();
    List<DeliveryLedger.Range> out = new ArrayList<>();
    Long backfillMark = marks.get(Lane.BACKFILL);
    if (backfillMark != null && backfillMark > from.completeThrough()) {
      out.add(new DeliveryLedger.Range(from.completeThrough() + 1, backfillMark));
    }
    Long liveMark = marks.get(Lane.LIVE);
    if (oldLive != null && liveMark != null && liveMark > oldLive.completeThrough()) {
      out.add(new DeliveryLedger.Range(oldLive.completeThrough() + 1, liveMark));
    }
    return out;
  }

  /** Looks for new commits on the live lane (call every {@code live-poll-interval}). */
  public synchronized void pollLive() throws SQLException {
    liveMayHaveMore = true;
    refill(live);
  }

  /** The next step. */
  public synchronized Step next() throws SQLException {
    if (liveMayHaveMore) {
      refill(live);
    }
    refill(backfill);
    DeliveryScheduler.Waiting w =
        new DeliveryScheduler.Waiting(
            live.inFlight(),
            backfill.inFlight(),
            live.hasWaiting(Slice.Kind.ALARM),
            live.hasWaiting(Slice.Kind.TELEMETRY),
            backfill.hasWaiting(Slice.Kind.ALARM),
            backfill.hasWaiting(Slice.Kind.TELEMETRY));
    return switch (scheduler.decide(w)) {
      case DeliveryScheduler.Decision.Send s -> new Step.Publish(send(cursor(s.lane()), s.kind()));
      case DeliveryScheduler.Decision.Throttled t -> new Step.Wait(t.retryIn());
      case DeliveryScheduler.Decision.Idle i -> new Step.Nothing();
      case DeliveryScheduler.Decision.WindowFull f -> new Step.Nothing();
    };
  }

  /**
   * The PUBACK of a message from {@link #next()}: moves and stores its lane's position. A late
   * PUBACK of a message sent before the last {@link #start()} is ignored: that message was planned
   * again.
   */
  public synchronized void acknowledged(Outgoing message) throws SQLException {
    if (message.session() != session) {
      return;
    }
    LaneCursor cursor = cursor(message.lane());
    Optional<LaneCursor.Advance> advance = cursor.acknowledged(message.slice());
    if (message.lane() == Lane.BACKFILL) {
      backfillRowsAcked += message.slice().rows();
    }
    store(cursor, advance);
  }

  /**
   * The session was lost: what was in flight is sent again, first, on the next session. A PUBACK
   * that still arrives for one of those sends (the client completes it when it resumes the session
   * and resends it itself) is late and ignored: the slice is planned again.
   */
  public synchronized void sessionLost() {
    session++;
    live.returnInFlight();
    backfill.returnInFlight();
  }

  /** The stored position of a lane. */
  public synchronized OutboxPosition position(Lane lane) {
    return cursor(lane).position();
  }

  /** Whether the backfill range is delivered in full. */
  public synchronized boolean backfillDrained() {
    return backfill.drained();
  }

  /**
   * The last seq of the backfill range: the newest commit when the lanes last started. Commits
   * above it are the live lane's, in transit rather than behind.
   */
  public synchronized long backfillEnd() {
    return backfill.upTo();
  }

  /** Messages in flight on both lanes. */
  public synchronized int inFlight() {
    return live.inFlight() + backfill.inFlight();
  }

  /** Backfill rows acknowledged since {@link #start()}. */
  public synchronized long backfillRowsAcked() {
    return backfillRowsAcked;
  }

  /** Rows read from the outbox and not yet acknowledged, on both lanes. */
  public synchronized long pendingRows() {
    return live.pendingRows() + backfill.pendingRows();
  }

  private LaneCursor cursor(Lane lane) {
    return switch (lane) {
      case LIVE -> live;
      case BACKFILL -> backfill;
    };
  }

  private Outgoing send(LaneCursor cursor, Slice.Kind kind) throws SQLException {
    Slice slice = cursor.peek(kind).orElseThrow();
    String key = slice.key(settings.gatewayId());
    String lane = cursor.lane().column();
    LaneCursor.RowKey last = null;
    CloudMessage message;
    if (kind == Slice.Kind.ALARM) {
      message =
          new CloudMessage.Alarms(
              CloudMessage.VERSION,
              settings.gatewayId(),
              lane,
              key,
              slice.fromSeq(),
              slice.toSeq(),
              reader.alarms(slice));
    } else {
      OutboxReader.TelemetryRows rows = reader.samples(slice);
      last = rows.last();
      message =
          new CloudMessage.Telemetry(
              CloudMessage.VERSION,
              settings.gatewayId(),
              lane,
              key,
              slice.fromSeq(),
              slice.toSeq(),
              rows.samples());
    }
    MessageCodec.Encoded encoded = codec.encode(message);
    cursor.take(kind, last);
    scheduler.sent(cursor.lane(), encoded.payload().length);
    return new Outgoing(cursor.lane(), slice, key, encoded, session);
  }

  /** Plans the next window of commits when the lane has nothing waiting. */
  private void refill(LaneCursor cursor) throws SQLException {
    boolean isLive = cursor.lane() == Lane.LIVE;
    while (!cursor.hasWaiting() && cursor.readPoint() < cursor.upTo()) {
      long after = cursor.readPoint();
      DeliveryLedger.Range done = isLive ? null : deliveredAt(after + 1);
      if (done != null) {
        cursor.add(List.of(), Math.min(done.to(), cursor.upTo()));
        continue;
      }
      long windowEnd = Math.min(cursor.upTo(), blockEnd(after + 1));
      List<CommitSize> read = reader.commits(after, windowEnd);
      List<CommitSize> commits = new ArrayList<>();
      for (CommitSize c : read) {
        if (isLive || deliveredAt(c.seq()) == null) {
          commits.add(c);
        }
      }
      if (!commits.isEmpty()) {
        // The live lane may only pass commits it has seen: a later seq may still be committing.
        long through = isLive ? commits.getLast().seq() : windowEnd;
        cursor.add(plan(cursor.lane(), commits), through);
        if (isLive && through < windowEnd) {
          liveMayHaveMore = false;
        }
        store(cursor, cursor.settle());
        return;
      }
      if (!read.isEmpty()) {
        cursor.add(List.of(), windowEnd); // everything in this window was delivered before
        continue;
      }
      // An empty window: jump the gap of seqs (rolled-back commits, removed rows) to the next
      // commit. The live lane may jump only to a commit it sees.
      long next = reader.nextCommit(windowEnd, cursor.upTo());
      if (next < 0) {
        if (isLive) {
          liveMayHaveMore = false;
          return;
        }
        cursor.add(List.of(), cursor.upTo());
      } else {
        cursor.add(List.of(), next - 1);
      }
    }
    if (!isLive) {
      store(cursor, cursor.settle());
    }
  }

  private List<Slice> plan(Lane lane, List<CommitSize> commits) {
    List<CommitSize> packed = new ArrayList<>();
    List<CommitSize> single = new ArrayList<>();
    for (CommitSize c : commits) {
      (lane == Lane.BACKFILL && c.seq() <= barrier ? packed : single).add(c);
    }
    List<Slice> out = new ArrayList<>();
    if (!packed.isEmpty()) {
      out.addAll(
          BatchPlanner.plan(
              packed,
              settings.backfillSamplesPerMessage(),
              (a, b) -> blockEnd(a) == blockEnd(b) && !deliveredBetween(a, b),
              resumeRows.getOrDefault(packed.getFirst().seq(), 0)));
    }
    for (CommitSize c : single) {
      out.addAll(
          BatchPlanner.plan(
              List.of(c),
              settings.liveSamplesPerMessage(),
              (a, b) -> false,
              resumeRows.getOrDefault(c.seq(), 0)));
    }
    return out;
  }

  private static long blockEnd(long seq) {
    return Math.floorDiv(seq, BLOCK) * BLOCK + BLOCK - 1;
  }

  private DeliveryLedger.Range deliveredAt(long seq) {
    for (DeliveryLedger.Range r : skip) {
      if (r.contains(seq)) {
        return r;
      }
    }
    return null;
  }

  private boolean deliveredBetween(long a, long b) {
    for (DeliveryLedger.Range r : skip) {
      if (r.to() > a && r.from() < b) {
        return true;
      }
    }
    return false;
  }

  private void store(LaneCursor cursor, Optional<LaneCursor.Advance> advance) throws SQLException {
    if (advance.isEmpty()) {
      return;
    }
    LaneCursor.Advance a = advance.get();
    ledger.store(
        cursor.lane(),
        a.position(),
        a.delivered() ? new DeliveryLedger.Range(a.deliveredFrom(), a.deliveredTo()) : null,
        a.alarmsThrough());
  }
}
