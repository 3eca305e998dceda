package io.edgegw.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.edgegw.bridge.DevicesConfig;
import io.edgegw.config.ConfigException;
import io.edgegw.testsupport.badinput.YamlEdit;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@code devices.yaml} under arbitrary and mutated text: the loader ends, within a bound, either in
 * a complete configuration or in a {@link ConfigException} whose every problem names the file, a
 * line within the text and a reason; no other exception escapes. The mutations start from the
 * shipped example, which uses every key. Tries are bounded so the class runs in a few seconds.
 */
class DevicesConfigPropertiesTest {
  private static final Duration BOUND = Duration.ofSeconds(5);
  private static final String EXAMPLE = example();

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
          DevicesConfig config;
          try {
            config = DevicesConfigLoader.parse("devices.yaml", new StringReader(text));
          } catch (ConfigException e) {
            assertThat(e.problems()).isNotEmpty();
            for (ConfigException.Problem p : e.problems()) {
              assertThat(p.file()).isEqualTo("devices.yaml");
              assertThat(p.line()).as("line of %s", p).isBetween(0, lines + 1);
              assertThat(p.reason())
                  .as("reason of %s", p)
                  .isNotBlank()
                  // A reason that is only an exception's empty message: "...: null".
                  .isNotEqualTo("null")
                  .doesNotEndWith(": null");
            }
            assertThat(e.getMessage()).startsWith("devices.yaml:" + e.line() + ": ");
            return;
          }
          // Anything else escaping parse fails the property here.
          assertThat(config).isNotNull();
          assertThat(config.devices()).isNotEmpty();
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
            "pollGroups",
            "devices",
            "id",
            "tcp",
            "host",
            "port",
            "tags",
            "name",
            "table",
            "address",
            "type",
            "rtuBuses",
            "unitId",
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

  private static String example() {
    try (InputStream in =
        DevicesConfigPropertiesTest.class.getResourceAsStream("/devices-example.yaml")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
