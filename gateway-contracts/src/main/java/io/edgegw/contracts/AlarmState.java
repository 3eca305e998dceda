package io.edgegw.contracts;

/**
 * Current state of one alarm, retained on {@code gw/v1/alarm/{alarmId}}.
 *
 * @param v schema version
 * @param alarmId alarm id
 * @param active whether the alarm condition holds
 * @param acked whether an operator acknowledged it
 * @param severity severity
 * @param value the value that caused the last transition, may be null
 * @param since time of the last transition, epoch milliseconds UTC
 * @param message rendered message
 */
public record AlarmState(
    int v,
    String alarmId,
    boolean active,
    boolean acked,
    Severity severity,
    Object value,
    long since,
    String message)
    implements Payload {
  public AlarmState {
    Checks.version(v);
    Checks.topicLevel(alarmId, "alarmId");
    Checks.present(severity, "severity");
    Checks.epochMillis(since, "since");
    message = message == null ? "" : message;
  }
}
