package io.edgegw.testsupport.bench;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.contracts.Topics;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes sample batches as the bridge does (QoS 1, MQTT 5, one topic per device, devices named
 * {@link #deviceId(int)}) at a fixed rate: every device once per period, the devices spread evenly
 * over the period. What each batch holds comes from a {@link Samples} source, called with the
 * publish time in epoch ms, so a service can measure from publish to its own work.
 *
 * <p>It counts what it handed to the client and what the broker acknowledged, and how far it fell
 * behind its schedule, so a report can say whether the offered load was really offered.
 */
public final class PacedPublisher implements AutoCloseable {

  /** The samples of one batch. Called on the publishing thread only. */
  @FunctionalInterface
  public interface Samples {
    /**
     * @param device the device's index, 0 to devices - 1
     * @param t the batch's time in epoch ms (never twice the same for one device)
     */
    List<Sample> of(int device, long t);
  }

  private final Mqtt5AsyncClient client;
  private final PayloadCodec codec = new PayloadCodec();
  private final int devices;
  private final Samples samples;
  private final long intervalNanos;
  private final long[] lastT;
  private final long[] seq;
  private final AtomicLong sentMessages = new AtomicLong();
  private final AtomicLong sentSamples = new AtomicLong();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private volatile long worstBehindNanos;
  private volatile boolean running;
  private long next;
  private Thread thread;

  /**
   * Connects (clean start) as {@code username}.
   *
   * @param devices devices {@code dev0000} to {@code dev<devices - 1>}
   * @param messagesPerSecond batches per second over all devices
   * @param samples what each batch holds
   */
  public PacedPublisher(
      int port,
      String username,
      String password,
      int devices,
      double messagesPerSecond,
      Samples samples)
      throws Exception {
    this.devices = devices;
    this.samples = samples;
    this.intervalNanos = Math.round(1e9 / messagesPerSecond);
    this.lastT = new long[devices];
    this.seq = new long[devices];
    this.client =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("bench-publisher")
            .serverHost("127.0.0.1")
            .serverPort(port)
            .simpleAuth()
            .username(username)
            .password(password.getBytes(StandardCharsets.UTF_8))
            .applySimpleAuth()
            .buildAsync();
    client.connectWith().cleanStart(true).send().get(10, TimeUnit.SECONDS);
  }

  /** The id of device {@code index}: {@code dev0000}, {@code dev0001}, ... */
  public static String deviceId(int index) {
    return String.format("dev%04d", index);
  }

  /** The name of tag {@code index}: {@code tag000}, {@code tag001}, ... */
  public static String tagName(int index) {
    return String.format("tag%03d", index);
  }

  /**
   * Publishes one batch per device at {@code messagesPerSecond}, in the calling thread, so that a
   * service meets every device (and creates its series) before the measured load starts.
   */
  public void prime(double messagesPerSecond) {
    running = true;
    pace(Math.round(1e9 / messagesPerSecond), devices);
  }

  /** Starts publishing at the full rate until {@link #stop()}. */
  public void start() {
    running = true;
    thread = Thread.ofPlatform().name("bench-publisher").start(() -> pace(intervalNanos, -1));
  }

  /** Publishes every {@code interval}, {@code count} times (or until stopped when negative). */
  private void pace(long interval, long count) {
    long start = System.nanoTime();
    for (long i = 0; running && (count < 0 || i < count); i++) {
      long due = start + i * interval;
      long now;
      while ((now = System.nanoTime()) < due) {
        LockSupport.parkNanos(due - now);
      }
      long behind = now - due;
      if (behind > worstBehindNanos) {
        worstBehindNanos = behind;
      }
      int d = (int) (next++ % devices);
      // Never two batches of one device in the same millisecond: (series, ts) is the store's key.
      long t = Math.max(System.currentTimeMillis(), lastT[d] + 1);
      lastT[d] = t;
      publish(d, t);
    }
  }

  private void publish(int device, long t) {
    List<Sample> batchSamples = samples.of(device, t);
    String id = deviceId(device);
    SampleBatch batch = SampleBatch.of(id, seq[device]++, batchSamples, 0);
    byte[] payload = codec.encode(batch);
    sentMessages.incrementAndGet();
    sentSamples.addAndGet(batchSamples.size());
    client
        .publishWith()
        .topic(Topics.telemetry(id))
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(payload)
        .send()
        .whenComplete((result, error) -> {
          if (error == null && result.getError().isEmpty()) {
            acked.incrementAndGet();
          } else {
            failed.incrementAndGet();
          }
        });
  }

  /** Stops publishing; what was handed to the client is still sent. */
  public void stop() throws InterruptedException {
    running = false;
    if (thread != null) {
      thread.join();
    }
  }

  /** Batches handed to the client so far. */
  public long sentMessages() {
    return sentMessages.get();
  }

  /** Samples handed to the client so far. */
  public long sentSamples() {
    return sentSamples.get();
  }

  /** Batches the broker acknowledged (PUBACK) so far. */
  public long acked() {
    return acked.get();
  }

  /** Batches the client or the broker failed. */
  public long failed() {
    return failed.get();
  }

  /** The most the loop was ever behind its schedule, in ms, and resets the figure. */
  public double takeWorstBehindMs() {
    double ms = worstBehindNanos / 1e6;
    worstBehindNanos = 0;
    return ms;
  }

  @Override
  public void close() {
    try {
      stop();
      client.disconnect().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // A broker busy with a redelivery storm may not answer the DISCONNECT in time; the broker
      // is stopped right after, and nothing measured depends on a clean disconnect.
      System.err.println("publisher: no clean disconnect (" + e + ")");
    }
  }
}
