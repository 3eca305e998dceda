package io.edgegw.uplink.outbox;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;

/**
 * Decides what goes out next: alarm events first (either lane), then live telemetry, then backfill
 * telemetry only when the live lane has nothing waiting and the token bucket allows. Pure: no
 * threads; time comes from the injected {@link TimeMeter}.
 *
 * <p>The in-flight window is the smaller of the configured one and the broker's Receive Maximum.
 * Backfill may fill only three quarters of it (at least one message), so that a live message never
 * waits for backfill acknowledgements to free a slot.
 *
 * <p>The bucket is two bucket4j buckets, one counting messages and one counting payload bytes (the
 * bandwidths of one bucket4j bucket all limit the same tokens, so one bucket cannot count both). A
 * backfill message needs one message token and a byte balance above zero; its bytes are then
 * charged in full, possibly into debt, because its size is known only once it is encoded. The
 * long-run rate keeps to both limits. Alarm events are charged their bytes but never wait.
 */
public final class DeliveryScheduler {

  /** What is waiting and what is in flight, per lane. */
  public record Waiting(
      int liveInFlight,
      int backfillInFlight,
      boolean liveAlarms,
      boolean liveTelemetry,
      boolean backfillAlarms,
      boolean backfillTelemetry) {

    boolean anything() {
      return liveAlarms || liveTelemetry || backfillAlarms || backfillTelemetry;
    }
  }

  /** The decision. */
  public sealed interface Decision {
    /** Send the next slice of {@code kind} from {@code lane}. */
    record Send(Lane lane, Slice.Kind kind) implements Decision {}

    /** Nothing is waiting. */
    record Idle() implements Decision {}

    /** Something waits, but the window (or backfill's share of it) is full: wait for a PUBACK. */
    record WindowFull() implements Decision {}

    /** Only backfill waits, and the bucket is empty for {@code retryIn}. */
    record Throttled(Duration retryIn) implements Decision {}
  }

  private final int configuredWindow;
  private final Bucket messages;
  private final Bucket bytes;
  private int window;

  /**
   * @param configuredWindow {@code uplink.outbox.in-flight}
   * @param messagesPerSecond {@code uplink.backfill.messages-per-second}
   * @param bytesPerSecond {@code uplink.backfill.bytes-per-second}
   * @param time the clock of the bucket
   */
  public DeliveryScheduler(
      int configuredWindow, long messagesPerSecond, long bytesPerSecond, TimeMeter time) {
    if (configuredWindow < 1 || messagesPerSecond < 1 || bytesPerSecond < 1) {
      throw new IllegalArgumentException(
          "in-flight window, backfill messages/s and bytes/s must be >= 1, got "
              + configuredWindow
              + ", "
              + messagesPerSecond
              + ", "
              + bytesPerSecond);
    }
    if (messagesPerSecond > 1_000_000_000L || bytesPerSecond > 1_000_000_000L) {
      throw new IllegalArgumentException(
          "backfill messages/s and bytes/s must be at most 1000000000, got "
              + messagesPerSecond
              + ", "
              + bytesPerSecond);
    }
    this.configuredWindow = configuredWindow;
    this.window = configuredWindow;
    this.messages = perSecond(messagesPerSecond, time);
    this.bytes = perSecond(bytesPerSecond, time);
  }

  private static Bucket perSecond(long rate, TimeMeter time) {
    return Bucket.builder()
        .addLimit(limit -> limit.capacity(rate).refillGreedy(rate, Duration.ofSeconds(1)))
        .withCustomTimePrecision(time)
        .build();
  }

  /** The broker's Receive Maximum of the current session (MQTT 5; 65,535 when not sent). */
  public void receiveMaximum(int receiveMaximum) {
    if (receiveMaximum < 1) {
      throw new IllegalArgumentException("Receive Maximum must be >= 1, got " + receiveMaximum);
    }
    this.window = Math.min(configuredWindow, receiveMaximum);
  }

  /** Messages that may be unacknowledged at once. */
  public int window() {
    return window;
  }

  /** Of {@link #window()}, what backfill may use. */
  public int backfillWindow() {
    return Math.max(1, window - Math.max(1, window / 4));
  }

  /** The next step. A {@link Decision.Send} of backfill telemetry has taken its message token. */
  public Decision decide(Waiting w) {
    if (!w.anything()) {
      return new Decision.Idle();
    }
    if (w.liveInFlight() + w.backfillInFlight() >= window) {
      return new Decision.WindowFull();
    }
    if (w.liveAlarms()) {
      return new Decision.Send(Lane.LIVE, Slice.Kind.ALARM);
    }
    if (w.backfillAlarms()) {
      return new Decision.Send(Lane.BACKFILL, Slice.Kind.ALARM);
    }
    if (w.liveTelemetry()) {
      return new Decision.Send(Lane.LIVE, Slice.Kind.TELEMETRY);
    }
    if (w.backfillInFlight() >= backfillWindow()) {
      return new Decision.WindowFull();
    }
    EstimationProbe debt = bytes.estimateAbilityToConsume(1);
    if (!debt.canBeConsumed()) {
      return new Decision.Throttled(Duration.ofNanos(debt.getNanosToWaitForRefill()));
    }
    ConsumptionProbe token = messages.tryConsumeAndReturnRemaining(1);
    if (!token.isConsumed()) {
      return new Decision.Throttled(Duration.ofNanos(token.getNanosToWaitForRefill()));
    }
    return new Decision.Send(Lane.BACKFILL, Slice.Kind.TELEMETRY);
  }

  /** Charges a sent message's payload bytes (backfill only). */
  public void sent(Lane lane, int payloadBytes) {
    if (lane == Lane.BACKFILL && payloadBytes > 0) {
      bytes.consumeIgnoringRateLimits(payloadBytes);
    }
  }
}
