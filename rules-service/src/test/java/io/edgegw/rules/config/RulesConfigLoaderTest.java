package io.edgegw.rules.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import io.edgegw.config.ConfigException;
import io.edgegw.contracts.AlarmEvent.Transition;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Severity;
import io.edgegw.rules.alarm.Threshold;
import io.edgegw.rules.config.DeviceCatalog.Tag;
import io.edgegw.rules.config.DeviceCatalog.ValueType;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RulesConfigLoaderTest {

  private static final TagRef LEVEL = new TagRef("tank", "level");
  private static final TagRef INLET = new TagRef("tank", "inlet");

  /** The bundled plant's tags (bin/plant-devices.yaml), and a writable string tag. */
  private static final DeviceCatalog PLANT = plant();

  private static DeviceCatalog plant() {
    Map<String, Map<String, Tag>> devices = new LinkedHashMap<>();
    devices.put(
        "boiler",
        tags(
            "temperature",
            ValueType.NUMBER,
            false,
            "pressure",
            ValueType.NUMBER,
            false,
            "setpoint",
            ValueType.NUMBER,
            true,
            "burner",
            ValueType.BOOL,
            false));
    devices.put(
        "tank",
        tags(
            "level",
            ValueType.NUMBER,
            false,
            "inlet",
            ValueType.BOOL,
            true,
            "high",
            ValueType.BOOL,
            false));
    devices.put(
        "meter",
        tags(
            "energy",
            ValueType.NUMBER,
            false,
            "power",
            ValueType.NUMBER,
            false,
            "serial",
            ValueType.STRING,
            false));
    devices.put("panel", tags("text", ValueType.STRING, true));
    return DeviceCatalog.of(devices);
  }

  private static Map<String, Tag> tags(Object... nameTypeWritable) {
    Map<String, Tag> tags = new LinkedHashMap<>();
    for (int i = 0; i < nameTypeWritable.length; i += 3) {
      tags.put(
          (String) nameTypeWritable[i],
          new Tag((ValueType) nameTypeWritable[i + 1], (Boolean) nameTypeWritable[i + 2]));
    }
    return tags;
  }

  private static RuleSet parse(String yaml) throws ConfigException {
    return RulesConfigLoader.parse("rules.yaml", new StringReader(yaml), PLANT);
  }

  private static ConfigException problem(String yaml) {
    return catchThrowableOfType(ConfigException.class, () -> parse(yaml));
  }

  /** {@code version: 1} and {@code rules:} (lines 1-2), then the given lines from line 3. */
  private static String rules(String... lines) {
    StringBuilder b = new StringBuilder("version: 1\nrules:\n");
    for (String l : lines) {
      b.append("  ").append(l).append('\n');
    }
    return b.toString();
  }

  /** The one problem of the file, as printed. */
  private static String only(String yaml) {
    ConfigException e = problem(yaml);
    assertThat(e).as("a problem for:%n%s", yaml).isNotNull();
    assertThat(e.problems()).as(e.getMessage()).hasSize(1);
    return e.getMessage();
  }

  private static final String EVERY_KIND =
      """
      version: 1
      rules:
        - id: tank-high
          severity: MAJOR
          message: "Tank level {value} % above {limit} % (hysteresis {hysteresis})"
          onDelay: 2s
          offDelay: 5s
          latching: false
          threshold: { device: tank, tag: level, hi: 90, hysteresis: 2 }
          actions:
            - interlock: { device: tank, tag: inlet, value: false, on: RAISED, timeout: 3s, retries: 2, retryDelay: 250ms }
            - event: { name: tank-high-trip, on: CLEARED }
            - interlock: { device: boiler, tag: setpoint, value: 60.5 }
            - interlock: { device: panel, tag: text, value: TRIP, on: acknowledged }
        - id: boiler-low
          severity: warning
          latching: true
          threshold: { device: boiler, tag: temperature, lolo: -5.5 }
        - id: boiler-rate
          severity: INFO
          message: "{rate}/s over {perSecond}/s on {device}/{tag}"
          rate: { device: boiler, tag: temperature, perSecond: 0.5 }
        - id: power-stale
          severity: WARNING
          message: "{tag} silent for {after}"
          stale: { device: meter, tag: serial, after: 1m }
        - id: power-quality
          severity: CRITICAL
          message: "{quality}"
          quality: { device: meter, tag: power, bad: [stale, BAD] }
        - id: default-quality
          severity: INFO
          quality: { device: meter, tag: power }
        - id: overfill
          severity: CRITICAL
          message: "{level} % with inlet {inlet}"
          expression:
            when: "level > 80 && inlet"
            inputs: { level: tank/level, inlet: tank/inlet }
      """;

  @Test
  void aFileWithEveryKindLoadsIntoTheRecords() throws Exception {
    RuleSet set = parse(EVERY_KIND);

    assertThat(set.file()).isEqualTo("rules.yaml");
    assertThat(set.rules())
        .extracting(Rule::id)
        .containsExactly(
            "tank-high",
            "boiler-low",
            "boiler-rate",
            "power-stale",
            "power-quality",
            "default-quality",
            "overfill");

    Rule high = set.rules().get(0);
    assertThat(high.line()).isEqualTo(3);
    assertThat(high.severity()).isEqualTo(Severity.MAJOR);
    assertThat(high.onDelay()).isEqualTo(Duration.ofSeconds(2));
    assertThat(high.offDelay()).isEqualTo(Duration.ofSeconds(5));
    assertThat(high.latching()).isFalse();
    assertThat(high.condition())
        .isEqualTo(new Condition.Above(LEVEL, new Threshold(Threshold.Kind.HI, 90, 2)));
    assertThat(high.message().source())
        .isEqualTo("Tank level {value} % above {limit} % (hysteresis {hysteresis})");
    assertThat(
            high.message()
                .render(n -> Map.of("value", "91.5", "limit", "90", "hysteresis", "2").get(n)))
        .isEqualTo("Tank level 91.5 % above 90 % (hysteresis 2)");
    assertThat(high.actions())
        .containsExactly(
            new Action.Interlock(
                Transition.RAISED, INLET, false, Duration.ofSeconds(3), 2, Duration.ofMillis(250)),
            new Action.Event(Transition.CLEARED, "tank-high-trip"),
            new Action.Interlock(
                Transition.RAISED,
                new TagRef("boiler", "setpoint"),
                60.5,
                Duration.ofSeconds(2),
                0,
                Duration.ofMillis(500)),
            new Action.Interlock(
                Transition.ACKNOWLEDGED,
                new TagRef("panel", "text"),
                "TRIP",
                Duration.ofSeconds(2),
                0,
                Duration.ofMillis(500)));

    Rule low = set.rules().get(1);
    assertThat(low.severity()).isEqualTo(Severity.WARNING);
    assertThat(low.latching()).isTrue();
    assertThat(low.onDelay()).isZero();
    assertThat(low.offDelay()).isZero();
    assertThat(low.actions()).isEmpty();
    assertThat(low.message().source()).isEqualTo("{id}");
    assertThat(low.condition())
        .isEqualTo(
            new Condition.Above(
                new TagRef("boiler", "temperature"), new Threshold(Threshold.Kind.LOLO, -5.5, 0)));

    assertThat(set.rules().get(2).condition())
        .isEqualTo(new Condition.Rate(new TagRef("boiler", "temperature"), 0.5));
    assertThat(set.rules().get(3).condition())
        .isEqualTo(new Condition.Stale(new TagRef("meter", "serial"), Duration.ofMinutes(1)));
    assertThat(set.rules().get(4).condition())
        .isEqualTo(
            new Condition.BadQuality(
                new TagRef("meter", "power"), Set.of(Quality.STALE, Quality.BAD)));
    assertThat(set.rules().get(5).condition())
        .isEqualTo(
            new Condition.BadQuality(
                new TagRef("meter", "power"),
                Set.of(Quality.BAD, Quality.STALE, Quality.COMM_FAILURE)));

    Rule overfill = set.rules().get(6);
    assertThat(overfill.line()).isEqualTo(34);
    Condition.Expression e = (Condition.Expression) overfill.condition();
    assertThat(e.source()).isEqualTo("level > 80 && inlet");
    assertThat(e.variables()).containsExactly(Map.entry("level", LEVEL), Map.entry("inlet", INLET));
    assertThat(e.inputs()).containsExactly(LEVEL, INLET);
    assertThat(overfill.message().render(n -> Map.of("level", "85.5", "inlet", true).get(n)))
        .isEqualTo("85.5 % with inlet true");
  }

  @Test
  void aCompiledExpressionEvaluatesToTheExpectedBoolean() throws Exception {
    Condition.Expression e = (Condition.Expression) parse(EVERY_KIND).rules().get(6).condition();

    // The literal 80 is a CEL int, the variable a double: heterogeneous comparison is enabled.
    assertThat(e.program().eval(Map.of("level", 85.0, "inlet", true))).isEqualTo(true);
    assertThat(e.program().eval(Map.of("level", 85.0, "inlet", false))).isEqualTo(false);
    assertThat(e.program().eval(Map.of("level", 80.0, "inlet", true))).isEqualTo(false);
  }

  @Test
  void expressionsSeeStringsAndBooleansWithTheirTypes() throws Exception {
    Condition.Expression e =
        (Condition.Expression)
            parse(
                    rules(
                        "- id: odd-meter",
                        "  severity: INFO",
                        "  expression:",
                        "    when: \"serial.startsWith('MT') && !burner && pressure >= 2\"",
                        "    inputs: { serial: meter/serial, burner: boiler/burner, pressure:"
                            + " boiler/pressure }"))
                .rules()
                .getFirst()
                .condition();

    assertThat(e.program().eval(Map.of("serial", "MTR-0123", "burner", false, "pressure", 2.5)))
        .isEqualTo(true);
    assertThat(e.program().eval(Map.of("serial", "XX", "burner", false, "pressure", 2.5)))
        .isEqualTo(false);
  }

  @Test
  void theExampleFileLoadsAgainstThePlantDevices() throws Exception {
    DeviceCatalog plant = DeviceCatalog.load(Path.of("../bin/plant-devices.yaml"));
    RuleSet set;
    try (Reader r =
        new InputStreamReader(
            getClass().getResourceAsStream("/rules-example.yaml"), StandardCharsets.UTF_8)) {
      set = RulesConfigLoader.parse("rules-example.yaml", r, plant);
    }

    assertThat(set.rules())
        .extracting(Rule::id)
        .containsExactly(
            "tank-high",
            "boiler-overheat",
            "tank-low",
            "boiler-heating-fast",
            "meter-power-stale",
            "meter-power-quality",
            "tank-filling-high");
    assertThat(set.rules())
        .extracting(r -> r.condition().getClass().getSimpleName())
        .containsExactly("Above", "Above", "Above", "Rate", "Stale", "BadQuality", "Expression");
    Rule high = set.rules().getFirst();
    assertThat(high.actions())
        .containsExactly(
            new Action.Interlock(
                Transition.RAISED, INLET, false, Duration.ofSeconds(2), 2, Duration.ofMillis(500)),
            new Action.Event(Transition.RAISED, "tank-high-trip"));
    assertThat(set.rules().get(1).actions())
        .containsExactly(
            new Action.Interlock(
                Transition.RAISED,
                new TagRef("boiler", "setpoint"),
                60L,
                Duration.ofSeconds(2),
                1,
                Duration.ofMillis(500)));
    assertThat(set.rules().get(5).condition())
        .isEqualTo(
            new Condition.BadQuality(
                new TagRef("meter", "power"),
                Set.of(Quality.BAD, Quality.COMM_FAILURE, Quality.STALE)));
  }

  @Test
  void thePlantRulesLoadAgainstThePlantDevices() throws Exception {
    DeviceCatalog plant = DeviceCatalog.load(Path.of("../bin/plant-devices.yaml"));
    RuleSet set = RulesConfigLoader.load(Path.of("../bin/plant-rules.yaml"), plant);

    assertThat(set.file()).isEqualTo("plant-rules.yaml");
    assertThat(set.rules())
        .extracting(Rule::id)
        .containsExactly(
            "tank-high",
            "boiler-overheat",
            "boiler-temperature-rate",
            "meter-power-stale",
            "meter-power-quality",
            "tank-filling-high");
    assertThat(set.rules().getFirst().actions().getFirst())
        .isEqualTo(
            new Action.Interlock(
                Transition.RAISED, INLET, false, Duration.ofSeconds(2), 2, Duration.ofMillis(500)));
  }

  // --- tags

  @Test
  void anUnknownTagIsReportedAtItsLineWithTheDevicesTags() {
    assertThat(
            only(
                rules(
                    "- id: r1",
                    "  severity: INFO",
                    "  threshold: { device: tank, tag: lvl, hi: 90 }")))
        .isEqualTo(
            "rules.yaml:5: rules[0](r1).threshold.tag: device 'tank' has no tag 'lvl' in"
                + " devices.yaml; its tags: level, inlet, high");
  }

  @Test
  void anUnknownDeviceIsReportedWithTheDeclaredDevices() {
    assertThat(
            only(
                rules(
                    "- id: r1",
                    "  severity: INFO",
                    "  stale:",
                    "    device: tnak",
                    "    tag: level",
                    "    after: 5s")))
        .isEqualTo(
            "rules.yaml:6: rules[0](r1).stale.device: unknown device 'tnak'; devices.yaml"
                + " declares boiler, tank, meter, panel");
  }

  @Test
  void aThresholdOrRateOnATagWithoutNumbersIsRefused() {
    assertThat(
            only(
                rules(
                    "- id: r1",
                    "  severity: INFO",
                    "  threshold: { device: tank, tag: inlet, hi: 1 }")))
        .isEqualTo(
            "rules.yaml:5: rules[0](r1).threshold.tag: tank/inlet is a bool tag; a threshold"
                + " needs a numeric tag");
    assertThat(
            only(
                rules(
                    "- id: r1",
                    "  severity: INFO",
                    "  rate: { device: meter, tag: serial, perSecond: 1 }")))
        .isEqualTo(
            "rules.yaml:5: rules[0](r1).rate.tag: meter/serial is a string tag; a rate needs a"
                + " numeric tag");
  }

  // --- actions

  @Test
  void anInterlockOnATagThatIsNotWritableIsRefused() {
    assertThat(
            only(
                rules(
                    "- id: r1",
                    "  severity: INFO",
                    "  stale: { device: tank, tag: level, after: 5s }",
                    "  actions:",
                    "    - interlock: { device: tank, tag: high, value: false }")))
        .isEqualTo(
            "rules.yaml:7: rules[0](r1).actions[0].interlock.tag: tank/high is not writable; an"
                + " interlock writes its target, so devices.yaml must declare it 'writable:"
                + " true'");
  }

  @Test
  void anInterlockValueMustMatchTheTagsType() {
    ConfigException e =
        problem(
            rules(
                "- id: r1",
                "  severity: INFO",
                "  stale: { device: tank, tag: level, after: 5s }",
                "  actions:",
                "    - interlock: { device: tank, tag: inlet, value: 0 }",
                "    - interlock: { device: boiler, tag: setpoint, value: warm }",
                "    - interlock: { device: boiler, tag: setpoint, value: [1] }",
                "    - interlock: { device: boiler, tag: setpoint }"));

    assertThat(e.getMessage())
        .isEqualTo(
            String.join(
                "\n",
                "rules.yaml:7: rules[0](r1).actions[0].interlock.value: expected true or false"
                    + " (tank/inlet is a bool tag), got '0'",
                "rules.yaml:8: rules[0](r1).actions[1].interlock.value: expected a number"
                    + " (boiler/setpoint is numeric), got 'warm'",
                "rules.yaml:9: rules[0](r1).actions[2].interlock.value: expected a number"
                    + " (boiler/setpoint is numeric), got a list",
                "rules.yaml:10: rules[0](r1).actions[3].interlock.value: required field is"
                    + " missing; expected a number (boiler/setpoint is numeric)"));
  }

  @Test
  void anInterlocksOptionsAreChecked() {
    ConfigException e =
        problem(
            rules(
                "- id: r1",
                "  severity: INFO",
                "  stale: { device: tank, tag: level, after: 5s }",
                "  actions:",
                "    - interlock:",
                "        device: tank",
                "        tag: inlet",
                "        value: false",
                "        on: ACTION",
                "        timeout: 0s",
                "        retries: 11",
                "        retryDelay: soon"));

    assertThat(e.problems())
        .extracting(ConfigException.Problem::line, ConfigException.Problem::reason)
        .containsExactly(
            tuple(11, "expected one of RAISED, ACKNOWLEDGED, CLEARED, RESET, got 'ACTION'"),
            tuple(12, "expected a duration longer than 0, like 250ms or 1s"),
            tuple(13, "expected an integer 0..10, got 11"),
            tuple(14, "expected a duration like 250ms, 1s, 5m or 1h, got 'soon'"));
  }

  @Test
  void anActionHasExactlyOneKeyAndAValidEventName() {
    ConfigException e =
        problem(
            rules(
                "- id: r1",
                "  severity: INFO",
                "  stale: { device: tank, tag: level, after: 5s }",
                "  actions:",
                "    - { event: { name: a }, interlock: { device: tank, tag: inlet, value: true } }",
                "    - {}",
                "    - event: { name: alarm }",
                "    - event: { name: 'tank/high' }",
                "    - evnt: { name: x }"));

    assertThat(e.problems())
        .extracting(ConfigException.Problem::toString)
        .containsExactly(
            "rules.yaml:7: rules[0](r1).actions[0].interlock: an action has exactly one key,"
                + " interlock or event; write each as its own '- ' item",
            "rules.yaml:8: rules[0](r1).actions[1]: an action has one key: interlock or event;"
                + " got nothing",
            "rules.yaml:9: rules[0](r1).actions[2].event.name: 'alarm' is taken:"
                + " gw/v1/event/alarm carries every alarm transition",
            "rules.yaml:10: rules[0](r1).actions[3].event.name: expected 1-64 characters of"
                + " [A-Za-z0-9_.-] (the event is published on gw/v1/event/{name}), got"
                + " 'tank/high'",
            "rules.yaml:11: rules[0](r1).actions[4].evnt: unknown key (did you mean 'event'?);"
                + " allowed: interlock, event");
  }

  // --- conditions

  @Test
  void twoConditionKeysAreRefusedAtTheSecond() {
    assertThat(
            only(
                rules(
                    "- id: r1",
                    "  severity: INFO",
                    "  threshold: { device: tank, tag: level, hi: 90 }",
                    "  stale: { device: tank, tag: level, after: 5s }")))
        .isEqualTo(
            "rules.yaml:6: rules[0](r1).stale: a rule has exactly one condition, and this one"
                + " already has 'threshold' (line 5); write a second rule");
  }

  @Test
  void aRuleWithoutAConditionIsRefused() {
    assertThat(only(rules("- id: r1", "  severity: INFO", "  onDelay: 1s")))
        .isEqualTo(
            "rules.yaml:3: rules[0](r1): no condition; a rule needs exactly one of threshold,"
                + " rate, stale, quality, expression");
  }

  @Test
  void aMisspeltConditionIsReportedOnceWithASuggestion() {
    assertThat(
            only(
                rules(
                    "- id: r1",
                    "  severity: INFO",
                    "  treshold: { device: tank, tag: level, hi: 90 }")))
        .startsWith(
            "rules.yaml:5: rules[0](r1).treshold: unknown key (did you mean 'threshold'?);"
                + " allowed: id, severity,");
  }

  @Test
  void aThresholdHasExactlyOneLimitAndAHysteresisOfAtLeastZero() {
    ConfigException e =
        problem(
            rules(
                "- id: r1",
                "  severity: INFO",
                "  threshold: { device: tank, tag: level }",
                "- id: r2",
                "  severity: INFO",
                "  threshold:",
                "    device: tank",
                "    tag: level",
                "    hi: 90",
                "    lo: 10",
                "    hysteresis: -1",
                "- id: r3",
                "  severity: INFO",
                "  threshold: { device: tank, tag: level, hihi: ninety }"));

    assertThat(e.problems())
        .extracting(ConfigException.Problem::toString)
        .containsExactly(
            "rules.yaml:5: rules[0](r1).threshold: a threshold needs one limit: hi, hihi, lo or"
                + " lolo (e.g. hi: 90); none is given",
            "rules.yaml:12: rules[1](r2).threshold.lo: a threshold has exactly one limit, and"
                + " this one already has 'hi'; write one rule per limit",
            "rules.yaml:13: rules[1](r2).threshold.hysteresis: expected a number of at least 0,"
                + " got -1.0",
            "rules.yaml:16: rules[2](r3).threshold.hihi: expected a number like 12 or 0.5, got"
                + " 'ninety'");
  }

  @Test
  void rateStaleAndQualityParametersAreChecked() {
    ConfigException e =
        problem(
            rules(
                "- id: r1",
                "  severity: INFO",
                "  rate: { device: tank, tag: level, perSecond: 0 }",
                "- id: r2",
                "  severity: INFO",
                "  rate: { device: tank, tag: level }",
                "- id: r3",
                "  severity: INFO",
                "  stale: { device: tank, tag: level, after: 0ms }",
                "- id: r4",
                "  severity: INFO",
                "  quality: { device: tank, tag: level, bad: [GOOD, LOST] }",
                "- id: r5",
                "  severity: INFO",
                "  quality: { device: tank, tag: level, bad: [] }"));

    assertThat(e.problems())
        .extracting(ConfigException.Problem::toString)
        .containsExactly(
            "rules.yaml:5: rules[0](r1).rate.perSecond: expected a number of units per second"
                + " above 0 (either way), got 0.0",
            "rules.yaml:8: rules[1](r2).rate.perSecond: required field is missing; expected a"
                + " number of units per second above 0",
            "rules.yaml:11: rules[2](r3).stale.after: expected a duration longer than 0, like"
                + " 30s",
            "rules.yaml:14: rules[3](r4).quality.bad[0]: GOOD is not a bad quality; expected one"
                + " of BAD, STALE, COMM_FAILURE",
            "rules.yaml:14: rules[3](r4).quality.bad[1]: expected one of BAD, STALE,"
                + " COMM_FAILURE, got 'LOST'",
            "rules.yaml:17: rules[4](r5).quality.bad: list at least one of BAD, STALE,"
                + " COMM_FAILURE, or omit 'bad' for all three");
  }

  // --- expressions

  @Test
  void aCelSyntaxErrorIsReportedAtTheLineOfWhenWithItsColumn() {
    assertThat(
            only(
                rules(
                    "- id: r1",
                    "  severity: INFO",
                    "  expression:",
                    "    inputs: { level: tank/level }",
                    "    when: \"level >\"")))
        .startsWith(
            "rules.yaml:7: rules[0](r1).expression.when: CEL: column 8: mismatched input '<EOF>'"
                + " expecting");
  }

  @Test
  void anExpressionMustGiveABoolean() {
    assertThat(
            only(
                rules(
                    "- id: r1",
                    "  severity: INFO",
                    "  expression:",
                    "    when: level * 2.0",
                    "    inputs: { level: tank/level }")))
        .isEqualTo(
            "rules.yaml:6: rules[0](r1).expression.when: CEL: column 7: expected type 'bool' but"
                + " found 'double'");
  }

  @Test
  void anExpressionMayOnlyUseItsInputs() {
    assertThat(
            only(
                rules(
                    "- id: r1",
                    "  severity: INFO",
                    "  expression:",
                    "    when: levle > 90.0",
                    "    inputs: { level: tank/level }")))
        .isEqualTo(
            "rules.yaml:6: rules[0](r1).expression.when: CEL: column 1: undeclared reference to"
                + " 'levle' (in container '')");
  }

  @Test
  void aMultiLineExpressionNamesTheLineWithinIt() {
    assertThat(
            only(
                rules(
                    "- id: r1",
                    "  severity: INFO",
                    "  expression:",
                    "    when: |",
                    "      level > 90.0 &&",
                    "        inlet == 3",
                    "    inputs: { level: tank/level, inlet: tank/inlet }")))
        .startsWith(
            "rules.yaml:6: rules[0](r1).expression.when: CEL: line 2, column 9: found no"
                + " matching overload for '_==_' applied to '(bool, int)'");
  }

  @Test
  void expressionInputsAreCelNamesOfKnownTags() {
    ConfigException e =
        problem(
            rules(
                "- id: r1",
                "  severity: INFO",
                "  expression:",
                "    when: \"true\"",
                "    inputs:",
                "      in: tank/level",
                "      value: tank/level",
                "      2nd: tank/level",
                "      level: tank-level",
                "      inlet: tank/valve"));

    assertThat(e.problems())
        .extracting(ConfigException.Problem::toString)
        .containsExactly(
            "rules.yaml:8: rules[0](r1).expression.inputs.in: 'in' is a reserved word of CEL;"
                + " choose another variable name",
            "rules.yaml:9: rules[0](r1).expression.inputs.value: 'value' is the name of a"
                + " message placeholder; choose another variable name",
            "rules.yaml:10: rules[0](r1).expression.inputs.2nd: '2nd' is not a CEL variable"
                + " name; expected letters, digits and '_', not starting with a digit",
            "rules.yaml:11: rules[0](r1).expression.inputs.level: expected device/tag, e.g."
                + " tank/level, got 'tank-level'",
            "rules.yaml:12: rules[0](r1).expression.inputs.inlet: device 'tank' has no tag"
                + " 'valve' in devices.yaml; its tags: level, inlet, high");
  }

  @Test
  void anExpressionNeedsInputs() {
    assertThat(only(rules("- id: r1", "  severity: INFO", "  expression: { when: \"true\" }")))
        .isEqualTo(
            "rules.yaml:5: rules[0](r1).expression.inputs: required field is missing; expected a"
                + " mapping of variable name to device/tag, e.g. inputs: { level: tank/level }");
  }

  // --- messages, ids, severities and durations

  @Test
  void aPlaceholderTheConditionDoesNotOfferIsRefused() {
    assertThat(
            only(
                rules(
                    "- id: r1",
                    "  severity: INFO",
                    "  message: \"{tag} at {rate}\"",
                    "  stale: { device: tank, tag: level, after: 5s }")))
        .isEqualTo(
            "rules.yaml:5: rules[0](r1).message: unknown placeholder {rate}; this rule offers"
                + " {after}, {device}, {id}, {severity}, {tag}, {value}");
    assertThat(
            only(
                rules(
                    "- id: r1",
                    "  severity: INFO",
                    "  message: \"{level\"",
                    "  expression: { when: level > 1, inputs: { level: tank/level } }")))
        .isEqualTo("rules.yaml:5: rules[0](r1).message: unclosed '{' at position 1");
  }

  @Test
  void aDuplicateIdIsReportedAtTheSecondWithTheFirstsLine() {
    assertThat(
            only(
                rules(
                    "- id: r1",
                    "  severity: INFO",
                    "  stale: { device: tank, tag: level, after: 5s }",
                    "- id: r1",
                    "  severity: INFO",
                    "  stale: { device: tank, tag: inlet, after: 5s }")))
        .isEqualTo(
            "rules.yaml:6: rules[1](r1).id: duplicate rule id 'r1' (first at line 3); ids name"
                + " the alarms");
  }

  @Test
  void anIdMustBeATopicLevelAndIsLeftOutOfThePathUntilItIs() {
    assertThat(
            only(
                rules(
                    "- id: tank/high",
                    "  severity: INFO",
                    "  stale: { device: tank, tag: level, after: 5s }")))
        .isEqualTo(
            "rules.yaml:3: rules[0].id: expected 1-64 characters of [A-Za-z0-9_.-] (the id is the"
                + " alarm's MQTT topic level, gw/v1/alarm/{id}), got 'tank/high'");
    assertThat(only(rules("- severity: INFO", "  stale: { device: tank, tag: level, after: 5s }")))
        .isEqualTo("rules.yaml:3: rules[0].id: required field is missing; expected a text");
  }

  @Test
  void aBadDurationSeverityOrBooleanIsReportedWithTheExpectedForm() {
    ConfigException e =
        problem(
            rules(
                "- id: r1",
                "  severity: URGENT",
                "  onDelay: 2 seconds",
                "  offDelay: -1s",
                "  latching: sometimes",
                "  stale: { device: tank, tag: level, after: 1d }"));

    assertThat(e.problems())
        .extracting(ConfigException.Problem::toString)
        .containsExactly(
            "rules.yaml:4: rules[0](r1).severity: expected one of INFO, WARNING, MAJOR,"
                + " CRITICAL, got 'URGENT'",
            "rules.yaml:5: rules[0](r1).onDelay: expected a duration like 250ms, 1s, 5m or 1h,"
                + " got '2 seconds'",
            "rules.yaml:6: rules[0](r1).offDelay: expected a duration like 250ms, 1s, 5m or 1h,"
                + " got '-1s'",
            "rules.yaml:7: rules[0](r1).latching: expected true or false, got 'sometimes'",
            "rules.yaml:8: rules[0](r1).stale.after: expected a duration like 250ms, 1s, 5m or"
                + " 1h, got '1d'");
  }

  @Test
  void anUnknownKeyIsAnErrorWithASuggestion() {
    assertThat(
            only(
                rules(
                    "- id: r1",
                    "  severity: INFO",
                    "  stale: { device: tank, tag: level, afterr: 5s, after: 5s }")))
        .isEqualTo(
            "rules.yaml:5: rules[0](r1).stale.afterr: unknown key (did you mean 'after'?);"
                + " allowed: device, tag, after");
  }

  @Test
  void everyMistakeOfTheFileIsReportedInOneExceptionInFileOrder() {
    ConfigException e =
        problem(
            """
            version: 1
            rules:
              - id: a
                severity: INFO
                threshold: { device: tank, tag: lvl, hi: 90 }
              - id: b
                severity: LOUD
                expression:
                  when: "level >"
                  inputs: { level: tank/level }
              - id: a
                severity: INFO
                stale: { device: meter, tag: power, after: 5s }
                actions:
                  - interlock: { device: tank, tag: high, value: true }
            """);

    assertThat(e.problems())
        .extracting(ConfigException.Problem::line, ConfigException.Problem::field)
        .containsExactly(
            tuple(5, "rules[0](a).threshold.tag"),
            tuple(7, "rules[1](b).severity"),
            tuple(9, "rules[1](b).expression.when"),
            tuple(11, "rules[2](a).id"),
            tuple(15, "rules[2](a).actions[0].interlock.tag"));
    assertThat(e.getMessage().lines()).hasSize(5);
    assertThat(e.file()).isEqualTo("rules.yaml");
  }

  // --- the file as a whole

  @Test
  void aFileThatIsNotRulesYamlGivesLocatedProblems() {
    assertThat(only("version: 1\nrules:\n  - id: [unclosed\n"))
        .startsWith("rules.yaml:4: not valid YAML:");
    assertThat(only(""))
        .isEqualTo("rules.yaml:1: the file is empty; expected version: 1 and the list of rules");
    assertThat(only("rules: []\n"))
        .isEqualTo("rules.yaml:1: version: required field is missing; expected 1");
    assertThat(only("version: 2\nrules: []\n"))
        .isEqualTo("rules.yaml:1: version: expected 1 (the only schema version), got '2'");
    assertThat(only("version: 1\n"))
        .isEqualTo(
            "rules.yaml:1: rules: required field is missing; expected the list of rules"
                + " ('rules: []' for none)");
    assertThat(only("version: 1\nrules: { id: r1 }\n"))
        .isEqualTo(
            "rules.yaml:2: rules: expected a list (lines starting with '- '), got a mapping");
    assertThat(only("- version: 1\n"))
        .isEqualTo("rules.yaml:1: expected a mapping (key: value lines), got a list");
    assertThat(only("version: 1\nrules:\n  - just text\n"))
        .isEqualTo(
            "rules.yaml:3: rules[0]: expected a mapping (key: value lines), got 'just text'");
  }

  @Test
  void noRulesIsAValidRuleSet() throws Exception {
    assertThat(parse("version: 1\nrules: []\n").rules()).isEmpty();
  }

  @Test
  void aMissingFileIsNamedByItsFullPathAtLineZero() {
    Path missing = Path.of("target/no-such-dir/rules.yaml");
    ConfigException e =
        catchThrowableOfType(ConfigException.class, () -> RulesConfigLoader.load(missing, PLANT));

    assertThat(e.problems())
        .containsExactly(
            new ConfigException.Problem(
                missing.toString(),
                0,
                "",
                "file not found; mount it there or set rules.rules-file"));
    assertThat(List.of(e.line(), e.field())).containsExactly(0, "");
  }
}
