package io.edgegw.uplink;

import io.edgegw.uplink.cloud.CloudMessage;
import io.edgegw.uplink.cloud.CloudSession;
import io.edgegw.uplink.outbox.DeliveryLedger;
import io.edgegw.uplink.outbox.DeliveryScheduler;
import io.edgegw.uplink.outbox.Lane;
import io.edgegw.uplink.outbox.OutboxDelivery;
import io.edgegw.uplink.outbox.OutboxDelivery.Outgoing;
import io.edgegw.uplink.outbox.OutboxDelivery.Step;
import io.edgegw.uplink.outbox.OutboxPosition;
import io.edgegw.uplink.outbox.OutboxReader;
import io.edgegw.uplink.outbox.Slice;
import io.edgegw.uplink.state.LinkState;
import io.edgegw.uplink.state.OutageSummary;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * The one thread that moves the outbox to the cloud. Everything that changes {@link OutboxDelivery}
 * or {@link LinkState} happens here: session changes and PUBACKs arrive from the client's threads
 * through a queue, so their order is the order the loop sees, and {@link LinkState} (not
 * thread-safe) has a single owner. The loop publishes every {@link Step.Publish} at once (the
 * scheduler keeps the in-flight window), honours {@link Step.Wait}, polls the live lane every
 * {@code live-poll-interval}, and reports the link's {@link LinkState.Snapshot} to {@code onState}
 * on every mode change and every {@code status-interval}.
 *
 * <p>Every wait is measured on the monotonic ticker ({@code System::nanoTime}), never on the wall
 * clock: a wall clock stepped back by an hour must not hold the live lane for an hour.
 */
final class DeliveryLoop implements Runnable {
  private static final Logger LOG = Logger.getLogger(DeliveryLoop.class);

  /** How long the loop waits at most, so that a mode change by the clock alone is seen soon. */
  private static final Duration TICK = Duration.ofMillis(250);

  /** After a database error, the loop waits this long before it tries again. */
  private static final Duration DB_RETRY = Duration.ofSeconds(2);

  /**
   * A backlog of at least {@link #LARGE_BACKLOG} rows is counted again no sooner than this many
   * times what its count took.
   */
  private static final int COUNT_COST_FACTOR = 20;

  /**
   * Rows from which a count is costly enough to space out. Below it the count is cheap whatever one
   * measurement says (the first one also pays for a cold connection and JIT).
   */
  private static final long LARGE_BACKLOG = 100_000;

  /** PostgreSQL's SQLSTATE for an unknown function. */
  private static final String UNDEFINED_FUNCTION = "42883";

  /** What the loop tells the rest of the service. */
  interface Events {
    /** A message was published (QoS 1 sent). */
    void published(Outgoing message);

    /** A message was acknowledged by the cloud. */
    void acknowledged(Outgoing message);

    /** The link's state, on every mode change and every status interval. */
    void state(LinkState.Snapshot snapshot);

    /** An outage ended and its backlog is drained. */
    void outage(OutageSummary outage);
  }

  private final CloudSession cloud;
  private final OutboxDelivery delivery;
  private final DeliveryScheduler scheduler;
  private final OutboxReader reader;
  private final DeliveryLedger ledger;
  private final LinkState link;
  private final LongSupplier ticker;
  private final String consumer;
  private final String topicRoot;
  private final Duration pollInterval;
  private final Duration statusInterval;
  private final Events events;
  private final BlockingQueue<Consumer<DeliveryLoop>> inbox = new LinkedBlockingQueue<>();
  private volatile boolean running = true;

  private boolean sessionUp;
  private boolean started;
  // Ticker readings (nanoseconds); compared by difference, as System.nanoTime requires.
  private long nextPoll;
  private long nextStatus;
  private long nextBacklog;
  private long lastBacklog;
  private LinkState.Mode lastMode;
  private Duration countSpacing;
  private boolean counting;
  private volatile boolean summarize = true;
  private final ExecutorService counter =
      Executors.newSingleThreadExecutor(
          Thread.ofPlatform().name("uplink-backlog").daemon().factory());

