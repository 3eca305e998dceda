package io.edgegw.rules.config;

import io.edgegw.contracts.Severity;
import java.time.Duration;
import java.util.List;

/**
 * One rule of {@code rules.yaml}; its id is also the id of its alarm.
 *
 * @param id alarm id (an MQTT topic level)
 * @param line where the rule starts in the file, for messages
 * @param condition what makes the alarm active
 * @param severity severity of the alarm
 * @param message the message template (placeholders {@code {name}}, checked at load time)
 * @param onDelay how long the condition must hold before the alarm is raised
 * @param offDelay how long it must be gone before the alarm clears
 * @param latching whether the alarm stays active until acknowledged after the condition clears
 * @param actions what to do on transitions, in file order
 */
public record Rule(
    String id,
    int line,
    Condition condition,
    Severity severity,
    MessageTemplate message,
    Duration onDelay,
    Duration offDelay,
    boolean latching,
    List<Action> actions) {}
