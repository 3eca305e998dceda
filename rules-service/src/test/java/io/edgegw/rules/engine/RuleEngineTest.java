package io.edgegw.rules.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cel.common.types.CelType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.edgegw.contracts.AlarmEvent.Transition;
import io.edgegw.contracts.AlarmState;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.contracts.Severity;
import io.edgegw.rules.alarm.Threshold;
import io.edgegw.rules.config.Condition;
import io.edgegw.rules.config.MessageTemplate;
import io.edgegw.rules.config.Rule;
import io.edgegw.rules.config.RuleSet;
import io.edgegw.rules.config.TagRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The engine with explicit times: samples and ticks in, transitions out. */
class RuleEngineTest {
  static final TagRef LEVEL = new TagRef("tank", "level");
  static final TagRef INLET = new TagRef("tank", "inlet");
  static final TagRef POWER = new TagRef("meter", "power");

  static Rule rule(String id, Condition c, String message, long onMs, long offMs) {
    return new Rule(
        id,
        1,
        c,
        Severity.MAJOR,
        MessageTemplate.parse(message, c.placeholders()),
        Duration.ofMillis(onMs),
        Duration.ofMillis(offMs),
        false,
        List.of());
  }

  static Rule high(long onMs, long offMs) {
    return rule(
        "tank-high",
        new Condition.Above(LEVEL, new Threshold(Threshold.Kind.HI, 90, 2)),
        "level {value} above {limit}",
        onMs,
        offMs);
  }

