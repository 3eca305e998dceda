package io.edgegw.rules.config;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelSourceLocation;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.CelType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerBuilder;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.edgegw.config.Problems;
import io.edgegw.config.YamlFields;
import io.edgegw.config.YamlTree.YNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads an {@code expression} condition: its inputs, each a CEL variable of its tag's type, and its
 * {@code when}, compiled here to a boolean program. CEL's errors become problems at the line of
 * {@code when}, with CEL's message and the column in the expression.
 */
final class ExpressionReader {
  private static final Pattern IDENTIFIER = Pattern.compile("[_a-zA-Z][_a-zA-Z0-9]*");

  /** CEL's keywords and reserved words: none can name a variable. */
  private static final Set<String> CEL_RESERVED =
      Set.of(
          ("true false null in as break const continue else for function if import let loop"
                  + " package namespace return var void while")
              .split(" "));

  /** Placeholders of every kind of rule: an input named like one would make messages ambiguous. */
  private static final Set<String> PLACEHOLDER_NAMES =
      Set.of(
          "id severity device tag value limit hysteresis rate perSecond after quality".split(" "));

  private final Problems problems;
  private final TagResolver tags;
  // Built at the first expression, then shared by every rule of the file: each rule only adds
  // its variables to a copy of the compiler's environment.
  private CelCompiler compiler;
  private CelRuntime runtime;

  ExpressionReader(Problems problems, TagResolver tags) {
    this.problems = problems;
    this.tags = tags;
  }

  /** The condition of an {@code expression} mapping, or null after its problems. */
  Condition read(YamlFields e) {
    if (!e.isMapping()) {
      return null;
    }
    int before = problems.size();
    String when = e.text("when", true);
    Map<String, TagRef> variables = new LinkedHashMap<>();
    Map<String, CelType> declared = new LinkedHashMap<>();
    if (!e.has("inputs")) {
      problems.add(
          e.at("when"),
          e.field("inputs"),
          "required field is missing; expected a mapping of variable name to device/tag,"
              + " e.g. inputs: { level: tank/level }");
      return null;
    }
    YamlFields in = YamlFields.anyKeys(problems, e.field("inputs"), e.node("inputs"));
    if (!in.isMapping()) {
      return null;
    }
    if (in.keys().isEmpty()) {
      problems.add(
          e.node("inputs"),
          e.field("inputs"),
          "declare at least one input, e.g. inputs: { level: tank/level }");
    }
    for (String name : in.keys()) {
      if (!variableName(in, name)) {
        continue;
      }
      String text = in.text(name, true);
      TagRef ref = text == null ? null : tagRef(in, name, text);
      DeviceCatalog.Tag tag =
          ref == null
              ? null
              : tags.lookup(ref, in.node(name), in.field(name), in.node(name), in.field(name));
      // An input whose tag is wrong is still declared, so that CEL reports only what else is
      // wrong with the expression.
      declared.put(name, tag == null ? SimpleType.DYN : celType(tag.type()));
      if (tag != null) {
        variables.put(name, ref);
      }
    }
    CelRuntime.Program program =
        when == null ? null : compile(when, declared, e.node("when"), e.field("when"));
    if (problems.size() > before) {
      return null;
    }
    return new Condition.Expression(when, Collections.unmodifiableMap(variables), program);
  }

  private boolean variableName(YamlFields in, String name) {
    String reason = null;
    if (!IDENTIFIER.matcher(name).matches()) {
      reason =
          "'"
              + name
              + "' is not a CEL variable name; expected letters, digits and '_', not starting"
              + " with a digit";
    } else if (CEL_RESERVED.contains(name)) {
      reason = "'" + name + "' is a reserved word of CEL; choose another variable name";
    } else if (PLACEHOLDER_NAMES.contains(name)) {
      reason = "'" + name + "' is the name of a message placeholder; choose another variable name";
    }
    if (reason != null) {
      problems.add(in.at(name), in.field(name), reason);
      return false;
    }
    return true;
  }

  /** {@code device/tag} of an expression input. */
  private TagRef tagRef(YamlFields in, String name, String text) {
    String[] parts = text.strip().split("/", -1);
    if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
      problems.add(
          in.node(name),
          in.field(name),
          "expected device/tag, e.g. tank/level, got '" + text + "'");
      return null;
    }
    return new TagRef(parts[0], parts[1]);
  }

  private static CelType celType(DeviceCatalog.ValueType type) {
    return switch (type) {
      case NUMBER -> SimpleType.DOUBLE;
      case BOOL -> SimpleType.BOOL;
      case STRING -> SimpleType.STRING;
    };
  }

  /** The compiled expression, or null with one problem per CEL error at the line of when. */
  private CelRuntime.Program compile(
      String source, Map<String, CelType> variables, YNode at, String field) {
    if (compiler == null) {
      // Numbers reach CEL as doubles; heterogeneous comparisons let 'level > 90' be written
      // without '.0', as an operator would.
      CelOptions options = CelOptions.current().enableHeterogeneousNumericComparisons(true).build();
      compiler =
          CelCompilerFactory.standardCelCompilerBuilder()
              .setOptions(options)
              .setResultType(SimpleType.BOOL)
              .build();
      runtime = CelRuntimeFactory.standardCelRuntimeBuilder().setOptions(options).build();
    }
    CelCompilerBuilder withVariables = compiler.toCompilerBuilder();
    variables.forEach(withVariables::addVar);
    try {
      CelAbstractSyntaxTree ast = withVariables.build().compile(source).getAst();
      return runtime.createProgram(ast);
    } catch (CelValidationException e) {
      boolean multiline = source.contains("\n");
      for (CelIssue issue : e.getErrors()) {
        problems.add(at, field, "CEL: " + position(issue, multiline) + issue.getMessage());
      }
    } catch (CelEvaluationException e) {
      problems.add(at, field, "CEL: " + e.getMessage());
    }
    return null;
  }

  private static String position(CelIssue issue, boolean multiline) {
    CelSourceLocation l = issue.getSourceLocation();
    if (l == null || l.getLine() < 1 || l.getColumn() < 0) {
      return "";
    }
    // CEL counts columns from 0; people and editors from 1.
    return (multiline ? "line " + l.getLine() + ", " : "") + "column " + (l.getColumn() + 1) + ": ";
  }
}