  DeliveryLoop(
      CloudSession cloud,
      OutboxDelivery delivery,
      DeliveryScheduler scheduler,
      OutboxReader reader,
      DeliveryLedger ledger,
      LinkState link,
      LongSupplier ticker,
      String consumer,
      String topicRoot,
      Duration pollInterval,
      Duration statusInterval,
      Events events) {
    this.cloud = cloud;
    this.delivery = delivery;
    this.scheduler = scheduler;
    this.reader = reader;
    this.ledger = ledger;
    this.link = link;
    this.ticker = ticker;
    long now = ticker.getAsLong();
    this.nextPoll = now;
    this.nextStatus = now;
    this.nextBacklog = now;
    this.lastBacklog = now;
    this.consumer = consumer;
    this.topicRoot = topicRoot;
    this.pollInterval = pollInterval;
    this.countSpacing = pollInterval;
    this.statusInterval = statusInterval;
    this.events = events;
  }

  /** A {@link CloudSession.Listener} that hands session changes to the loop. */
  CloudSession.Listener listener() {
    return new CloudSession.Listener() {
      @Override
      public void connected() {
        inbox.add(DeliveryLoop::onConnected);
      }

      @Override
      public void disconnected(String reason) {
        inbox.add(DeliveryLoop::onDisconnected);
      }
    };
  }

  /** Ends the loop after the step it is in. */
  void stop() {
    running = false;
    counter.shutdownNow();
    inbox.add(loop -> {});
  }

