package io.edgegw.uplink.state;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;

/**
 * The state of the cloud link, from facts the shell reports. Pure; time comes from the injected
 * {@link InstantSource}; not thread-safe (the caller serialises).
 *
 * <p><b>Offline</b> means that the cloud acknowledged nothing for {@code offlineAfter}: either
 * something published waited that long for its PUBACK (an open socket that carries nothing counts
 * too), or the session has been down that long. A link that is up and has nothing outstanding is
 * not offline however long it has been quiet. Otherwise the link is {@link Mode#BACKFILLING} while
 * a backlog remains, and {@link Mode#ONLINE} once it is drained.
 *
 * <p>When the link comes back after being offline, {@link #outage()} tells the outage to report
 * (start, end, and the rows backfilled for it once the backlog is drained).
 */
public final class LinkState {

  /** The published state. */
  public enum Mode {
    ONLINE,
    OFFLINE,
    BACKFILLING
  }

  /**
   * What {@code gw/v1/status/uplink} and the metrics show.
   *
   * @param mode the state
   * @param backlogRows rows not yet acknowledged by the cloud
   * @param oldestUnsentAge age of the oldest unsent sample; zero without backlog
   * @param backfillRowsPerSecond EWMA of acknowledged backfill rows per second
   * @param eta time to drain the backlog at that rate; empty when the rate is zero
   */
  public record Snapshot(
      Mode mode,
      long backlogRows,
      Duration oldestUnsentAge,
      double backfillRowsPerSecond,
      Optional<Duration> eta) {}

  private final InstantSource clock;
  private final Duration offlineAfter;
  private final Duration rateHalfLife;

  private boolean sessionUp;
  private Instant sessionChange;
  private Instant lastAck;
  private Instant outstandingSince;
  private long backlogRows;
  private Instant oldestUnsent;
  private double rate;
  private Instant rateAt;

  private Instant offlineSince;
  private Instant outageEnd;
  private long outageBacklog;
  private long backfilledSinceOutage;
  private OutageSummary pendingOutage;

  /**
   * @param clock the clock
   * @param offlineAfter {@code uplink.offline.after}
   * @param rateHalfLife how fast the backfill rate follows changes (e.g. 30 s)
   */
  public LinkState(InstantSource clock, Duration offlineAfter, Duration rateHalfLife) {
    if (offlineAfter.isNegative() || offlineAfter.isZero() || rateHalfLife.isZero()) {
      throw new IllegalArgumentException("offline.after and the rate half-life must be > 0");
    }
    this.clock = clock;
    this.offlineAfter = offlineAfter;
    this.rateHalfLife = rateHalfLife;
    Instant now = clock.instant();
    this.sessionChange = now;
    this.rateAt = now;
  }

  /** The cloud session came up. */
  public void sessionUp() {
    refresh(clock.instant());
    sessionUp = true;
    sessionChange = clock.instant();
  }

  /** The cloud session went down. */
  public void sessionDown() {
    refresh(clock.instant());
    sessionUp = false;
    sessionChange = clock.instant();
  }

  /** A message was published; if none was outstanding, the wait for an acknowledgement starts. */
  public void published() {
    if (outstandingSince == null) {
      outstandingSince = clock.instant();
    }
  }

  /**
   * A PUBACK arrived.
   *
   * @param stillOutstanding whether other messages still wait for theirs
   * @param backfillRows backfill rows it acknowledged (0 for live messages)
   */
  public void acknowledged(boolean stillOutstanding, long backfillRows) {
    Instant now = clock.instant();
    refresh(now); // notices an outage that began and ends between two calls
    lastAck = now;
    outstandingSince = stillOutstanding ? now : null;
    decayRate(now);
    rate += backfillRows * Math.log(2) / seconds(rateHalfLife);
    if (offlineSince != null) {
      backfilledSinceOutage += backfillRows;
    }
    refresh(now);
  }

  /**
   * The outbox's backlog.
   *
   * @param rows rows not yet acknowledged
   * @param oldest time of the oldest unsent sample, or null without backlog
   */
  public void backlog(long rows, Instant oldest) {
    this.backlogRows = rows;
    this.oldestUnsent = rows == 0 ? null : oldest;
    refresh(clock.instant());
  }

  /** When the cloud last acknowledged something, if ever. */
  public Optional<Instant> lastAcknowledged() {
    return Optional.ofNullable(lastAck);
  }

  /** The current state. */
  public Mode mode() {
    Instant now = clock.instant();
    refresh(now);
    return modeAt(now);
  }

  /** The current snapshot. */
  public Snapshot snapshot() {
    Instant now = clock.instant();
    refresh(now);
    decayRate(now);
    Duration age =
        oldestUnsent == null || oldestUnsent.isAfter(now)
            ? Duration.ZERO
            : Duration.between(oldestUnsent, now);
    Optional<Duration> eta =
        rate <= 0
            ? (backlogRows == 0 ? Optional.of(Duration.ZERO) : Optional.empty())
            : Optional.of(Duration.ofMillis((long) Math.ceil(backlogRows / rate * 1000)));
    return new Snapshot(modeAt(now), backlogRows, age, rate, eta);
  }

  /**
   * The outage to report, once: after the link came back and the backlog it left was drained. Empty
   * otherwise.
   */
  public Optional<OutageSummary> outage() {
    refresh(clock.instant());
    OutageSummary s = pendingOutage;
    pendingOutage = null;
    return Optional.ofNullable(s);
  }

  private Mode modeAt(Instant now) {
    if (offline(now)) {
      return Mode.OFFLINE;
    }
    return backlogRows > 0 ? Mode.BACKFILLING : Mode.ONLINE;
  }

  private boolean offline(Instant now) {
    if (!sessionUp) {
      return !sessionChange.plus(offlineAfter).isAfter(now);
    }
    return outstandingSince != null && !outstandingSince.plus(offlineAfter).isAfter(now);
  }

  /** Tracks the outage: its start, its end (first ack after it), and the drain. */
  private void refresh(Instant now) {
    boolean off = offline(now);
    if (off && offlineSince == null) {
      // The link was last known good when the wait (or the session loss) began.
      offlineSince = sessionUp ? outstandingSince : sessionChange;
      outageEnd = null;
      backfilledSinceOutage = 0;
    }
    if (!off && offlineSince != null && outageEnd == null) {
      outageEnd = now;
      outageBacklog = backlogRows;
    }
    if (offlineSince != null && outageEnd != null && backlogRows == 0) {
      pendingOutage =
          new OutageSummary(offlineSince, outageEnd, backfilledSinceOutage, outageBacklog);
      offlineSince = null;
      outageEnd = null;
    }
  }

  private void decayRate(Instant now) {
    double dt = seconds(Duration.between(rateAt, now));
    if (dt > 0) {
      rate *= Math.pow(0.5, dt / seconds(rateHalfLife));
      rateAt = now;
    }
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }
}
