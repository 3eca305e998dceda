package io.edgegw.rules.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.edgegw.config.ConfigException;
import io.edgegw.testsupport.badinput.YamlEdit;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@code rules.yaml} under arbitrary and mutated text, against the bundled plant's devices: the
 * loader (CEL compilation included) ends, within a bound, either in a complete rule set or in a
 * {@link ConfigException} whose every problem names the file, a line within the text and a reason;
 * no other exception escapes. The mutations start from the shipped example, which uses every key.
 * Tries are bounded so the class runs in a few seconds.
 */
class RulesConfigPropertiesTest {
  private static final Duration BOUND = Duration.ofSeconds(5);
  private static final String EXAMPLE = example();
  private static final DeviceCatalog PLANT = plant();

  @Property(tries = 400)
  void aMutatedExampleLoadsOrIsRefusedWithLocatedProblems(@ForAll("edits") List<YamlEdit> edits) {
    String text = EXAMPLE;
    for (YamlEdit e : edits) {
      text = e.apply(text);
    }
    check(text);
  }

  @Property(tries = 200)
  void arbitraryYamlishTextIsRefusedWithLocatedProblems(@ForAll("yamlish") String text) {
    check(text);
  }

  private static void check(String text) {
    int lines = text.split("\n", -1).length;
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          RuleSet rules;
          try {
            rules = RulesConfigLoader.parse("rules.yaml", new StringReader(text), PLANT);
          } catch (ConfigException e) {
            assertThat(e.problems()).isNotEmpty();
            for (ConfigException.Problem p : e.problems()) {
              assertThat(p.file()).isEqualTo("rules.yaml");
              assertThat(p.line()).as("line of %s", p).isBetween(0, lines + 1);
              assertThat(p.reason())
                  .as("reason of %s", p)
                  .isNotBlank()
                  // A reason that is only an exception's empty message: "...: null".
                  .isNotEqualTo("null")
                  .doesNotEndWith(": null");
            }
            assertThat(e.getMessage()).startsWith("rules.yaml:" + e.line() + ": ");
            return;
          }
          // Anything else escaping parse fails the property here.
          assertThat(rules).isNotNull();
          assertThat(rules.rules()).allMatch(r -> r.id() != null && !r.id().isBlank());
        },
        () -> "parse did not end within " + BOUND + " for:\n" + text);
  }

  @Provide
  Arbitrary<List<YamlEdit>> edits() {
    Arbitrary<YamlEdit> one =
        Combinators.combine(
                Arbitraries.integers().between(0, 7),
                Arbitraries.doubles().between(0, 1),
                Arbitraries.doubles().between(0, 1),
                Arbitraries.oneOf(
                    Arbitraries.of(YamlEdit.HOSTILE_VALUES), Arbitraries.strings().ofMaxLength(6)))
            .as(YamlEdit::new);
    return one.list().ofMinSize(1).ofMaxSize(4);
  }

  @Provide
  Arbitrary<String> yamlish() {
    Arbitrary<String> key =
        Arbitraries.of(
            "version",
            "rules",
            "id",
            "severity",
            "threshold",
            "device",
            "tag",
            "hi",
            "lo",
            "expression",
            "when",
            "inputs",
            "actions",
            "interlock",
            "value",
            "x");
    Arbitrary<String> line =
        Combinators.combine(
                Arbitraries.integers().between(0, 8).map(" "::repeat),
                Arbitraries.of("", "- "),
                key,
                Arbitraries.oneOf(
                    Arbitraries.of(YamlEdit.HOSTILE_VALUES), Arbitraries.strings().ofMaxLength(6)))
            .as((indent, dash, k, v) -> indent + dash + k + ": " + v);
    return line.list().ofMaxSize(20).map(l -> String.join("\n", l));
  }

  /** The bundled plant's devices, which the example's rules name. */
  private static DeviceCatalog plant() {
    try {
      return DeviceCatalog.load(Path.of("../bin/plant-devices.yaml"));
    } catch (ConfigException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String example() {
    try (InputStream in =
        RulesConfigPropertiesTest.class.getResourceAsStream("/rules-example.yaml")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
