package io.edgegw.buffer.ingest;

import io.edgegw.buffer.store.StoredSample;
import io.edgegw.contracts.AlarmEvent;
import io.edgegw.contracts.DeadLetter;
import java.util.List;

/**
 * One message from the bus, decoded and checked, waiting to be stored. It is acknowledged to the
 * broker only after its rows are committed (and its dead letters, if any, were sent).
 *
 * @param topic the topic it arrived on
 * @param samples samples to store
 * @param alarms alarm events to store
 * @param rejected what could not be stored and goes to the dead-letter topic, each with a reason
 * @param newestSampleTime newest sample time in the message, epoch ms, or -1
 * @param ack sends the PUBACK
 */
public record Inbound(
    String topic,
    List<StoredSample> samples,
    List<AlarmEvent> alarms,
    List<Rejection> rejected,
    long newestSampleTime,
    Runnable ack) {

  /** Something that goes to the dead-letter topic, with the metric label of its reason. */
  public record Rejection(String kind, DeadLetter letter) {}

  public Inbound {
    samples = List.copyOf(samples);
    alarms = List.copyOf(alarms);
    rejected = List.copyOf(rejected);
  }

  /** Rows this message adds to a flush. */
  public int rows() {
    return samples.size() + alarms.size();
  }
}
