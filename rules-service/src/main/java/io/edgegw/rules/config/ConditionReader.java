package io.edgegw.rules.config;

import io.edgegw.config.Problems;
import io.edgegw.config.YamlFields;
import io.edgegw.config.YamlTree.Scalar;
import io.edgegw.config.YamlTree.YNode;
import io.edgegw.contracts.Quality;
import io.edgegw.rules.alarm.Threshold;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Reads the condition of a rule: exactly one of its condition keys, with located problems. */
final class ConditionReader {
  /** The condition keys of a rule, in the order messages list them. */
  private static final List<String> KEYS =
      List.of("threshold", "rate", "stale", "quality", "expression");

  private static final Set<String> THRESHOLD =
      RulesConfigLoader.keys("device", "tag", "hi", "hihi", "lo", "lolo", "hysteresis");
  private static final Set<String> RATE = RulesConfigLoader.keys("device", "tag", "perSecond");
  private static final Set<String> STALE = RulesConfigLoader.keys("device", "tag", "after");
  private static final Set<String> QUALITY = RulesConfigLoader.keys("device", "tag", "bad");
  private static final Set<String> EXPRESSION = RulesConfigLoader.keys("when", "inputs");

  /**
   * A quality rule's default: every quality but GOOD. STALE belongs with the others because the
   * bridge sends it while it backs off from a device that fails, between COMM_FAILURE samples; a
   * default without it raised and cleared the alarm of an unreachable device every poll.
   */
  private static final Set<Quality> DEFAULT_BAD =
      EnumSet.of(Quality.BAD, Quality.STALE, Quality.COMM_FAILURE);

  private final Problems problems;
  private final TagResolver tags;
  private final ExpressionReader expressions;

  ConditionReader(Problems problems, TagResolver tags) {
    this.problems = problems;
    this.tags = tags;
    this.expressions = new ExpressionReader(problems, tags);
  }

  /**
   * The rule's one condition, or null after its problems.
   *
   * @param path the rule's field path
   * @param keyProblems whether the rule's own keys had problems (a misspelt condition key)
   */
  Condition read(YamlFields r, String path, boolean keyProblems) {
    List<String> present = KEYS.stream().filter(r::has).toList();
    if (present.isEmpty()) {
      // A misspelt condition key has been reported as unknown already, with a suggestion.
      if (!keyProblems) {
        problems.add(
            r.at("id"),
            path,
            "no condition; a rule needs exactly one of " + String.join(", ", KEYS));
      }
      return null;
    }
    for (String extra : present.subList(1, present.size())) {
      problems.add(
          r.at(extra),
          r.field(extra),
          "a rule has exactly one condition, and this one already has '"
              + present.getFirst()
              + "' (line "
              + r.at(present.getFirst()).line()
              + "); write a second rule");
    }
    // Each condition is read, so its own mistakes are reported too.
    List<Condition> read = new ArrayList<>();
    for (String key : present) {
      YNode node = r.node(key);
      String field = r.field(key);
      read.add(
          switch (key) {
            case "threshold" -> threshold(new YamlFields(problems, field, node, THRESHOLD), field);
            case "rate" -> rate(new YamlFields(problems, field, node, RATE));
            case "stale" -> stale(new YamlFields(problems, field, node, STALE));
            case "quality" -> quality(new YamlFields(problems, field, node, QUALITY));
            case "expression" ->
                expressions.read(new YamlFields(problems, field, node, EXPRESSION));
            default -> throw new IllegalStateException("not a condition key: " + key);
          });
    }
    return present.size() == 1 ? read.getFirst() : null;
  }

