package io.edgegw.rules.engine;

import dev.cel.runtime.CelEvaluationException;
import io.edgegw.contracts.AlarmEvent;
import io.edgegw.contracts.AlarmEvent.Transition;
import io.edgegw.contracts.AlarmState;
import io.edgegw.contracts.Payload;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.rules.alarm.AlarmMachine;
import io.edgegw.rules.alarm.RateOfChange;
import io.edgegw.rules.config.Condition;
import io.edgegw.rules.config.Rule;
import io.edgegw.rules.config.TagRef;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * One rule at run time: its condition's memory (last value, rate, last sample time, expression
 * inputs), its alarm machine, and whether it is FAULTED. Not thread-safe; the engine serialises.
 */
final class RuleRunner {
  private final Rule rule;
  private final AlarmMachine machine;
  private final RateOfChange rate;
  private final Map<String, Object> variables;
  private final Map<TagRef, String> variableOf;
  private final IntConsumer faultedDelta;

  /** Expression inputs that have had a sample (of any quality) since the start. */
  private final Set<String> seen = new HashSet<>();

  /** Whether the condition has been computed since start (a restored alarm waits for data). */
  private boolean known;

  private boolean condition;
  private Object value;
  private Quality quality;
  private long lastSeen;
  private String fault;

  RuleRunner(Rule rule, long startedAt, IntConsumer faultedDelta) {
    this.rule = rule;
    this.faultedDelta = faultedDelta;
    this.machine = new AlarmMachine(rule.onDelay(), rule.offDelay(), rule.latching());
    // Normal since the start, until a retained state says otherwise.
    machine.restore(AlarmMachine.State.NORMAL, startedAt);
    this.rate =
        rule.condition() instanceof Condition.Rate r ? new RateOfChange(r.perSecond()) : null;
    if (rule.condition() instanceof Condition.Expression e) {
      variables = new HashMap<>();
      variableOf = new HashMap<>();
      e.variables().forEach((name, tag) -> variableOf.put(tag, name));
    } else {
      variables = null;
      variableOf = null;
    }
    // A tag that never reports is stale `after` from the start, like one that stopped.
    this.lastSeen = startedAt;
    this.known = rule.condition() instanceof Condition.Stale;
  }

  Rule rule() {
    return rule;
  }

  AlarmMachine.State state() {
    return machine.state();
  }

  private void setFault(String f) {
    if ((fault == null) != (f == null)) {
      faultedDelta.accept(f == null ? -1 : 1);
    }
    this.fault = f;
  }

  /** Why the rule cannot be evaluated, or null. */
  String fault() {
    return fault;
  }

  /** Feeds one sample of one of the rule's inputs; returns the transition it causes, if any. */
  Optional<Outcome> onSample(TagRef tag, Sample s, long now) {
    switch (rule.condition()) {
      case Condition.Above a -> {
        if (s.q() == Quality.GOOD) {
          Double v = number(tag, s);
          if (v != null) {
            value = s.v();
            condition = a.threshold().exceeded(v, known && condition);
            known = true;
          }
        }
        // A sample without a good value leaves the condition as it was: a threshold alarm
        // neither raises nor clears on a value nobody read (the quality rule reports those).
      }
      case Condition.Rate r -> {
        if (s.q() == Quality.GOOD) {
          Double v = number(tag, s);
          if (v != null) {
            value = s.v();
            condition = rate.exceeded(v, s.t());
            known = true;
          }
        }
      }
      case Condition.Stale stale -> {
        lastSeen = Math.max(lastSeen, now);
        value = s.v();
        condition = false;
      }
      case Condition.BadQuality b -> {
        quality = s.q();
        value = s.v();
        condition = b.bad().contains(s.q());
        known = true;
      }
      case Condition.Expression e -> {
        String name = variableOf.get(tag);
        seen.add(name);
        Object v = s.q() == Quality.GOOD ? celValue(s.v()) : null;
        if (v == null) {
          variables.remove(name);
        } else {
          variables.put(name, v);
        }
        evaluate(e);
      }
    }
    return update(now);
  }

  /** The passage of time: delays, and staleness. */
  Optional<Outcome> tick(long now) {
    if (rule.condition() instanceof Condition.Stale st) {
      condition = now - lastSeen >= st.after().toMillis();
    }
    return update(now);
  }

