package io.edgegw.contracts;

/**
 * Topic names of the local-bus contract, version 1. Every producer and consumer builds its topics
 * here, so the contract has one definition.
 */
public final class Topics {
  private Topics() {}

  /** Root of every local-bus topic of this contract version. */
  public static final String ROOT = "gw/v1";

  /** Subscription filter for all telemetry. */
  public static final String TELEMETRY_ALL = ROOT + "/telemetry/+";

  /** Subscription filter for every retained alarm state. */
  public static final String ALARM_ALL = ROOT + "/alarm/+";

  /** Subscription filter for every command reply. */
  public static final String REPLY_ALL = ROOT + "/reply/+";

  /** Subscription filter for every command to {@code target}: {@code gw/v1/cmd/{target}/+}. */
  public static String commandsTo(String target) {
    return ROOT + "/cmd/" + Checks.topicLevel(target, "target") + "/+";
  }

  /** Alarm transitions. */
  public static final String ALARM_EVENTS = ROOT + "/event/alarm";

  /** {@code gw/v1/telemetry/{deviceId}}: {@link SampleBatch}, QoS 1. */
  public static String telemetry(String deviceId) {
    return ROOT + "/telemetry/" + Checks.topicLevel(deviceId, "deviceId");
  }

  /**
   * {@code gw/v1/event/{name}}: a custom event of a rule's action ({@link AlarmEvent}, QoS 1). The
   * name {@code alarm} is taken by {@link #ALARM_EVENTS}.
   */
  public static String event(String name) {
    if ("alarm".equals(name)) {
      throw new IllegalArgumentException("event name 'alarm' is reserved for alarm transitions");
    }
    return ROOT + "/event/" + Checks.topicLevel(name, "event name");
  }

  /** {@code gw/v1/alarm/{alarmId}}: {@link AlarmState}, QoS 1, retained. */
  public static String alarm(String alarmId) {
    return ROOT + "/alarm/" + Checks.topicLevel(alarmId, "alarmId");
  }

  /** {@code gw/v1/status/{component}}: {@link Status}, QoS 1, retained, last will OFFLINE. */
  public static String status(String component) {
    return ROOT + "/status/" + Checks.topicLevel(component, "component");
  }

  /** {@code gw/v1/cmd/{target}/{verb}}: {@link Command}, QoS 1. */
  public static String command(String target, String verb) {
    return ROOT
        + "/cmd/"
        + Checks.topicLevel(target, "target")
        + "/"
        + Checks.topicLevel(verb, "verb");
  }

  /** {@code gw/v1/reply/{commandId}}: {@link CommandResult}, QoS 1. */
  public static String reply(String commandId) {
    return ROOT + "/reply/" + Checks.topicLevel(commandId, "commandId");
  }

  /** {@code gw/v1/dlq/{component}}: {@link DeadLetter}, QoS 1. */
  public static String deadLetters(String component) {
    return ROOT + "/dlq/" + Checks.topicLevel(component, "component");
  }

  /**
   * The last level of a topic, e.g. the device id of a telemetry topic.
   *
   * @throws IllegalArgumentException if the topic has no level after {@code prefix}
   */
  public static String lastLevel(String topic, String prefix) {
    if (topic == null || !topic.startsWith(prefix + "/") || topic.length() == prefix.length() + 1) {
      throw new IllegalArgumentException("topic '" + topic + "' is not under '" + prefix + "/'");
    }
    return topic.substring(prefix.length() + 1);
  }
}
