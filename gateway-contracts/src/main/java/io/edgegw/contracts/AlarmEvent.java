package io.edgegw.contracts;

import java.util.Map;

/**
 * One transition of one alarm, on {@code gw/v1/event/alarm}.
 *
 * @param v schema version
 * @param alarmId alarm id
 * @param transition what happened
 * @param severity severity
 * @param value the value at the transition, may be null
 * @param t time of the transition, epoch milliseconds UTC
 * @param message rendered message
 * @param detail extra facts, e.g. the outcome of an interlock write
 */
public record AlarmEvent(
    int v,
    String alarmId,
    Transition transition,
    Severity severity,
    Object value,
    long t,
    String message,
    Map<String, Object> detail)
    implements Payload {

  /** Alarm transitions. */
  public enum Transition {
    RAISED,
    ACKNOWLEDGED,
    CLEARED,
    /** A latched alarm returned to normal by its acknowledgement. */
    RESET,
    /**
     * The outcome of the actions (interlock writes) of the alarm's previous transition, in {@code
     * detail}; published when they have finished, so that the transition itself is not delayed.
     */
    ACTION
  }

  public AlarmEvent {
    Checks.version(v);
    Checks.topicLevel(alarmId, "alarmId");
    Checks.present(transition, "transition");
    Checks.present(severity, "severity");
    Checks.epochMillis(t, "t");
    message = message == null ? "" : message;
    detail = detail == null ? Map.of() : Map.copyOf(detail);
  }
}
