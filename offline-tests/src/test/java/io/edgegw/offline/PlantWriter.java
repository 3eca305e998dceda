package io.edgegw.offline;

import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Topics;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The plant's steady load for the fault suite: {@value #STEPS_PER_TICK} steps of every device of
 * {@link PlantData} every {@value #TICK_MS} ms (1,000 samples/s), published at QoS 1 as the bridge
 * publishes, through every fault. A batch the broker did not acknowledge (Mosquitto restarting) is
 * published again until it is, for up to {@link #RETRY_FOR}: the buffer's writes are idempotent, so
 * a batch that did arrive the first time adds nothing. {@link #rush} publishes a number of steps as
 * fast as the bus takes them, the volume an outage leaves behind.
 */
final class PlantWriter implements AutoCloseable {
  static final int STEPS_PER_TICK = 10;
  static final long TICK_MS = 500;
  static final Duration RETRY_FOR = Duration.ofSeconds(90);
  private static final PayloadCodec CODEC = new PayloadCodec();

  private final FaultGateway gw;
  private final PlantData plant;
  private final long lastStep;
  private final AtomicLong next = new AtomicLong();
  private final AtomicLong rushUntil = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final ScheduledExecutorService executor =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "plant-writer"));

  /**
   * @param lastStep the writer fails rather than publish this step or later (plant time must stay
   *     behind the services' clock, stepped back included)
   */
  PlantWriter(FaultGateway gw, PlantData plant, long lastStep) {
    this.gw = gw;
    this.plant = plant;
    this.lastStep = lastStep;
  }

  PlantWriter start() {
    executor.scheduleWithFixedDelay(this::tick, 0, TICK_MS, TimeUnit.MILLISECONDS);
    return this;
  }

  /** The first step not yet published: steps {@code [0, next())} are at the broker. */
  long next() {
    return next.get();
  }

  /** Publishes {@code steps} more steps as fast as the bus takes them. */
  void rush(long steps) {
    rushUntil.set(next.get() + steps);
  }

  boolean rushing() {
    return next.get() < rushUntil.get();
  }

  /** The first failure, or null. */
  Throwable failure() {
    return failure.get();
  }

  private void tick() {
    if (failure.get() != null) {
      return;
    }
    try {
      do {
        long s = next.get();
        if (s + STEPS_PER_TICK > lastStep) {
          throw new IllegalStateException("the plant's period is used up at step " + s);
        }
        for (int d = 0; d < PlantData.DEVICES; d++) {
          publish(d, s, s + STEPS_PER_TICK);
        }
        next.set(s + STEPS_PER_TICK);
      } while (rushing());
    } catch (Exception | Error e) {
      failure.compareAndSet(null, e);
    }
  }

  private void publish(int d, long from, long to) throws Exception {
    byte[] payload = CODEC.encode(plant.batch(d, from, to));
    long deadline = System.nanoTime() + RETRY_FOR.toNanos();
    while (true) {
      try {
        gw.plant.publish(Topics.telemetry("d" + d), payload);
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the bus did not take d" + d + " steps " + from + ".." + to + " for " + RETRY_FOR, e);
        }
      }
    }
  }

  /** Stops after the tick in progress; returns the first step not published. */
  long stop() throws InterruptedException {
    executor.shutdown();
    if (!executor.awaitTermination(2, TimeUnit.MINUTES)) {
      throw new IllegalStateException("the plant writer did not stop");
    }
    return next.get();
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
