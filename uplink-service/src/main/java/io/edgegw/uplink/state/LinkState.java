package io.edgegw.uplink.state;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The state of the cloud link, from facts the shell reports. Pure; time comes from the injected
 * sources; not thread-safe (the caller serialises).
 *
 * <p>Two times: every wait (offline after, the rate's decay) is measured on the monotonic ticker,
 * so a wall clock stepped back or forward (NTP, an operator, a dead RTC battery) neither delays
 * OFFLINE nor shows it early; the wall clock only stamps what is reported (the outage's start and
 * end, the age of the oldest unsent sample, whose time is a wall time too).
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
  private final LongSupplier ticker;
  private final long offlineAfterNanos;
  private final Duration rateHalfLife;

  private boolean sessionUp;
  private Instant sessionChange;
  private long sessionChangeTick;
  private Instant lastAck;
  private Instant outstandingSince;
  private long outstandingSinceTick;
  private long backlogRows;
  private Instant oldestUnsent;
  private double rate;
  private long rateAt;

  private Instant offlineSince;
  private long offlineSinceTick;
  private Instant outageEnd;
  private long outageBacklog;
  private long backfilledSinceOutage;
  private OutageSummary pendingOutage;

  /**
   * @param clock the wall clock, for what is reported
   * @param ticker monotonic nanoseconds ({@code System::nanoTime}), for every wait
   * @param offlineAfter {@code uplink.offline.after}
   * @param rateHalfLife how fast the backfill rate follows changes (e.g. 30 s)
   */
  public LinkState(
      InstantSource clock, LongSupplier ticker, Duration offlineAfter, Duration rateHalfLife) {
    if (offlineAfter.isNegative() || offlineAfter.isZero() || rateHalfLife.isZero()) {
      throw new IllegalArgumentException("offline.after and the rate half-life must be > 0");
    }
    this.clock = clock;
    this.ticker = ticker;
    this.offlineAfterNanos = offlineAfter.toNanos();
    this.rateHalfLife = rateHalfLife;
    this.sessionChange = clock.instant();
    this.sessionChangeTick = ticker.getAsLong();
    this.rateAt = sessionChangeTick;
  }

  /** The cloud session came up. */
  public void sessionUp() {
    refresh();
    sessionUp = true;
    sessionChange = clock.instant();
    sessionChangeTick = ticker.getAsLong();
  }

  /** The cloud session went down. */
  public void sessionDown() {
    refresh();
    sessionUp = false;
    sessionChange = clock.instant();
    sessionChangeTick = ticker.getAsLong();
  }

  /** A message was published; if none was outstanding, the wait for an acknowledgement starts. */
  public void published() {
    if (outstandingSince == null) {
      outstandingSince = clock.instant();
      outstandingSinceTick = ticker.getAsLong();
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
    refresh(); // notices an outage that began and ends between two calls
    lastAck = now;
    outstandingSince = stillOutstanding ? now : null;
    outstandingSinceTick = ticker.getAsLong();
    decayRate();
    rate += backfillRows * Math.log(2) / seconds(rateHalfLife);
    if (offlineSince != null) {
      backfilledSinceOutage += backfillRows;
    }
    refresh();
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
    refresh();
  }

  /** When the cloud last acknowledged something, if ever. */
  public Optional<Instant> lastAcknowledged() {
    return Optional.ofNullable(lastAck);
  }

  /** The current state. */
  public Mode mode() {
    refresh();
    return modeAt();
  }

  /** The current snapshot. */
  public Snapshot snapshot() {
    Instant now = clock.instant();
    refresh();
    decayRate();
    Duration age =
        oldestUnsent == null || oldestUnsent.isAfter(now)
            ? Duration.ZERO
            : Duration.between(oldestUnsent, now);
    Optional<Duration> eta =
        rate <= 0
            ? (backlogRows == 0 ? Optional.of(Duration.ZERO) : Optional.empty())
            : Optional.of(Duration.ofMillis((long) Math.ceil(backlogRows / rate * 1000)));
    return new Snapshot(modeAt(), backlogRows, age, rate, eta);
  }

  /**
   * The outage to report, once: after the link came back and the backlog it left was drained. Empty
   * otherwise.
   */
  public Optional<OutageSummary> outage() {
    refresh();
    OutageSummary s = pendingOutage;
    pendingOutage = null;
    return Optional.ofNullable(s);
  }

  private Mode modeAt() {
    if (offline()) {
      return Mode.OFFLINE;
    }
    return backlogRows > 0 ? Mode.BACKFILLING : Mode.ONLINE;
  }

  private boolean offline() {
    long tick = ticker.getAsLong();
    if (!sessionUp) {
      return tick - sessionChangeTick >= offlineAfterNanos;
    }
    return outstandingSince != null && tick - outstandingSinceTick >= offlineAfterNanos;
  }

  /** Tracks the outage: its start, its end (first ack after it), and the drain. */
  private void refresh() {
    boolean off = offline();
    if (off && offlineSince == null) {
      // The link was last known good when the wait (or the session loss) began.
      offlineSince = sessionUp ? outstandingSince : sessionChange;
      offlineSinceTick = sessionUp ? outstandingSinceTick : sessionChangeTick;
      outageEnd = null;
      backfilledSinceOutage = 0;
    }
    if (!off && offlineSince != null && outageEnd == null) {
      // Its length is measured, not read off a wall clock that may have stepped meanwhile.
      outageEnd = offlineSince.plusNanos(ticker.getAsLong() - offlineSinceTick);
      outageBacklog = backlogRows;
    }
    if (offlineSince != null && outageEnd != null && backlogRows == 0) {
      pendingOutage =
          new OutageSummary(offlineSince, outageEnd, backfilledSinceOutage, outageBacklog);
      offlineSince = null;
      outageEnd = null;
    }
  }

  private void decayRate() {
    long tick = ticker.getAsLong();
    double dt = (tick - rateAt) / 1e9;
    if (dt > 0) {
      rate *= Math.pow(0.5, dt / seconds(rateHalfLife));
      rateAt = tick;
    }
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }
}