  static SampleBatch batch(String device, long t, Object... tagValues) {
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < tagValues.length; i += 2) {
      Object v = tagValues[i + 1];
      samples.add(
          v instanceof Quality q
              ? new Sample((String) tagValues[i], t, null, q)
              : new Sample((String) tagValues[i], t, v, Quality.GOOD));
    }
    return new SampleBatch(1, device, t, samples, 0);
  }

  static CelRuntime.Program cel(String expression, Map<String, CelType> vars) throws Exception {
    var builder = CelCompilerFactory.standardCelCompilerBuilder().setResultType(SimpleType.BOOL);
    vars.forEach(builder::addVar);
    CelCompiler compiler = builder.build();
    return CelRuntimeFactory.standardCelRuntimeBuilder()
        .build()
        .createProgram(compiler.compile(expression).getAst());
  }

  final List<Outcome> out = new ArrayList<>();

  List<Transition> transitions() {
    return out.stream().map(o -> o.event().transition()).toList();
  }

  @Test
  void thresholdWithOnDelayRaisesOnlyWhenTheConditionHeldLongEnough() {
    RuleEngine e = new RuleEngine(new RuleSet("rules.yaml", List.of(high(1000, 0))), 0);
    e.onBatch(batch("tank", 0, "level", 95.0), 0, out::add);
    e.tick(999, out::add);
    assertThat(out).isEmpty();
    e.tick(1000, out::add);
    assertThat(transitions()).containsExactly(Transition.RAISED);
    Outcome raised = out.getFirst();
    assertThat(raised.event().alarmId()).isEqualTo("tank-high");
    assertThat(raised.event().t()).isEqualTo(1000);
    assertThat(raised.event().message()).isEqualTo("level 95 above 90");
    assertThat(raised.state().active()).isTrue();
    assertThat(raised.state().acked()).isFalse();
    // Hysteresis: 89 is below the limit but not below limit - hysteresis.
    e.onBatch(batch("tank", 1100, "level", 89.0), 1100, out::add);
    assertThat(transitions()).containsExactly(Transition.RAISED);
    e.onBatch(batch("tank", 1200, "level", 87.5), 1200, out::add);
    assertThat(transitions()).containsExactly(Transition.RAISED, Transition.CLEARED);
    assertThat(out.getLast().state().active()).isFalse();
  }

  @Test
  void aShortExcursionInsideTheOnDelayRaisesNothing() {
    RuleEngine e = new RuleEngine(new RuleSet("rules.yaml", List.of(high(1000, 0))), 0);
    e.onBatch(batch("tank", 0, "level", 95.0), 0, out::add);
    e.onBatch(batch("tank", 500, "level", 50.0), 500, out::add);
    e.tick(5000, out::add);
    assertThat(out).isEmpty();
  }

  @Test
  void samplesOfOtherDevicesAndTagsAreIgnored() {
    RuleEngine e = new RuleEngine(new RuleSet("rules.yaml", List.of(high(0, 0))), 0);
    e.onBatch(batch("boiler", 0, "level", 95.0), 0, out::add);
    e.onBatch(batch("tank", 0, "inlet", 95.0), 0, out::add);
    assertThat(out).isEmpty();
    e.onBatch(batch("tank", 10, "inlet", true, "level", 95.0), 10, out::add);
    assertThat(transitions()).containsExactly(Transition.RAISED);
  }

  @Test
  void aBadSampleNeitherRaisesNorClearsAThresholdAlarm() {
    RuleEngine e = new RuleEngine(new RuleSet("rules.yaml", List.of(high(0, 0))), 0);
    e.onBatch(batch("tank", 0, "level", 95.0), 0, out::add);
    e.onBatch(batch("tank", 10, "level", Quality.COMM_FAILURE), 10, out::add);
    e.tick(20, out::add);
    assertThat(transitions()).containsExactly(Transition.RAISED);
    assertThat(e.states().getFirst().active()).isTrue();
  }

  @Test
  void staleRaisesWhenNoSampleArrivedForTheWindowAndClearsOnTheNextSample() {
    Rule stale =
        rule(
            "power-stale",
            new Condition.Stale(POWER, Duration.ofSeconds(30)),
            "{tag} silent {after}",
            0,
            0);
    RuleEngine e = new RuleEngine(new RuleSet("rules.yaml", List.of(stale)), 0);
    e.onBatch(batch("meter", 1000, "power", 3.0), 1000, out::add);
    e.tick(30_999, out::add);
    assertThat(out).isEmpty();
    e.tick(31_000, out::add);
    assertThat(transitions()).containsExactly(Transition.RAISED);
    assertThat(out.getFirst().event().message()).isEqualTo("power silent PT30S");
    e.onBatch(batch("meter", 31_500, "power", Quality.BAD), 31_500, out::add);
    assertThat(transitions()).containsExactly(Transition.RAISED, Transition.CLEARED);
  }

  @Test
  void aTagThatNeverReportsIsStaleFromTheStart() {
    Rule stale =
        rule("power-stale", new Condition.Stale(POWER, Duration.ofSeconds(30)), "{id}", 0, 0);
    RuleEngine e = new RuleEngine(new RuleSet("rules.yaml", List.of(stale)), 5_000);
    // Normal since the start (not since 1970) until something happens.
    assertThat(e.states().getFirst().since()).isEqualTo(5_000);
    e.tick(34_999, out::add);
    assertThat(out).isEmpty();
    e.tick(35_000, out::add);
    assertThat(transitions()).containsExactly(Transition.RAISED);
  }

  @Test
  void badQualityRaisesOnTheConfiguredQualitiesOnly() {
    Rule q =
        rule(
            "power-quality",
            new Condition.BadQuality(POWER, Set.of(Quality.BAD, Quality.COMM_FAILURE)),
            "{tag} is {quality}",
            0,
            0);
    RuleEngine e = new RuleEngine(new RuleSet("rules.yaml", List.of(q)), 0);
    e.onBatch(batch("meter", 0, "power", Quality.STALE), 0, out::add);
    assertThat(out).isEmpty();
    e.onBatch(batch("meter", 10, "power", Quality.COMM_FAILURE), 10, out::add);
    assertThat(transitions()).containsExactly(Transition.RAISED);
    assertThat(out.getFirst().event().message()).isEqualTo("power is COMM_FAILURE");
    e.onBatch(batch("meter", 20, "power", 4.5), 20, out::add);
    assertThat(transitions()).containsExactly(Transition.RAISED, Transition.CLEARED);
  }

  @Test
  void aDeviceBackingOffAfterFailuresStaysInAlarmUnderTheDefaultQualities() {
    // The bridge alternates COMM_FAILURE and STALE samples while it backs off from a failing
    // device; with the default bad qualities (all but GOOD) that is one alarm, not one per poll.
    Rule q =
        rule(
            "power-quality",
            new Condition.BadQuality(
                POWER, Set.of(Quality.BAD, Quality.STALE, Quality.COMM_FAILURE)),
            "{tag} is {quality}",
            0,
            0);
    RuleEngine e = new RuleEngine(new RuleSet("rules.yaml", List.of(q)), 0);
    for (int i = 0; i < 10; i++) {
      Quality failing = i % 2 == 0 ? Quality.COMM_FAILURE : Quality.STALE;
      e.onBatch(batch("meter", i * 1000L, "power", failing), i * 1000L, out::add);
    }
    assertThat(transitions()).containsExactly(Transition.RAISED);
    e.onBatch(batch("meter", 10_000, "power", 4.5), 10_000, out::add);
    assertThat(transitions()).containsExactly(Transition.RAISED, Transition.CLEARED);
  }

  @Test
  void rateOfChangeUsesSampleTimes() {
    Rule r = rule("fast", new Condition.Rate(LEVEL, 5), "{rate}/s over {perSecond}/s", 0, 0);
    RuleEngine e = new RuleEngine(new RuleSet("rules.yaml", List.of(r)), 0);
    e.onBatch(batch("tank", 0, "level", 10.0), 100, out::add);
    e.onBatch(batch("tank", 1000, "level", 14.0), 100, out::add);
    assertThat(out).isEmpty();
    e.onBatch(batch("tank", 2000, "level", 20.0), 100, out::add);
    assertThat(transitions()).containsExactly(Transition.RAISED);
    assertThat(out.getFirst().event().message()).isEqualTo("6/s over 5/s");
  }

  @Test
  void anExpressionWithAMissingInputIsFaultedAndTheOtherRulesKeepRunning() throws Exception {
    Map<String, TagRef> vars = new LinkedHashMap<>();
    vars.put("level", LEVEL);
    vars.put("inlet", INLET);
    Rule expr =
        rule(
            "overfill",
            new Condition.Expression(
                "level > 80.0 && inlet",
                vars,
                cel(
                    "level > 80.0 && inlet",
                    Map.<String, CelType>of("level", SimpleType.DOUBLE, "inlet", SimpleType.BOOL))),
            "{level} with inlet {inlet}",
            0,
            0);
    RuleEngine e = new RuleEngine(new RuleSet("rules.yaml", List.of(expr, high(0, 0))), 0);
    // inlet has not been heard of since the start: the condition is not known yet, not a fault.
    e.onBatch(batch("tank", 0, "level", 95.0), 0, out::add);
    assertThat(e.faulted()).isEmpty();
    assertThat(transitions()).containsExactly(Transition.RAISED); // only tank-high
    assertThat(out.getFirst().rule().id()).isEqualTo("tank-high");
    e.onBatch(batch("tank", 10, "inlet", true), 10, out::add);
    assertThat(e.faulted()).isEmpty();
    assertThat(out.getLast().rule().id()).isEqualTo("overfill");
    assertThat(out.getLast().event().message()).isEqualTo("95 with inlet true");
    // A sample without a good value leaves the input missing: a fault, and the others run on.
    e.onBatch(batch("tank", 20, "inlet", Quality.COMM_FAILURE, "level", 96.0), 20, out::add);
    assertThat(e.faulted()).containsOnlyKeys("overfill");
    assertThat(e.faulted().get("overfill")).isEqualTo("no good value of input inlet (tank/inlet)");
    assertThat(e.faultedCount()).isEqualTo(1);
    assertThat(e.states().get(1).value()).isEqualTo(96.0); // tank-high still evaluated
    e.onBatch(batch("tank", 30, "inlet", false), 30, out::add);
    assertThat(e.faultedCount()).isZero();
    assertThat(e.faulted()).isEmpty();
    assertThat(out.getLast().event().transition()).isEqualTo(Transition.CLEARED);
  }

  @Test
  void integerInputsReachCelAsDoubles() throws Exception {
    Rule expr =
        rule(
            "big",
            new Condition.Expression(
                "level > 80.0",
                Map.of("level", LEVEL),
                cel("level > 80.0", Map.<String, CelType>of("level", SimpleType.DOUBLE))),
            "{id}",
            0,
            0);
    RuleEngine e = new RuleEngine(new RuleSet("rules.yaml", List.of(expr)), 0);
    e.onBatch(batch("tank", 0, "level", 81L), 0, out::add);
    assertThat(e.faulted()).isEmpty();
    assertThat(transitions()).containsExactly(Transition.RAISED);
  }

  @Test
  void anActiveAlarmRestoredAfterARestartIsNotRaisedAgainAndStillClears() {
    RuleEngine e = new RuleEngine(new RuleSet("rules.yaml", List.of(high(0, 0))), 10_000);
    assertThat(
            e.restore(new AlarmState(1, "tank-high", true, true, Severity.MAJOR, 96.0, 5_000, "x")))
        .isTrue();
    // No data yet: time passing must not clear it.
    e.tick(20_000, out::add);
    assertThat(out).isEmpty();
    e.onBatch(batch("tank", 20_100, "level", 97.0), 20_100, out::add);
    assertThat(out).isEmpty();
    e.onBatch(batch("tank", 20_200, "level", 50.0), 20_200, out::add);
    assertThat(transitions()).containsExactly(Transition.CLEARED);
    // It was acknowledged before the restart, so it returns to normal.
    assertThat(e.states().getFirst().active()).isFalse();
    assertThat(e.states().getFirst().acked()).isTrue();
  }

  @Test
  void aRestoredStateOfARuleThatIsGoneIsReported() {
    RuleEngine e = new RuleEngine(new RuleSet("rules.yaml", List.of(high(0, 0))), 0);
    assertThat(e.restore(new AlarmState(1, "old-rule", true, false, Severity.MAJOR, null, 1, "")))
        .isFalse();
  }

  @Test
  void acknowledgementsAreRefusedWithAReasonWhenThereIsNothingToAcknowledge() {
    RuleEngine e = new RuleEngine(new RuleSet("rules.yaml", List.of(high(0, 0))), 0);
    assertThat(e.acknowledge("nope", 0))
        .isEqualTo(new RuleEngine.AckResult.Refused("no alarm 'nope' in the rule set"));
    assertThat(e.acknowledge("tank-high", 0))
        .isEqualTo(
            new RuleEngine.AckResult.Refused(
                "alarm 'tank-high' is NORMAL: nothing to acknowledge"));
    e.onBatch(batch("tank", 0, "level", 95.0), 0, out::add);
    RuleEngine.AckResult r = e.acknowledge("tank-high", 50);
    assertThat(r).isInstanceOf(RuleEngine.AckResult.Done.class);
    Outcome o = ((RuleEngine.AckResult.Done) r).outcome();
    assertThat(o.event().transition()).isEqualTo(Transition.ACKNOWLEDGED);
    assertThat(o.state().active()).isTrue();
    assertThat(o.state().acked()).isTrue();
    assertThat(o.state().since()).isEqualTo(50);
  }
}