  private Condition threshold(YamlFields t, String field) {
    if (!t.isMapping()) {
      return null;
    }
    int before = problems.size();
    TagRef tag = tags.tag(t, "a threshold", true);
    List<Threshold.Kind> kinds =
        Arrays.stream(Threshold.Kind.values()).filter(k -> t.has(limitKey(k))).toList();
    Threshold.Kind kind = null;
    Double limit = null;
    if (kinds.isEmpty()) {
      problems.add(
          t.at("hi"),
          field,
          "a threshold needs one limit: hi, hihi, lo or lolo (e.g. hi: 90); none is given");
    } else {
      kind = kinds.getFirst();
      limit = t.number(limitKey(kind), null);
      for (Threshold.Kind extra : kinds.subList(1, kinds.size())) {
        problems.add(
            t.at(limitKey(extra)),
            t.field(limitKey(extra)),
            "a threshold has exactly one limit, and this one already has '"
                + limitKey(kind)
                + "'; write one rule per limit");
      }
    }
    Double hysteresis = t.number("hysteresis", 0.0);
    if (hysteresis != null && hysteresis < 0) {
      problems.add(
          t.node("hysteresis"),
          t.field("hysteresis"),
          "expected a number of at least 0, got " + hysteresis);
    }
    if (problems.size() > before) {
      return null;
    }
    return new Condition.Above(tag, new Threshold(kind, limit, hysteresis));
  }

  private static String limitKey(Threshold.Kind kind) {
    return kind.name().toLowerCase(Locale.ROOT);
  }

  private Condition rate(YamlFields f) {
    if (!f.isMapping()) {
      return null;
    }
    int before = problems.size();
    TagRef tag = tags.tag(f, "a rate", true);
    Double perSecond = requiredNumber(f, "perSecond", "a number of units per second above 0");
    if (perSecond != null && perSecond <= 0) {
      problems.add(
          f.node("perSecond"),
          f.field("perSecond"),
          "expected a number of units per second above 0 (either way), got " + perSecond);
    }
    return problems.size() > before ? null : new Condition.Rate(tag, perSecond);
  }

  private Condition stale(YamlFields f) {
    if (!f.isMapping()) {
      return null;
    }
    int before = problems.size();
    TagRef tag = tags.tag(f, "a stale rule", false);
    Duration after = f.duration("after", null, true);
    if (after != null && after.isZero()) {
      problems.add(
          f.node("after"), f.field("after"), "expected a duration longer than 0, like 30s");
    }
    return problems.size() > before ? null : new Condition.Stale(tag, after);
  }

  private Condition quality(YamlFields f) {
    if (!f.isMapping()) {
      return null;
    }
    int before = problems.size();
    TagRef tag = tags.tag(f, "a quality rule", false);
    Set<Quality> bad = DEFAULT_BAD;
    if (f.has("bad")) {
      List<YNode> items = f.list("bad", false);
      bad = EnumSet.noneOf(Quality.class);
      String expected = "one of BAD, STALE, COMM_FAILURE";
      if (items.isEmpty() && problems.size() == before) {
        problems.add(
            f.node("bad"),
            f.field("bad"),
            "list at least one of BAD, STALE, COMM_FAILURE, or omit 'bad' for all three");
      }
      for (int k = 0; k < items.size(); k++) {
        YNode item = items.get(k);
        String field = f.field("bad") + "[" + k + "]";
        Quality q = item instanceof Scalar s ? qualityOf(s.value()) : null;
        if (q == null) {
          problems.add(item, field, "expected " + expected + ", got " + YamlFields.kind(item));
        } else if (q == Quality.GOOD) {
          problems.add(item, field, "GOOD is not a bad quality; expected " + expected);
        } else {
          bad.add(q);
        }
      }
    }
    if (problems.size() > before) {
      return null;
    }
    return new Condition.BadQuality(tag, Collections.unmodifiableSet(EnumSet.copyOf(bad)));
  }

  private static Quality qualityOf(String text) {
    String wanted = text.strip().toUpperCase(Locale.ROOT).replace('-', '_');
    for (Quality q : Quality.values()) {
      if (q.name().equals(wanted)) {
        return q;
      }
    }
    return null;
  }

  private Double requiredNumber(YamlFields f, String key, String expected) {
    if (!f.has(key)) {
      problems.add(f.at(key), f.field(key), "required field is missing; expected " + expected);
      return null;
    }
    return f.number(key, null);
  }
}
