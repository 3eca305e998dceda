package io.edgegw.rules.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.edgegw.config.ConfigException;
import io.edgegw.rules.config.DeviceCatalog.Tag;
import io.edgegw.rules.config.DeviceCatalog.ValueType;
import java.io.StringReader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DeviceCatalogTest {

  private static DeviceCatalog parse(String yaml) throws ConfigException {
    return DeviceCatalog.parse("devices.yaml", new StringReader(yaml));
  }

  private static ConfigException problem(String yaml) {
    return catchThrowableOfType(ConfigException.class, () -> parse(yaml));
  }

  @Test
  void readsIdsNamesTypesAndWritabilityAndIgnoresEveryOtherKey() throws Exception {
    DeviceCatalog c =
        parse(
            """
            version: 1
            pollGroups: { fast: 1s }
            someFutureKey: { anything: [1, 2] }
            devices:
              - id: press
                tcp: { host: 10.0.0.5 }
                unknownDeviceKey: 3
                tags:
                  - { name: running, table: coil, address: 0, type: BOOL, writable: true }
                  - { name: door, table: holding, address: 1, type: bit, bit: 3 }
                  - { name: model, table: input, address: 2, type: string, length: 4 }
                  - { name: force, table: holding, address: 9, type: float32, frobnicate: yes }
                  - { name: count, table: input, address: 20, type: uint64 }
              - id: empty
                tcp: { host: 10.0.0.6 }
            """);

    assertThat(c.devices()).containsExactly("press", "empty");
    assertThat(c.tagsOf("press")).containsExactly("running", "door", "model", "force", "count");
    assertThat(c.tag(new TagRef("press", "running"))).contains(new Tag(ValueType.BOOL, true));
    assertThat(c.tag(new TagRef("press", "door"))).contains(new Tag(ValueType.BOOL, false));
    assertThat(c.tag(new TagRef("press", "model"))).contains(new Tag(ValueType.STRING, false));
    assertThat(c.tag(new TagRef("press", "force"))).contains(new Tag(ValueType.NUMBER, false));
    assertThat(c.tag(new TagRef("press", "count"))).contains(new Tag(ValueType.NUMBER, false));
    assertThat(c.hasDevice("empty")).isTrue();
    assertThat(c.tagsOf("empty")).isEmpty();
    assertThat(c.hasDevice("nope")).isFalse();
    assertThat(c.tag(new TagRef("press", "nope"))).isEmpty();
    assertThat(c.tag(new TagRef("nope", "running"))).isEmpty();
  }

  @Test
  void thePlantFileGivesThePlantsTags() throws Exception {
    DeviceCatalog c = DeviceCatalog.load(Path.of("../bin/plant-devices.yaml"));

    assertThat(c.devices()).containsExactly("boiler", "tank", "meter");
    assertThat(c.tagsOf("boiler")).containsExactly("temperature", "pressure", "setpoint", "burner");
    assertThat(c.tag(new TagRef("boiler", "setpoint"))).contains(new Tag(ValueType.NUMBER, true));
    assertThat(c.tag(new TagRef("boiler", "burner"))).contains(new Tag(ValueType.BOOL, false));
    assertThat(c.tag(new TagRef("tank", "level"))).contains(new Tag(ValueType.NUMBER, false));
    assertThat(c.tag(new TagRef("tank", "inlet"))).contains(new Tag(ValueType.BOOL, true));
    assertThat(c.tag(new TagRef("tank", "high"))).contains(new Tag(ValueType.BOOL, false));
    assertThat(c.tag(new TagRef("meter", "energy"))).contains(new Tag(ValueType.NUMBER, false));
    assertThat(c.tag(new TagRef("meter", "serial"))).contains(new Tag(ValueType.STRING, false));
  }

  @Test
  void whatItReadsMustBeThereEachProblemAtItsLine() {
    ConfigException e =
        problem(
            """
            devices:
              - id: press
                tags:
                  - { table: coil, type: bool }
                  - { name: b, table: coil }
                  - { name: c, type: bool, writable: maybe }
              - tcp: { host: x }
              - just-a-name
            """);

    assertThat(e.problems())
        .extracting(ConfigException.Problem::toString)
        .containsExactly(
            "devices.yaml:4: devices[0].tags[0].name: required field is missing; expected a text",
            "devices.yaml:5: devices[0].tags[1].type: required field is missing; expected a text",
            "devices.yaml:6: devices[0].tags[2].writable: expected true or false, got 'maybe'",
            "devices.yaml:7: devices[1].id: required field is missing; expected a text",
            "devices.yaml:8: devices[2]: expected a mapping (key: value lines), got 'just-a-name'");
  }

  @Test
  void aFileThatIsNotDevicesYamlIsRefusedWithItsLine() {
    assertThat(problem("devices:\n  - id: [unclosed\n").problems().getFirst().line()).isEqualTo(3);
    assertThat(problem("version: 1\n").getMessage())
        .isEqualTo("devices.yaml:1: devices: required field is missing; expected a list");
    assertThat(problem("devices: none\n").getMessage())
        .isEqualTo(
            "devices.yaml:1: devices: expected a list (lines starting with '- '), got 'none'");
    assertThat(problem("# only a comment\n").getMessage())
        .isEqualTo(
            "devices.yaml:1: the file is empty; expected the bridge's devices and their tags");
  }

  @Test
  void aMissingFileIsNamedByItsFullPathAtLineZero() {
    Path missing = Path.of("target/no-such-dir/devices.yaml");
    ConfigException e =
        catchThrowableOfType(ConfigException.class, () -> DeviceCatalog.load(missing));

    assertThat(e.getMessage())
        .isEqualTo(missing + ":0: file not found; mount it there or set rules.devices-file");
  }
}
