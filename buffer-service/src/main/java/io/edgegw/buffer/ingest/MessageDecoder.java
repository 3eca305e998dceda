package io.edgegw.buffer.ingest;

import io.edgegw.buffer.store.StoredSample;
import io.edgegw.contracts.AlarmEvent;
import io.edgegw.contracts.DeadLetter;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.PayloadException;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.contracts.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a bus message into an {@link Inbound}: decodes it against the contract, checks that the
 * device in the payload is the one in the topic, and keeps samples whose time lies inside the
 * store's window (not older than retention, not further in the future than the allowed skew).
 * Whatever fails a check becomes a dead letter with the reason; the rest is stored.
 */
public final class MessageDecoder {
  static final String COMPONENT = "buffer";
  private static final String TELEMETRY_PREFIX = Topics.ROOT + "/telemetry/";

  private final PayloadCodec codec;
  private final long retentionMs;
  private final long futureMs;

  /**
   * @param codec payload codec, with the size limit
   * @param retention samples older than this are refused: retention would delete them at once
   * @param futureSkew samples further ahead of the buffer's clock than this are refused
   */
  public MessageDecoder(PayloadCodec codec, Duration retention, Duration futureSkew) {
    this.codec = codec;
    this.retentionMs = retention.toMillis();
    this.futureMs = futureSkew.toMillis();
  }

  /** Decodes one message received at {@code nowMillis}; never throws for bad input. */
  public Inbound decode(String topic, byte[] payload, long nowMillis, Runnable ack) {
    if (topic.startsWith(TELEMETRY_PREFIX)) {
      return telemetry(topic, payload, nowMillis, ack);
    }
    if (topic.equals(Topics.ALARM_EVENTS)) {
      return alarm(topic, payload, nowMillis, ack);
    }
    return rejected(
        topic,
        payload,
        nowMillis,
        ack,
        "unknown_topic",
        "the buffer does not store topic " + topic);
  }

  private Inbound telemetry(String topic, byte[] payload, long now, Runnable ack) {
    String device = topic.substring(TELEMETRY_PREFIX.length());
    SampleBatch batch;
    try {
      batch = codec.decode(payload, SampleBatch.class);
    } catch (PayloadException e) {
      return rejected(topic, payload, now, ack, "malformed", e.getMessage());
    }
    if (!batch.device().equals(device)) {
      return rejected(
          topic,
          payload,
          now,
          ack,
          "device_mismatch",
          "payload device '" + batch.device() + "' does not match topic device '" + device + "'");
    }
    List<StoredSample> rows = new ArrayList<>(batch.samples().size());
    List<String> outside = new ArrayList<>();
    long newest = -1;
    for (Sample s : batch.samples()) {
      String why = outsideWindow(s.t(), now);
      if (why != null) {
        if (outside.size() < 5) {
          outside.add("sample '" + s.tag() + "' t=" + s.t() + " " + why);
        }
        continue;
      }
      rows.add(StoredSample.of(device, s));
      newest = Math.max(newest, s.t());
    }
    List<Inbound.Rejection> rejections = List.of();
    if (rows.size() < batch.samples().size()) {
      int n = batch.samples().size() - rows.size();
      String reason =
          n
              + " of "
              + batch.samples().size()
              + " samples outside the store's time window, not stored: "
              + String.join("; ", outside)
              + (n > outside.size() ? "; ..." : "");
      rejections =
          List.of(
              new Inbound.Rejection(
                  "out_of_window", DeadLetter.of(COMPONENT, topic, reason, now, payload)));
    }
    return new Inbound(topic, rows, List.of(), rejections, newest, ack);
  }

  private Inbound alarm(String topic, byte[] payload, long now, Runnable ack) {
    AlarmEvent event;
    try {
      event = codec.decode(payload, AlarmEvent.class);
    } catch (PayloadException e) {
      return rejected(topic, payload, now, ack, "malformed", e.getMessage());
    }
    String why = outsideWindow(event.t(), now);
    if (why != null) {
      return rejected(
          topic, payload, now, ack, "out_of_window", "alarm event t=" + event.t() + " " + why);
    }
    return new Inbound(topic, List.of(), List.of(event), List.of(), event.t(), ack);
  }

  private String outsideWindow(long t, long now) {
    if (t < now - retentionMs) {
      return "is older than the retention of " + Duration.ofMillis(retentionMs);
    }
    if (t > now + futureMs) {
      return "is more than " + Duration.ofMillis(futureMs) + " ahead of the gateway clock";
    }
    return null;
  }

  private static Inbound rejected(
      String topic, byte[] payload, long now, Runnable ack, String kind, String reason) {
    return new Inbound(
        topic,
        List.of(),
        List.of(),
        List.of(new Inbound.Rejection(kind, DeadLetter.of(COMPONENT, topic, reason, now, payload))),
        -1,
        ack);
  }
}
