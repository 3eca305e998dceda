package io.edgegw.rules.engine;

import io.edgegw.contracts.AlarmState;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.rules.config.Rule;
import io.edgegw.rules.config.RuleSet;
import io.edgegw.rules.config.TagRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Evaluates a rule set: samples in, alarm transitions out. Pure and single-threaded (the caller
 * serialises): every call takes the time, so delays and staleness are tested with explicit times.
 *
 * <p>Rules are indexed by device and tag, so a batch costs a lookup per sample plus the work of the
 * rules on that sample's tag, not a pass over every rule.
 */
public final class RuleEngine {
  private final Map<String, RuleRunner> byId = new LinkedHashMap<>();
  private final Map<String, Map<String, List<Input>>> byDeviceTag = new HashMap<>();
  private int faultedCount;

  /** A rule listening to one tag. */
  private record Input(TagRef tag, RuleRunner runner) {}

  /** Why a rule could not be acknowledged, or its transition. */
  public sealed interface AckResult {
    record Done(Outcome outcome) implements AckResult {}

    record Refused(String reason) implements AckResult {}
  }

  public RuleEngine(RuleSet rules, long startedAt) {
    for (Rule rule : rules.rules()) {
      RuleRunner runner = new RuleRunner(rule, startedAt, d -> faultedCount += d);
      if (byId.putIfAbsent(rule.id(), runner) != null) {
        throw new IllegalArgumentException("duplicate rule id '" + rule.id() + "'");
      }
      for (TagRef tag : rule.condition().inputs()) {
        byDeviceTag
            .computeIfAbsent(tag.device(), d -> new HashMap<>())
            .computeIfAbsent(tag.tag(), t -> new ArrayList<>())
            .add(new Input(tag, runner));
      }
    }
  }

  /** Feeds a batch of one device; transitions go to {@code out} in order. */
  public void onBatch(SampleBatch batch, long now, Consumer<Outcome> out) {
    Map<String, List<Input>> tags = byDeviceTag.get(batch.device());
    if (tags == null) {
      return;
    }
    for (Sample s : batch.samples()) {
      List<Input> inputs = tags.get(s.tag());
      if (inputs == null) {
        continue;
      }
      for (Input in : inputs) {
        in.runner().onSample(in.tag(), s, now).ifPresent(out);
      }
    }
  }

  /** The passage of time: on- and off-delays that have run out, and stale tags. */
  public void tick(long now, Consumer<Outcome> out) {
    for (RuleRunner r : byId.values()) {
      r.tick(now).ifPresent(out);
    }
  }

  /** An operator's acknowledgement of alarm {@code alarmId}. */
  public AckResult acknowledge(String alarmId, long now) {
    RuleRunner r = byId.get(alarmId);
    if (r == null) {
      return new AckResult.Refused("no alarm '" + alarmId + "' in the rule set");
    }
    Optional<Outcome> o = r.acknowledge(now);
    return o.<AckResult>map(AckResult.Done::new)
        .orElseGet(() ->
            new AckResult.Refused(
                "alarm '" + alarmId + "' is " + r.state() + ": nothing to acknowledge"));
  }

  /**
   * Restores a state published before a restart, without a transition. Returns false for an alarm
   * the rule set no longer has (its retained state is then stale, and the caller may clear it).
   */
  public boolean restore(AlarmState state) {
    RuleRunner r = byId.get(state.alarmId());
    if (r == null) {
      return false;
    }
    r.restore(state);
    return true;
  }

  /** Every alarm's current state, in rule order. */
  public List<AlarmState> states() {
    return byId.values().stream().map(RuleRunner::alarmState).toList();
  }

  /** Rule id to the reason it is FAULTED, for the rules that are. */
  public Map<String, String> faulted() {
    Map<String, String> f = new LinkedHashMap<>();
    byId.values().stream()
        .filter(r -> r.fault() != null)
        .forEach(r -> f.put(r.rule().id(), r.fault()));
    return f;
  }

  /** How many alarms are active now (a pass over the machines' states; nothing is rendered). */
  public int activeCount() {
    int n = 0;
    for (RuleRunner r : byId.values()) {
      if (r.state().active()) {
        n++;
      }
    }
    return n;
  }

  /** How many rules are FAULTED now (kept as faults come and go; no pass over the rules). */
  public int faultedCount() {
    return faultedCount;
  }

  public int size() {
    return byId.size();
  }
}
