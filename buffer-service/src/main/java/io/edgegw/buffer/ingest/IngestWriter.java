package io.edgegw.buffer.ingest;

import io.edgegw.buffer.store.StoreWriter;
import io.edgegw.buffer.store.StoredSample;
import io.edgegw.contracts.AlarmEvent;
import io.edgegw.contracts.DeadLetter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * The ingest loop: collects decoded messages into flushes of up to {@code batchRows} rows or {@code
 * maxDelay} of waiting, writes each flush in one transaction, and only then sends the dead letters
 * and acknowledges the messages to the broker.
 *
 * <p>Failures: when the database is unreachable or restarting, the same flush is retried with
 * backoff and nothing is acknowledged, so the broker keeps the messages. When the database refuses
 * the data itself (a constraint or a data error), the flush is split and retried message by
 * message; the message that is still refused goes to the dead-letter topic, so one bad message can
 * never block the queue.
 */
public final class IngestWriter implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(IngestWriter.class);

  /** Flush limits. */
  public record Settings(int batchRows, Duration maxDelay, int queueCapacity) {
    public Settings {
      if (batchRows < 1) {
        throw new IllegalArgumentException("batch rows must be at least 1, got " + batchRows);
      }
      if (maxDelay.isNegative() || maxDelay.isZero()) {
        throw new IllegalArgumentException("max flush delay must be positive, got " + maxDelay);
      }
      if (queueCapacity < 1) {
        throw new IllegalArgumentException("queue capacity must be at least 1");
      }
    }
  }

  private final StoreWriter store;
  private final DeadLetterSink deadLetters;
  private final Settings settings;
  private final InstantSource clock;
  private final BlockingQueue<Inbound> queue;
  private final Thread thread;
  private volatile boolean running = true;
  private final AtomicReference<String> storeProblem = new AtomicReference<>();
  private final AtomicLong lastCommit = new AtomicLong(-1);

  private final MeterRegistry registry;
  private final Counter messages;
  private final Counter inserted;
  private final Counter duplicates;
  private final Counter alarms;
  private final Counter transientErrors;
  private final Timer flushTime;
  private final DistributionSummary flushRows;
  private final Timer commitLag;

  public IngestWriter(
      StoreWriter store,
      DeadLetterSink deadLetters,
      Settings settings,
      InstantSource clock,
      MeterRegistry registry) {
    this.store = store;
    this.deadLetters = deadLetters;
    this.settings = settings;
    this.clock = clock;
    this.registry = registry;
    this.queue = new ArrayBlockingQueue<>(settings.queueCapacity());
    this.messages = registry.counter("buffer_ingest_messages_total");
    this.inserted = registry.counter("buffer_ingest_samples_total");
    this.duplicates = registry.counter("buffer_ingest_duplicates_total");
    this.alarms = registry.counter("buffer_ingest_alarm_events_total");
    this.transientErrors = registry.counter("buffer_store_errors_total", "kind", "unavailable");
    this.flushTime =
        Timer.builder("buffer_flush_duration").publishPercentileHistogram().register(registry);
    this.flushRows = DistributionSummary.builder("buffer_flush_rows").register(registry);
    this.commitLag =
        Timer.builder("buffer_commit_lag")
            .description("time from the newest sample of a message to the commit of its rows")
            .serviceLevelObjectives(
                ms(10), ms(25), ms(50), ms(100), ms(250), ms(500), ms(750), ms(1000), ms(2500),
                ms(5000), ms(10000))
            .minimumExpectedValue(ms(1))
            .maximumExpectedValue(Duration.ofMinutes(10))
            .register(registry);
    registry.gauge("buffer_ingest_queue_messages", queue, BlockingQueue::size);
    this.thread = Thread.ofPlatform().name("buffer-writer").daemon(false).unstarted(this::loop);
  }

  private static Duration ms(long n) {
    return Duration.ofMillis(n);
  }

  /** Starts the writer thread. */
  public void start() {
    thread.start();
  }

  /**
   * Hands over a message; blocks while the queue is full, which holds back the broker (it sends no
   * more than its in-flight window of unacknowledged messages).
   */
  public void submit(Inbound message) throws InterruptedException {
    queue.put(message);
  }

  /** Why the store is not writable right now, or null when the last flush committed. */
  public String storeProblem() {
    return storeProblem.get();
  }

  /** Epoch ms of the last commit, or -1. */
  public long lastCommit() {
    return lastCommit.get();
  }

  /** Messages waiting for the writer. */
  public int queued() {
    return queue.size();
  }

  private void loop() {
    List<Inbound> batch = new ArrayList<>();
    while (running) {
      try {
        Inbound first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        int rows = first.rows();
        long deadline = System.nanoTime() + settings.maxDelay().toNanos();
        while (rows < settings.batchRows()) {
          long wait = deadline - System.nanoTime();
          Inbound next = wait <= 0 ? queue.poll() : queue.poll(wait, TimeUnit.NANOSECONDS);
          if (next == null) {
            break;
          }
          batch.add(next);
          rows += next.rows();
        }
        flush(batch);
        batch.clear();
      } catch (InterruptedException e) {
        // close() interrupts a backoff; messages not acknowledged come again from the broker.
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.errorf(
            e, "ingest flush failed unexpectedly; %d messages will be redelivered", batch.size());
        batch.clear();
      }
    }
  }

  /** Writes one flush, retrying while the database is unavailable. */
  void flush(List<Inbound> batch) throws InterruptedException {
    long backoffMs = 100;
    while (running) {
      try {
        write(batch);
        storeProblem.set(null);
        return;
      } catch (SQLException e) {
        if (!isUnavailable(e)) {
          refused(batch, e);
          storeProblem.set(null);
          return;
        }
        transientErrors.increment();
        String problem = "database unavailable: " + e.getMessage();
        if (storeProblem.getAndSet(problem) == null) {
          LOG.warnf(
              "cannot commit %d messages (%s); retrying, nothing is acknowledged meanwhile",
              batch.size(), e.getMessage());
        }
        TimeUnit.MILLISECONDS.sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5000);
      } catch (RuntimeException e) {
        // A defect, not bad luck: isolate the message that causes it, as for a refused one, so
        // that no message stays unacknowledged (which would shrink the broker's window for good).
        LOG.errorf(e, "unexpected failure writing %d messages", batch.size());
        refused(batch, new SQLException("unexpected failure: " + e, "XX000", e));
        storeProblem.set(null);
        return;
      }
    }
  }

  private void write(List<Inbound> batch) throws SQLException, InterruptedException {
    List<StoredSample> samples = new ArrayList<>();
    List<AlarmEvent> events = new ArrayList<>();
    for (Inbound m : batch) {
      samples.addAll(m.samples());
      events.addAll(m.alarms());
    }
    long start = System.nanoTime();
    StoreWriter.Written w =
        samples.isEmpty() && events.isEmpty()
            ? new StoreWriter.Written(-1, 0, 0, 0)
            : store.write(samples, events);
    long now = clock.millis();
    if (w.ingestSeq() >= 0) {
      flushTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      flushRows.record(samples.size() + events.size());
      lastCommit.set(now);
    }
    inserted.increment(w.samplesInserted());
    duplicates.increment(w.duplicates());
    alarms.increment(w.alarmsInserted());
    for (Inbound m : batch) {
      for (Inbound.Rejection r : m.rejected()) {
        deadLetter(r.kind(), r.letter());
      }
      if (m.newestSampleTime() >= 0 && m.rows() > 0) {
        commitLag.record(Math.max(0, now - m.newestSampleTime()), TimeUnit.MILLISECONDS);
      }
      m.ack().run();
      messages.increment();
    }
  }

  /** The database refused the data itself: isolate the message that causes it. */
  private void refused(List<Inbound> batch, SQLException e) throws InterruptedException {
    if (batch.size() > 1) {
      LOG.warnf(
          "the store refused a flush of %d messages (%s); writing them one by one",
          batch.size(), e.getMessage());
      for (Inbound m : batch) {
        flush(List.of(m));
      }
      return;
    }
    Inbound m = batch.getFirst();
    String reason = "the store refused the message: " + e.getMessage();
    LOG.errorf("%s (topic %s); sent to the dead-letter topic", reason, m.topic());
    for (Inbound.Rejection r : m.rejected()) {
      deadLetter(r.kind(), r.letter());
    }
    deadLetter(
        "store_refused",
        DeadLetter.of(MessageDecoder.COMPONENT, m.topic(), reason, clock.millis(), new byte[0]));
    registry.counter("buffer_store_errors_total", "kind", "refused").increment();
    m.ack().run();
    messages.increment();
  }

  /**
   * Counts, logs and publishes a dead letter without waiting for the broker: the bus client keeps
   * the QoS 1 publish until it is acknowledged, across reconnects, and the reason is in the log and
   * the metric either way.
   */
  private void deadLetter(String kind, DeadLetter letter) {
    registry.counter("buffer_dlq_total", "reason", kind).increment();
    LOG.warnf("dead letter (%s) from %s: %s", kind, letter.topic(), letter.reason());
    deadLetters
        .send(letter)
        .whenComplete((ok, err) -> {
          if (err != null) {
            LOG.warnf("dead letter could not be published: %s", err.toString());
          }
        });
  }

  /**
   * Whether the database could not take the write for a reason of its own (unreachable, restarting,
   * out of resources, a serialization conflict, a partition dropped concurrently): then the same
   * data will succeed later.
   */
  static boolean isUnavailable(SQLException e) {
    if (e instanceof SQLTransientException) {
      return true;
    }
    String state = e.getSQLState();
    if (state == null) {
      return true; // pool timeouts and I/O errors carry no state
    }
    return state.startsWith("08") // connection exception
        || state.startsWith("53") // insufficient resources
        || state.startsWith("57") // operator intervention (shutdown, restart)
        || state.startsWith("58") // system error (I/O)
        || state.startsWith("40") // serialization failure, deadlock
        || state.equals("55P03") // lock not available
        || state.equals("25P02") // aborted transaction
        || state.equals("23514") && String.valueOf(e.getMessage()).contains("no partition");
  }

  /** Stops after the flush in progress; queued messages are not acknowledged. */
  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
