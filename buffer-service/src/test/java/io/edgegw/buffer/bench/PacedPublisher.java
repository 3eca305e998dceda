package io.edgegw.buffer.bench;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.contracts.Topics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes sample batches as the bridge does (QoS 1, MQTT 5, one topic per device) at a fixed
 * rate: {@code devices} devices of {@code tags} tags each, every device once per period, the
 * devices spread evenly over the period. Each sample's time is the publish time in epoch ms, so the
 * service's commit lag is the time from publish to commit.
 *
 * <p>It counts what it handed to the client and what the broker acknowledged, and how far it fell
 * behind its schedule, so a report can say whether the offered load was really offered.
 */
final class PacedPublisher implements AutoCloseable {
  private final Mqtt5AsyncClient client;
  private final PayloadCodec codec = new PayloadCodec();
  private final int devices;
  private final int tags;
  private final long intervalNanos;
  private final String[] tagNames;
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
   * @param messagesPerSecond batches per second over all devices
   */
  PacedPublisher(int port, String password, int devices, int tags, double messagesPerSecond)
      throws Exception {
    this.devices = devices;
    this.tags = tags;
    this.intervalNanos = Math.round(1e9 / messagesPerSecond);
    this.tagNames = new String[tags];
    for (int i = 0; i < tags; i++) {
      tagNames[i] = String.format("tag%03d", i);
    }
    this.lastT = new long[devices];
    this.seq = new long[devices];
    this.client =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("bench-publisher")
            .serverHost("127.0.0.1")
            .serverPort(port)
            .simpleAuth()
            .username("producer")
            .password(password.getBytes(StandardCharsets.UTF_8))
            .applySimpleAuth()
            .buildAsync();
    client.connectWith().cleanStart(true).send().get(10, TimeUnit.SECONDS);
  }

  /**
   * Publishes one batch per device at {@code messagesPerSecond}, in the calling thread, so that the
   * service creates every series before the measured load starts.
   */
  void prime(double messagesPerSecond) {
    running = true;
    pace(Math.round(1e9 / messagesPerSecond), devices);
  }

  /** Starts publishing at the full rate until {@link #stop()}. */
  void start() {
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
    List<Sample> samples = new ArrayList<>(tags);
    double base = (t % 86_400_000L) / 1000.0;
    for (int j = 0; j < tags; j++) {
      samples.add(new Sample(tagNames[j], t, base + j, Quality.GOOD));
    }
    String id = String.format("dev%04d", device);
    SampleBatch batch = SampleBatch.of(id, seq[device]++, samples, 0);
    byte[] payload = codec.encode(batch);
    sentMessages.incrementAndGet();
    sentSamples.addAndGet(tags);
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
  void stop() throws InterruptedException {
    running = false;
    if (thread != null) {
      thread.join();
    }
  }

  long sentMessages() {
    return sentMessages.get();
  }

  long sentSamples() {
    return sentSamples.get();
  }

  long acked() {
    return acked.get();
  }

  long failed() {
    return failed.get();
  }

  /** The most the loop was ever behind its schedule, in ms, and resets the figure. */
  double takeWorstBehindMs() {
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
