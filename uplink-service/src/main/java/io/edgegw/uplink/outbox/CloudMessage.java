package io.edgegw.uplink.outbox;

import java.util.List;
import java.util.Map;

/**
 * A message to the cloud from the outbox (schema version {@link #VERSION}). Every message names the
 * buffer commits it holds ({@code fromSeq..toSeq}) and carries a dedup {@code key} (see {@link
 * Slice#key}); a receiver drops a message whose key it has already stored.
 */
public sealed interface CloudMessage {
  /** Schema version of the cloud messages. */
  int VERSION = 1;

  int v();

  String gateway();

  /** {@code live} or {@code backfill}. */
  String lane();

  String key();

  long fromSeq();

  long toSeq();

  /**
   * Telemetry on {@code {prefix}/{gatewayId}/telemetry}.
   *
   * @param samples in (commit, series, time) order
   */
  record Telemetry(
      int v,
      String gateway,
      String lane,
      String key,
      long fromSeq,
      long toSeq,
      List<Sample> samples)
      implements CloudMessage {
    public Telemetry {
      samples = List.copyOf(samples);
    }
  }

  /**
   * Alarm events on {@code {prefix}/{gatewayId}/alarm}.
   *
   * @param events in (commit, time) order
   */
  record Alarms(
      int v, String gateway, String lane, String key, long fromSeq, long toSeq, List<Event> events)
      implements CloudMessage {
    public Alarms {
      events = List.copyOf(events);
    }
  }

  /**
   * One stored sample.
   *
   * @param device device id
   * @param tag tag name
   * @param t epoch milliseconds UTC
   * @param v a number (an exact integer when the store kept its decimal), boolean or string; null
   *     when no value is known
   * @param q quality: {@code GOOD}, {@code BAD}, {@code STALE} or {@code COMM_FAILURE}
   */
  record Sample(String device, String tag, long t, Object v, String q) {}

  /**
   * One stored alarm transition, as {@code AlarmEvent} on the local bus.
   *
   * @param t epoch milliseconds UTC
   */
  record Event(
      String alarmId,
      String transition,
      String severity,
      Object value,
      long t,
      String message,
      Map<String, Object> detail) {}
}