  Optional<Outcome> acknowledge(long now) {
    return machine.acknowledge(now).map(t -> outcome(t, now));
  }

  /** Restores the state published before a restart; the condition is unknown until data comes. */
  void restore(AlarmState s) {
    AlarmMachine.State state;
    if (s.active()) {
      state = s.acked() ? AlarmMachine.State.ACTIVE_ACKED : AlarmMachine.State.ACTIVE_UNACKED;
    } else {
      state = s.acked() ? AlarmMachine.State.NORMAL : AlarmMachine.State.CLEARED_UNACKED;
    }
    machine.restore(state, s.since());
    value = s.value();
  }

  /** The state to publish for this alarm now. */
  AlarmState alarmState() {
    AlarmMachine.State s = machine.state();
    return new AlarmState(
        Payload.SCHEMA_VERSION,
        rule.id(),
        s.active(),
        s.acked(),
        rule.severity(),
        value,
        machine.since(),
        message());
  }

  private Optional<Outcome> update(long now) {
    if (!known) {
      return Optional.empty();
    }
    return machine.update(condition, now).map(t -> outcome(t, now));
  }

  private Outcome outcome(Transition t, long now) {
    AlarmState state = alarmState();
    AlarmEvent event =
        new AlarmEvent(
            Payload.SCHEMA_VERSION,
            rule.id(),
            t,
            rule.severity(),
            value,
            now,
            state.message(),
            Map.of());
    return new Outcome(rule, state, event);
  }

  private void evaluate(Condition.Expression e) {
    if (variables.size() < e.variables().size()) {
      if (seen.size() < e.variables().size()) {
        // An input not heard of since the start (a tag that changes rarely waits for its change
        // or heartbeat): the condition is not known yet, which is not a fault.
        return;
      }
      // CEL would answer "unknown" rather than fail; an input without a good value is a fault.
      StringBuilder missing = new StringBuilder();
      e.variables()
          .forEach((name, tag) -> {
            if (!variables.containsKey(name)) {
              missing
                  .append(missing.isEmpty() ? "" : ", ")
                  .append(name)
                  .append(" (")
                  .append(tag)
                  .append(')');
            }
          });
      setFault("no good value of input " + missing);
      return;
    }
    try {
      Object result = e.program().eval(variables);
      if (result instanceof Boolean b) {
        condition = b;
        known = true;
        setFault(null);
      } else {
        setFault("expression gave " + result + ", not a boolean");
      }
    } catch (CelEvaluationException ex) {
      setFault("expression failed: " + ex.getMessage());
    }
  }

  private Double number(TagRef tag, Sample s) {
    Double v =
        switch (s.v()) {
          case Long l -> (double) l;
          case Double d -> d;
          case BigInteger b -> b.doubleValue();
          case Boolean b -> b ? 1.0 : 0.0;
          default -> null;
        };
    if (v == null) {
      setFault("value '" + s.v() + "' of " + tag + " is not a number");
    } else {
      setFault(null);
    }
    return v;
  }

  /** A sample's value as the CEL variable declared for its tag (numbers are CEL doubles). */
  private static Object celValue(Object v) {
    return switch (v) {
      case null -> null;
      case Long l -> (double) l;
      case BigInteger b -> b.doubleValue();
      default -> v;
    };
  }

  private String message() {
    return rule.message().render(this::placeholder);
  }

  private Object placeholder(String name) {
    Condition c = rule.condition();
    return switch (name) {
      case "id" -> rule.id();
      case "severity" -> rule.severity();
      case "value" -> value;
      case "device" -> c.inputs().getFirst().device();
      case "tag" -> c.inputs().getFirst().tag();
      case "limit" -> c instanceof Condition.Above a ? a.threshold().limit() : null;
      case "hysteresis" -> c instanceof Condition.Above a ? a.threshold().hysteresis() : null;
      case "rate" -> rate == null ? null : Math.round(rate.rate() * 1000.0) / 1000.0;
      case "perSecond" -> c instanceof Condition.Rate r ? r.perSecond() : null;
      case "after" -> c instanceof Condition.Stale st ? st.after() : null;
      case "quality" -> quality;
      default -> variables == null ? null : variables.get(name);
    };
  }
}
