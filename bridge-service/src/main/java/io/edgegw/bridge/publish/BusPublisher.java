package io.edgegw.bridge.publish;

import io.edgegw.bridge.poll.BatchSink;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Publishes the pollers' batches and the bridge's status to the local bus. Batches go through the
 * bounded {@link PublishQueue}; one sender thread keeps up to {@code inflight} QoS 1 publishes
 * awaiting PUBACK and puts any failed one back at the head, so while the broker is away the queue
 * fills, and when it returns the queue drains in order.
 */
public final class BusPublisher implements BatchSink, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(BusPublisher.class);

  private final PayloadCodec codec;
  private final PublishQueue queue;
  private final BusLink link;
  private final Semaphore window;
  private final Supplier<Status> status;
  private final Counter published;
  private final Counter samplesPublished;
  private final Counter refused;
  private final Counter refusedSamples;
  private final Thread sender;
  private volatile boolean running = true;

  /** Connection settings of the local bus. */
  public record Settings(
      String host,
      int port,
      String clientId,
      String username,
      String password,
      Duration keepAlive,
      int inflight,
      long queueBytes) {}

  /**
   * @param status current status of the bridge, published retained on every (re)connect and on
   *     {@link #publishStatus()}
   */
  public BusPublisher(
      Settings settings, PayloadCodec codec, Supplier<Status> status, MeterRegistry registry) {
    this.codec = codec;
    this.status = status;
    this.queue = new PublishQueue(settings.queueBytes());
    this.window = new Semaphore(Math.max(1, settings.inflight()));
    Status offline = status.get();
    byte[] will =
        codec.encode(
            Status.of(
                offline.component(),
                Status.State.OFFLINE,
                offline.version(),
                offline.started(),
                offline.started(),
                java.util.Map.of("reason", "connection lost")));
    this.link =
        new BusLink(
            settings.host(),
            settings.port(),
            settings.clientId(),
            settings.username(),
            settings.password(),
            settings.keepAlive(),
            Topics.status(offline.component()),
            will,
            this::publishStatus);
    this.published = registry.counter("bridge.batches.published");
    this.samplesPublished = registry.counter("bridge.samples.published");
    this.refused = registry.counter("bridge.queue.dropped.batches");
    this.refusedSamples = registry.counter("bridge.queue.dropped.samples");
    registry.gauge("bridge.queue.bytes", queue, PublishQueue::bytes);
    registry.gauge("bridge.queue.depth", queue, PublishQueue::depth);
    registry.gauge("bridge.queue.limit.bytes", queue, PublishQueue::maxBytes);
    this.sender = Thread.ofPlatform().name("bus-sender").daemon().unstarted(this::send);
  }

  /** Connects and starts sending. */
  public void start() {
    link.start();
    sender.start();
  }

  /** Whether the bus session is up. */
  public boolean connected() {
    return link.isConnected();
  }

  /** The queue, for status and health. */
  public PublishQueue queue() {
    return queue;
  }

  @Override
  public boolean offer(SampleBatch batch) {
    Outgoing out =
        new Outgoing(
            Topics.telemetry(batch.device()), codec.encode(batch), false, batch.samples().size());
    boolean accepted = queue.offer(out);
    if (!accepted) {
      refused.increment();
      refusedSamples.increment(out.samples());
      if (queue.refused() == 1 || queue.refused() % 1000 == 0) {
        LOG.warnf(
            "publish queue full (%d bytes): %d batch(es) refused so far; the gap is marked on"
                + " the next batch of each device",
            queue.maxBytes(), queue.refused());
      }
    }
    return accepted;
  }

  /** Publishes the current status, retained. Status bypasses the queue: it is small and latest. */
  public void publishStatus() {
    Status s = status.get();
    if (!link.isConnected()) {
      return;
    }
    link.publish(new Outgoing(Topics.status(s.component()), codec.encode(s), true, 0))
        .whenComplete((r, e) -> {
          if (e != null) {
            LOG.debugf("status not published: %s", e.toString());
          }
        });
  }

  private void send() {
    while (running) {
      try {
        if (!link.isConnected()) {
          // Parked publishes would only pile up in the client; wait for the session instead.
          Thread.sleep(50);
          continue;
        }
        window.acquire();
        Outgoing next = queue.take(200, TimeUnit.MILLISECONDS);
        if (next == null) {
          window.release();
          continue;
        }
        link.publish(next)
            .whenComplete((ack, error) -> {
              window.release();
              if (error == null) {
                queue.acknowledged(next);
                published.increment();
                samplesPublished.increment(next.samples());
              } else {
                queue.retry(next);
              }
            });
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Publishes a final OFFLINE status, then disconnects (a clean disconnect sends no last will). */
  @Override
  public void close() {
    running = false;
    sender.interrupt();
    Status s = status.get();
    if (link.isConnected()) {
      Status offline =
          Status.of(
              s.component(),
              Status.State.OFFLINE,
              s.version(),
              s.started(),
              s.t(),
              java.util.Map.of("reason", "stopped"));
      try {
        link.publish(new Outgoing(Topics.status(s.component()), codec.encode(offline), true, 0))
            .get(2, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.debugf("final status not published: %s", e.toString());
      }
    }
    link.close();
  }
}