  @Override
  public void run() {
    while (running) {
      Duration wait;
      try {
        wait = step();
      } catch (SQLException e) {
        LOG.errorf(
            "the edge store failed (%s); delivery retries in %d s",
            e.getMessage(), DB_RETRY.toSeconds());
        wait = DB_RETRY;
        // What was planned from the failed read is planned again from the stored positions.
        started = false;
      } catch (RuntimeException e) {
        LOG.errorf(e, "delivery failed; it retries in %d s", DB_RETRY.toSeconds());
        wait = DB_RETRY;
        started = false;
      }
      try {
        Consumer<DeliveryLoop> event = inbox.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        while (event != null) {
          try {
            event.accept(this);
          } catch (RuntimeException e) {
            // The loop is the only thread that delivers: it must outlive any event. What was
            // planned is planned again from the stored positions.
            LOG.errorf(
                e, "a delivery event failed; delivery starts again from the stored positions");
            started = false;
          }
          event = inbox.poll();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** One turn: start if needed, poll, publish what may go, report; returns how long to wait. */
  private Duration step() throws SQLException {
    long now = ticker.getAsLong();
    Duration wait = TICK;
    if (sessionUp && !started) {
      scheduler.receiveMaximum(cloud.receiveMaximum());
      delivery.start();
      started = true;
      nextPoll = now;
    }
    if (due(nextPoll, now)) {
      if (started) {
        delivery.pollLive();
      }
      nextPoll = now + pollInterval.toNanos();
    }
    if (!counting && due(nextBacklog, now)) {
      countBacklog(now);
    }
    if (started) {
      boolean publishing = true;
      while (publishing) {
        switch (delivery.next()) {
          case Step.Publish p -> publish(p.message());
          case Step.Wait w -> {
            wait = min(wait, w.retryIn());
            publishing = false;
          }
          case Step.Nothing n -> publishing = false;
        }
      }
    }
    report(now);
    long after = ticker.getAsLong();
    Duration untilPoll = min(wait, Duration.ofNanos(nextPoll - after));
    // While a count runs, its result wakes the loop.
    return counting ? untilPoll : min(untilPoll, Duration.ofNanos(nextBacklog - after));
  }

  /**
   * Counts the backlog for the status. While the lanes run and the link carries, the backlog is
   * what the backfill lane still has to deliver: commits above its end are the live lane's, in
   * transit, so a link that carries a steady flow of new data reaches ONLINE once the outage's
   * backlog is through. While they do not run, or the link is OFFLINE, it is every unacknowledged
   * row.
   *
   * <p>The count reads every page of the backlog, so it runs on its own thread, one at a time, and
   * never holds up delivery (a 3-million-row count takes seconds, and the live lane must not wait
   * for it). A large backlog is counted again no sooner than twenty times what its count took.
   */
  private void countBacklog(long now) {
    counting = true;
    // An OFFLINE link with its session still up (a cloud that hangs: nothing acknowledged, no
    // socket error yet) carries nothing: the live lane's commits wait like the rest, and count.
    boolean carrying = started && link.mode() != LinkState.Mode.OFFLINE;
    long through = carrying ? delivery.backfillEnd() : Long.MAX_VALUE;
    counter.execute(() -> {
      try {
        summarizeOutbox();
        long began = System.nanoTime();
        OutboxPosition from = ledger.positions().get(Lane.BACKFILL);
        OutboxReader.Backlog backlog =
            reader.backlog(consumer, from == null ? 0 : from.completeThrough(), through);
        Duration took = Duration.ofNanos(System.nanoTime() - began);
        inbox.add(loop -> loop.onBacklog(now, backlog, took));
      } catch (SQLException | RuntimeException e) {
        LOG.warnf("counting the backlog failed (%s); it is counted again later", e.getMessage());
        inbox.add(loop -> loop.onBacklog(now, null, DB_RETRY));
      }
    });
  }

  private void onBacklog(long countedAt, OutboxReader.Backlog backlog, Duration took) {
    counting = false;
    if (backlog != null) {
      link.backlog(backlog.rows(), backlog.oldest());
    }
    Duration cost = took.multipliedBy(COUNT_COST_FACTOR);
    boolean large = backlog == null || backlog.rows() >= LARGE_BACKLOG;
    countSpacing = large && cost.compareTo(pollInterval) > 0 ? cost : pollInterval;
    lastBacklog = countedAt;
    nextBacklog =
        countedAt
            + (countSpacing.compareTo(statusInterval) > 0 ? countSpacing : statusInterval)
                .toNanos();
  }

  /** See {@link OutboxReader#summarize()}; a store without the function is counted unsummarized. */
  private void summarizeOutbox() throws SQLException {
    if (!summarize) {
      return;
    }
    try {
      reader.summarize();
    } catch (SQLException e) {
      if (!UNDEFINED_FUNCTION.equals(e.getSQLState())) {
        throw e;
      }
      summarize = false;
      LOG.warnf(
          "the edge store has no outbox_summarize() (buffer-service's schema is older than this"
              + " uplink-service): backlog reads scan unsummarized pages until autovacuum runs");
    }
  }

  private void publish(Outgoing message) {
    String kind =
        switch (message.slice().kind()) {
          case TELEMETRY -> "telemetry";
          case ALARM -> "alarm";
        };
    CloudMessage m =
        CloudMessage.atLeastOnce(topicRoot + "/" + kind, message.payload().payload())
            .withProperties(
                message.payload().contentType(),
                Map.of("key", message.key(), "lane", message.lane().column()));
    link.published();
    events.published(message);
    cloud
        .publish(m)
        .whenComplete((x, err) -> {
          if (err == null) {
            inbox.add(loop -> loop.onAcknowledged(message));
          } else {
            // A lost session resends it (sessionLost); a refusal by the broker is logged.
            LOG.debugf("message %s not acknowledged: %s", message.key(), err.getMessage());
          }
        });
  }

  private void onAcknowledged(Outgoing message) {
    try {
      delivery.acknowledged(message);
    } catch (SQLException e) {
      // The position stays behind: the message goes again after the next start, same key.
      LOG.errorf("storing the outbox position failed: %s", e.getMessage());
      started = false;
      return;
    }
    long backfillRows =
        message.lane() == Lane.BACKFILL && message.slice().kind() == Slice.Kind.TELEMETRY
            ? message.slice().rows()
            : 0;
    link.acknowledged(delivery.inFlight() > 0, backfillRows);
    events.acknowledged(message);
    // A drained backlog is what ends an outage: count again soon, not only at the next status.
    long soon = lastBacklog + countSpacing.toNanos();
    if (soon - nextBacklog < 0) {
      nextBacklog = soon;
    }
  }

  private void onConnected() {
    sessionUp = true;
    started = false;
    link.sessionUp();
  }

  private void onDisconnected() {
    // Every failed reconnection attempt reports again; only the loss of a session counts, or the
    // outage would seem to start anew on each attempt and never last offline.after.
    if (!sessionUp) {
      return;
    }
    if (started) {
      delivery.sessionLost();
    }
    sessionUp = false;
    started = false;
    link.sessionDown();
  }

  private void report(long now) {
    LinkState.Snapshot snapshot = link.snapshot();
    if (snapshot.mode() != lastMode || due(nextStatus, now)) {
      if (lastMode != null && snapshot.mode() != lastMode) {
        LOG.infof("cloud link %s -> %s", lastMode, snapshot.mode());
      }
      lastMode = snapshot.mode();
      nextStatus = now + statusInterval.toNanos();
      events.state(snapshot);
    }
    link.outage().ifPresent(events::outage);
  }

  /** Whether a ticker reading {@code now} is at or past {@code deadline}. */
  private static boolean due(long deadline, long now) {
    return now - deadline >= 0;
  }

  private static Duration min(Duration a, Duration b) {
    Duration m = a.compareTo(b) <= 0 ? a : b;
    return m.isNegative() ? Duration.ZERO : m;
  }
}
