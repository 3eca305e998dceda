package io.edgegw.rules.config;

import io.edgegw.config.ConfigException;
import io.edgegw.config.ConfigFile;
import io.edgegw.config.Problems;
import io.edgegw.config.YamlFields;
import io.edgegw.config.YamlTree;
import io.edgegw.config.YamlTree.Mapping;
import io.edgegw.config.YamlTree.Scalar;
import io.edgegw.config.YamlTree.YNode;
import io.edgegw.contracts.Severity;
import io.edgegw.contracts.Topics;
import java.io.Reader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and validates {@code rules.yaml} into a {@link RuleSet}, against the tags of {@code
 * devices.yaml} ({@link DeviceCatalog}). Every problem in the file is reported, each with its line
 * and field path, the path naming the rule by its id once it is known ({@code
 * rules[3](tank-overfill).threshold.hi}); nothing is returned unless the whole file is valid.
 *
 * <p>The schema, version 1. Defaults and meanings are in {@code docs/configuration.md}; {@code
 * src/main/resources/rules-example.yaml} uses every key.
 *
 * <pre>
 * version: 1
 * rules:
 *   - id, severity, message, onDelay, offDelay, latching,
 *     exactly one of:
 *       threshold:  { device, tag, hi | hihi | lo | lolo, hysteresis }
 *       rate:       { device, tag, perSecond }
 *       stale:      { device, tag, after }
 *       quality:    { device, tag, bad }
 *       expression: { when, inputs: { NAME: device/tag } }
 *     actions:
 *       - interlock: { device, tag, value, on, timeout, retries, retryDelay }
 *       - event: { name, on }
 * </pre>
 *
 * Expressions are CEL, compiled here: a rule whose expression does not compile to a boolean never
 * reaches the engine. The conditions are read by {@link ConditionReader} (expressions by {@link
 * ExpressionReader}), the actions by {@link ActionReader}, the tags they name checked by {@link
 * TagResolver}.
 */
public final class RulesConfigLoader {
  private RulesConfigLoader() {}

  /** The schema version this loader reads. */
  public static final int VERSION = 1;

  // A thousand rules are about 300 KB; the limit only guards against a wrong file.
  private static final int MAX_CODE_POINTS = 16 * 1024 * 1024;

  private static final Set<String> ROOT = keys("version", "rules");
  private static final Set<String> RULE =
      keys(
          "id",
          "severity",
          "message",
          "onDelay",
          "offDelay",
          "latching",
          "threshold",
          "rate",
          "stale",
          "quality",
          "expression",
          "actions");

  /** The keys of a mapping, in the order a message lists them. */
  static Set<String> keys(String... names) {
    return new LinkedHashSet<>(List.of(names));
  }

