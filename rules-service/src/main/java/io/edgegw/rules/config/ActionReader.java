package io.edgegw.rules.config;

import io.edgegw.config.Problems;
import io.edgegw.config.YamlFields;
import io.edgegw.config.YamlTree.YNode;
import io.edgegw.contracts.AlarmEvent.Transition;
import io.edgegw.contracts.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the {@code actions} of a rule: interlock writes and custom events, with located problems.
 */
final class ActionReader {
  private static final Set<String> ACTION = RulesConfigLoader.keys("interlock", "event");
  private static final Set<String> INTERLOCK =
      RulesConfigLoader.keys("device", "tag", "value", "on", "timeout", "retries", "retryDelay");
  private static final Set<String> EVENT = RulesConfigLoader.keys("name", "on");

  /** The transitions an action may follow. */
  private static final Transition[] TRIGGERS = {
    Transition.RAISED, Transition.ACKNOWLEDGED, Transition.CLEARED, Transition.RESET
  };

  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration DEFAULT_RETRY_DELAY = Duration.ofMillis(500);
  private static final Pattern INTEGER = Pattern.compile("[-+]?[0-9]{1,18}");

  private final Problems problems;
  private final TagResolver tags;

  ActionReader(Problems problems, TagResolver tags) {
    this.problems = problems;
    this.tags = tags;
  }

  /** The rule's {@code actions}, in file order; empty when it has none or after problems. */
  List<Action> read(YamlFields r) {
    List<YNode> items = r.list("actions", false);
    List<Action> actions = new ArrayList<>();
    for (int k = 0; k < items.size(); k++) {
      String path = r.field("actions") + "[" + k + "]";
      int before = problems.size();
      YamlFields a = new YamlFields(problems, path, items.get(k), ACTION);
      if (!a.isMapping()) {
        continue;
      }
      if (a.keys().isEmpty()) {
        if (problems.size() == before) {
          problems.add(
              items.get(k), path, "an action has one key: interlock or event; got nothing");
        }
        continue;
      }
      if (a.keys().size() > 1) {
        String second = new ArrayList<>(a.keys()).get(1);
        problems.add(
            a.at(second),
            a.field(second),
            "an action has exactly one key, interlock or event; write each as its own '- ' item");
        continue;
      }
      Action action =
          a.has("interlock")
              ? interlock(
                  new YamlFields(problems, a.field("interlock"), a.node("interlock"), INTERLOCK))
              : event(new YamlFields(problems, a.field("event"), a.node("event"), EVENT));
      if (action != null) {
        actions.add(action);
      }
    }
    return actions;
  }

  private Action interlock(YamlFields f) {
    if (!f.isMapping()) {
      return null;
    }
    int before = problems.size();
    TagRef target = tags.tag(f, "an interlock", false);
    DeviceCatalog.Tag tag = target == null ? null : tags.find(target);
    if (tag != null && !tag.writable()) {
      problems.add(
          f.node("tag"),
          f.field("tag"),
          target
              + " is not writable; an interlock writes its target, so devices.yaml must declare"
              + " it 'writable: true'");
    }
    Object value = value(f, target, tag);
    Transition on = f.choice("on", TRIGGERS, Enum::name, Transition.RAISED);
    Duration timeout = f.positiveDuration("timeout", DEFAULT_TIMEOUT);
    Integer retries = f.integer("retries", 0, 0, 10);
    Duration retryDelay = f.duration("retryDelay", DEFAULT_RETRY_DELAY, false);
    if (problems.size() > before) {
      return null;
    }
    return new Action.Interlock(on, target, value, timeout, retries, retryDelay);
  }

  /** The value to write, of the Java type of the tag's values; null after a problem. */
  private Object value(YamlFields f, TagRef target, DeviceCatalog.Tag tag) {
    if (tag == null) {
      // The target's problem is reported; its type is unknown, so only presence is checked.
      f.scalar("value", true, "the value to write");
      return null;
    }
    String expected =
        switch (tag.type()) {
          case BOOL -> "true or false (" + target + " is a bool tag)";
          case NUMBER -> "a number (" + target + " is numeric)";
          case STRING -> "a text (" + target + " is a string tag)";
        };
    String s = f.scalar("value", true, expected);
    if (s == null) {
      return null;
    }
    Object value =
        switch (tag.type()) {
          case BOOL ->
              switch (s.strip().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on" -> Boolean.TRUE;
                case "false", "no", "off" -> Boolean.FALSE;
                default -> null;
              };
          case NUMBER -> number(s);
          case STRING -> s;
        };
    if (value == null) {
      problems.add(f.node("value"), f.field("value"), "expected " + expected + ", got '" + s + "'");
    }
    return value;
  }

  /** A whole number as a Long, any other finite number as a Double, or null. */
  private static Object number(String s) {
    String t = s.strip();
    if (INTEGER.matcher(t).matches()) {
      return Long.parseLong(t.startsWith("+") ? t.substring(1) : t);
    }
    return YamlFields.parseNumber(t);
  }

  private Action event(YamlFields f) {
    if (!f.isMapping()) {
      return null;
    }
    int before = problems.size();
    String name = f.text("name", true);
    if (name != null && !RulesConfigLoader.isTopicLevel(name)) {
      problems.add(
          f.node("name"),
          f.field("name"),
          "expected 1-64 characters of [A-Za-z0-9_.-] (the event is published on"
              + " gw/v1/event/{name}), got '"
              + name
              + "'");
    } else if (name != null && Topics.ALARM_EVENTS.equals(Topics.ROOT + "/event/" + name)) {
      problems.add(
          f.node("name"),
          f.field("name"),
          "'" + name + "' is taken: " + Topics.ALARM_EVENTS + " carries every alarm transition");
    }
    Transition on = f.choice("on", TRIGGERS, Enum::name, Transition.RAISED);
    return problems.size() > before ? null : new Action.Event(on, name);
  }
}