  /** Whether the text can be one level of an MQTT topic, by the contract's own check. */
  static boolean isTopicLevel(String text) {
    try {
      Topics.alarm(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * Loads the file. Problems inside it name it by its file name ({@code rules.yaml:12:}); a file
   * that cannot be read at all is named by its full path.
   *
   * @param rulesFile the UTF-8 YAML file, e.g. {@code /etc/gateway/rules.yaml}
   * @param catalog the tags rules may name
   * @return the complete, valid rule set
   * @throws ConfigException listing every problem
   */
  public static RuleSet load(Path rulesFile, DeviceCatalog catalog) throws ConfigException {
    return ConfigFile.read(
        rulesFile,
        "rules.yaml",
        "rules.rules-file",
        (name, reader) -> parse(name, reader, catalog));
  }

  /**
   * Parses YAML text.
   *
   * @param displayName names the file in problems, e.g. {@code rules.yaml}
   * @param reader the YAML text; not closed here
   * @param catalog the tags rules may name
   * @return the complete, valid rule set
   * @throws ConfigException listing every problem
   */
  public static RuleSet parse(String displayName, Reader reader, DeviceCatalog catalog)
      throws ConfigException {
    Problems problems = new Problems(displayName);
    YNode root = YamlTree.read(reader, MAX_CODE_POINTS, problems);
    problems.throwIfAny();
    if (root == null) {
      problems.add(1, "", "the file is empty; expected version: 1 and the list of rules");
      problems.throwIfAny();
    }
    List<Rule> rules = new Reading(problems, catalog).root(root);
    problems.throwIfAny();
    return new RuleSet(displayName, List.copyOf(rules));
  }

  /** One pass over the document. */
  private static final class Reading {
    private final Problems problems;
    private final ConditionReader conditionReader;
    private final ActionReader actionReader;
    private final Map<String, Integer> lineOfId = new HashMap<>();

    Reading(Problems problems, DeviceCatalog catalog) {
      this.problems = problems;
      TagResolver tags = new TagResolver(problems, catalog);
      this.conditionReader = new ConditionReader(problems, tags);
      this.actionReader = new ActionReader(problems, tags);
    }

    List<Rule> root(YNode node) {
      YamlFields root = new YamlFields(problems, "", node, ROOT);
      if (!root.isMapping()) {
        return List.of();
      }
      String v = root.scalar("version", true, String.valueOf(VERSION));
      if (v != null && !v.strip().equals(String.valueOf(VERSION))) {
        problems.add(
            root.node("version"),
            "version",
            "expected " + VERSION + " (the only schema version), got '" + v + "'");
      }
      if (!root.has("rules")) {
        problems.add(
            root.at("rules"),
            "rules",
            "required field is missing; expected the list of rules ('rules: []' for none)");
        return List.of();
      }
      List<YNode> items = root.list("rules", true);
      List<Rule> rules = new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        Rule rule = rule(items.get(i), i);
        if (rule != null) {
          rules.add(rule);
        }
      }
      return rules;
    }

    private Rule rule(YNode node, int index) {
      String knownId = validId(node);
      String path = "rules[" + index + "]" + (knownId == null ? "" : "(" + knownId + ")");
      int before = problems.size();
      YamlFields r = new YamlFields(problems, path, node, RULE);
      if (!r.isMapping()) {
        return null;
      }
      boolean keyProblems = problems.size() > before;
      String id = id(r);
      Severity severity = r.choice("severity", Severity.values(), Enum::name, null);
      Duration onDelay = r.duration("onDelay", Duration.ZERO, false);
      Duration offDelay = r.duration("offDelay", Duration.ZERO, false);
      boolean latching = r.bool("latching", false);
      Condition condition = conditionReader.read(r, path, keyProblems);
      MessageTemplate message = message(r, condition);
      List<Action> actions = actionReader.read(r);
      if (problems.size() > before) {
        return null;
      }
      return new Rule(
          id,
          node.line(),
          condition,
          severity,
          message,
          onDelay,
          offDelay,
          latching,
          List.copyOf(actions));
    }

    /** The rule's id when it is written and valid, to name the rule in every path; else null. */
    private static String validId(YNode node) {
      if (node instanceof Mapping m) {
        for (YamlTree.Entry e : m.entries()) {
          if (e.key() instanceof Scalar k
              && k.value().equals("id")
              && e.value() instanceof Scalar v
              && isTopicLevel(v.value())) {
            return v.value();
          }
        }
      }
      return null;
    }

    private String id(YamlFields r) {
      String id = r.text("id", true);
      if (id == null) {
        return null;
      }
      if (!isTopicLevel(id)) {
        problems.add(
            r.node("id"),
            r.field("id"),
            "expected 1-64 characters of [A-Za-z0-9_.-] (the id is the alarm's MQTT topic level,"
                + " gw/v1/alarm/{id}), got '"
                + id
                + "'");
        return null;
      }
      Integer first = lineOfId.putIfAbsent(id, r.node("id").line());
      if (first != null) {
        problems.add(
            r.node("id"),
            r.field("id"),
            "duplicate rule id '" + id + "' (first at line " + first + "); ids name the alarms");
        return null;
      }
      return id;
    }

    private MessageTemplate message(YamlFields r, Condition condition) {
      String text = r.has("message") ? r.text("message", false) : "{id}";
      if (text != null && text.isBlank()) {
        problems.add(
            r.node("message"),
            r.field("message"),
            "must not be empty; omit it for the default message '{id}'");
        return null;
      }
      // Without a valid condition the placeholders are not known; its problem is reported.
      if (text == null || condition == null) {
        return null;
      }
      try {
        return MessageTemplate.parse(text, condition.placeholders());
      } catch (IllegalArgumentException e) {
        problems.add(r.node("message"), r.field("message"), e.getMessage());
        return null;
      }
    }
  }
}
