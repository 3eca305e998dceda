package io.edgegw.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.edgegw.bridge.DataType;
import io.edgegw.bridge.Deadband;
import io.edgegw.bridge.DeviceSpec;
import io.edgegw.bridge.DevicesConfig;
import io.edgegw.bridge.Endpoint;
import io.edgegw.bridge.RegisterOrder;
import io.edgegw.bridge.RtuBusSpec;
import io.edgegw.bridge.Table;
import io.edgegw.bridge.TagSpec;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DevicesConfigLoaderTest {

  private static final String HEAD =
      """
      version: 1
      pollGroups:
        fast: 1s
      rtuBuses:
        - { id: line1, port: /dev/ttyS1, baud: 19200 }
      devices:
      """;

  private static DevicesConfig parse(String yaml) throws ConfigException {
    return DevicesConfigLoader.parse("devices.yaml", new StringReader(yaml));
  }

  private static ConfigException problem(String yaml) {
    return catchThrowableOfType(ConfigException.class, () -> parse(yaml));
  }

  /** A file with one device whose tag lines are given; the device starts at line 7. */
  private static String device(String... lines) {
    StringBuilder b = new StringBuilder(HEAD);
    b.append("  - id: plc\n");
    b.append("    tcp: { host: 127.0.0.1, port: 502 }\n");
    b.append("    tags:\n");
    for (String l : lines) {
      b.append("      ").append(l).append('\n');
    }
    return b.toString();
  }

  @Test
  void theShippedExampleLoadsWithEveryKey() throws Exception {
    DevicesConfig c;
    try (var in = getClass().getResourceAsStream("/devices-example.yaml")) {
      c =
          DevicesConfigLoader.parse(
              "devices-example.yaml", new InputStreamReader(in, StandardCharsets.UTF_8));
    }
    assertThat(c.pollGroups()).containsOnlyKeys("fast", "slow");
    assertThat(c.pollGroups().get("slow").interval()).isEqualTo(Duration.ofSeconds(10));
    RtuBusSpec line = c.rtuBuses().get("line1");
    assertThat(line)
        .isEqualTo(
            new RtuBusSpec(
                "line1",
                "/dev/ttyUSB0",
                19200,
                RtuBusSpec.Parity.EVEN,
                8,
                1,
                Duration.ofMillis(2),
                Duration.ofMillis(20)));
    DeviceSpec boiler = c.devices().getFirst();
    assertThat(boiler.endpoint()).isEqualTo(new Endpoint.Tcp("10.10.1.20", 502));
    assertThat(boiler.maxGap()).isEqualTo(8);
    TagSpec temp = boiler.tag("temperature").orElseThrow();
    assertThat(temp.table()).isEqualTo(Table.HOLDING);
    assertThat(temp.address()).isEqualTo(100);
    assertThat(temp.type()).isEqualTo(DataType.FLOAT32);
    assertThat(temp.order()).isEqualTo(RegisterOrder.CDAB);
    assertThat(temp.deadband()).isEqualTo(new Deadband(Deadband.Kind.ABSOLUTE, 0.2));
    assertThat(temp.heartbeat()).isEqualTo(Duration.ofSeconds(60));
    assertThat(temp.spikeLimit()).hasValue(25);
    assertThat(temp.pollGroup()).isEqualTo("fast");
    TagSpec sp = boiler.tag("setpoint").orElseThrow();
    assertThat(sp.writable()).isTrue();
    assertThat(sp.scale()).isEqualTo(0.1);
    assertThat(sp.min()).hasValue(20);
    assertThat(sp.max()).hasValue(90);
    assertThat(boiler.tag("alarm-word-bit3").orElseThrow().bit()).isEqualTo(3);
    assertThat(boiler.tag("model").orElseThrow().width()).isEqualTo(8);
    assertThat(boiler.tag("pump-run").orElseThrow().table()).isEqualTo(Table.COIL);
    DeviceSpec meter = c.devices().get(1);
    assertThat(meter.endpoint()).isEqualTo(new Endpoint.Rtu("line1"));
    assertThat(meter.unitId()).isEqualTo(3);
    assertThat(meter.timeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(meter.tag("power").orElseThrow().deadband())
        .isEqualTo(new Deadband(Deadband.Kind.PERCENT, 1));
  }

  @Test
  void defaultsApply() throws Exception {
    DevicesConfig c = parse(device("- { name: a, table: holding, address: 0, type: uint16 }"));
    DeviceSpec d = c.devices().getFirst();
    assertThat(d.unitId()).isEqualTo(1);
    assertThat(d.timeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(d.maxRegisters()).isEqualTo(125);
    assertThat(d.maxBits()).isEqualTo(2000);
    TagSpec a = d.tags().getFirst();
    assertThat(a.order()).isEqualTo(RegisterOrder.ABCD);
    assertThat(a.deadband()).isEqualTo(Deadband.NONE);
    assertThat(a.pollGroup()).isEqualTo("fast");
    assertThat(a.writable()).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          unknown type            | - { name: a, table: holding, address: 0, type: float }           | 10 | devices[0].tags[0].type    | expected one of bool, bit, int16
          unknown table           | - { name: a, table: holdings, address: 0, type: int16 }          | 10 | devices[0].tags[0].table   | expected one of coil, discrete-input, holding, input
          address out of range    | - { name: a, table: holding, address: 70000, type: int16 }       | 10 | devices[0].tags[0].address | expected an integer 0..65535, got 70000
          address not a number    | - { name: a, table: holding, address: ten, type: int16 }         | 10 | devices[0].tags[0].address | expected an integer 0..65535, got 'ten'
          missing address         | - { name: a, table: holding, type: int16 }                       | 10 | devices[0].tags[0].address | required field is missing
          unknown key with hint   | - { name: a, table: holding, address: 0, type: int16, adress: 1 }| 10 | devices[0].tags[0].adress  | unknown key (did you mean 'address'?)
          bool in register table  | - { name: a, table: holding, address: 0, type: bool }            | 10 | devices[0].tags[0].type    | type bool is only for coil and discrete-input
          writable input register | - { name: a, table: input, address: 0, type: int16, writable: true } | 10 | devices[0].tags[0].writable | cannot be written; only coil and holding can
          min above max           | - { name: a, table: holding, address: 0, type: int16, writable: true, min: 5, max: 1 } | 10 | devices[0].tags[0].min | min 5.0 is greater than max 1.0
          limits without writable | - { name: a, table: holding, address: 0, type: int16, max: 1 }   | 10 | devices[0].tags[0].max     | set 'writable: true'
          bit without index       | - { name: a, table: holding, address: 0, type: bit }             | 10 | devices[0].tags[0].bit     | required field is missing
          bit index too high      | - { name: a, table: holding, address: 0, type: bit, bit: 16 }    | 10 | devices[0].tags[0].bit     | expected an integer 0..15, got 16
          length on a number      | - { name: a, table: holding, address: 0, type: int16, length: 2 }| 10 | devices[0].tags[0].length  | only a tag of type string takes 'length'
          bad deadband            | - { name: a, table: holding, address: 0, type: int16, deadband: lots } | 10 | devices[0].tags[0].deadband | expected an absolute amount like 0.5 or a percentage like '2%', got 'lots'
          bad heartbeat           | - { name: a, table: holding, address: 0, type: int16, heartbeat: 1 minute } | 10 | devices[0].tags[0].heartbeat | expected a duration like 250ms, 1s, 5m or 1h, got '1 minute'
          unknown poll group      | - { name: a, table: holding, address: 0, type: int16, pollGroup: slow } | 10 | devices[0].tags[0].pollGroup | unknown poll group 'slow'; declared: fast
          tag past 65535          | - { name: a, table: holding, address: 65534, type: float64 }     | 10 | devices[0].tags[0].address | tag runs past address 65535
          string wider than max   | - { name: a, table: holding, address: 0, type: string, length: 125 } | 7 | devices[0] |
          """)
  void eachMistakeIsLocated(String what, String tagLine, int line, String field, String reason) {
    String yaml =
        "string wider than max".equals(what)
            ? device(tagLine).replace("    tcp:", "    maxRegisters: 100\n    tcp:")
            : device(tagLine);
    ConfigException e = problem(yaml);
    assertThat(e).as(what).isNotNull();
    if ("string wider than max".equals(what)) {
      assertThat(e.getMessage())
          .contains("spans 125 registers, more than the device's maxRegisters 100");
      return;
    }
    assertThat(e.line()).as(what + ": " + e.getMessage()).isEqualTo(line);
    assertThat(e.field()).as(what).isEqualTo(field);
    assertThat(e.getMessage())
        .as(what)
        .contains(reason)
        .startsWith("devices.yaml:" + line + ": " + field + ": ");
  }

  @Test
  void deviceLevelMistakes() {
    ConfigException dup =
        problem(
            HEAD
                + """
                  - { id: a, tcp: { host: h, port: 502 }, tags: [ { name: x, table: coil, address: 0, type: bool } ] }
                  - { id: a, tcp: { host: h, port: 502 }, tags: [ { name: x, table: coil, address: 0, type: bool } ] }
                """);
    assertThat(dup.getMessage()).contains("devices.yaml:8: devices[1].id: duplicate device id 'a'");

    ConfigException both =
        problem(
            HEAD
                + """
                  - id: a
                    tcp: { host: h, port: 502 }
                    rtu: { bus: line1 }
                    tags: [ { name: x, table: coil, address: 0, type: bool } ]
                """);
    assertThat(both.getMessage()).contains("devices[0].rtu: a device needs exactly one of");

    ConfigException bus =
        problem(
            HEAD
                + """
                  - { id: a, rtu: { bus: line9 }, tags: [ { name: x, table: coil, address: 0, type: bool } ] }
                """);
    assertThat(bus.getMessage())
        .contains("devices.yaml:7: devices[0].rtu.bus: unknown RTU bus 'line9'; declared: line1");

    ConfigException unit =
        problem(
            HEAD
                + """
                  - { id: a, rtu: { bus: line1 }, unitId: 4, tags: [ { name: x, table: coil, address: 0, type: bool } ] }
                  - { id: b, rtu: { bus: line1 }, unitId: 4, tags: [ { name: x, table: coil, address: 0, type: bool } ] }
                """);
    assertThat(unit.getMessage())
        .contains(
            "devices.yaml:8: devices[1].unitId: unit id 4 is already used on bus 'line1' by device 'a'");

    ConfigException tagDup =
        problem(
            device(
                "- { name: x, table: coil, address: 0, type: bool }",
                "- { name: x, table: coil, address: 1, type: bool }"));
    assertThat(tagDup.getMessage())
        .contains(
            "devices.yaml:11: devices[0].tags[1].name: duplicate tag name 'x' in this device");

    ConfigException badId =
        problem(
            HEAD
                + "  - { id: 'a/b', tcp: { host: h }, tags: [ { name: x, table: coil, address: 0, type: bool } ] }\n");
    assertThat(badId.getMessage()).contains("device id must be 1-64 of [A-Za-z0-9_.-]");
  }

  @Test
  void allMistakesOfAFileAreReportedTogether() {
    ConfigException e =
        problem(
            device(
                "- { name: a, table: holding, address: 0, type: float }",
                "- { name: b, table: holdin, address: 1, type: int16 }",
                "- { name: c, table: holding, address: -1, type: int16 }"));
    assertThat(e.problems()).hasSize(3);
    assertThat(e.problems()).extracting(ConfigException.Problem::line).containsExactly(10, 11, 12);
    assertThat(e.getMessage().lines()).hasSize(3);
  }

  @Test
  void fileLevelMistakes() {
    assertThat(problem("").getMessage())
        .isEqualTo("devices.yaml:1: the file is empty; expected version, pollGroups and devices");
    assertThat(problem("- just\n- a list\n").getMessage())
        .contains("devices.yaml:1: expected a mapping");
    assertThat(problem("version: 1\npollGroups:\n  fast: [1s\ndevices: []\n").getMessage())
        .startsWith("devices.yaml:4: not valid YAML");
    assertThat(problem("version: 2\npollGroups: { fast: 1s }\ndevices: []\n").getMessage())
        .contains("devices.yaml:1: version: expected 1, got 2");
    assertThat(problem("version: 1\ndevices: []\n").getMessage())
        .contains("pollGroups: required field is missing");
    assertThat(
            problem("version: 1\npollGroups: { fast: 1s }\npollGroups: { slow: 1s }\ndevices: []\n")
                .getMessage())
        .contains("devices.yaml:3: pollGroups: duplicate key (first at line 2)");
    assertThat(problem("version: 1\npollGroups: { fast: 5ms }\ndevices: []\n").getMessage())
        .contains("poll interval must be at least 10ms");
  }

  @Test
  void aliasesAreRefusedWithTheirLine() {
    assertThat(
            problem("version: 1\npollGroups: { fast: &f 1s, slow: *f }\ndevices: []\n")
                .getMessage())
        .isEqualTo(
            "devices.yaml:2: aliases (*name) are not supported in this file; write the values out");
  }

  @Test
  void aMissingFileSaysSo() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () -> DevicesConfigLoader.load(java.nio.file.Path.of("/nonexistent/devices.yaml")));
    assertThat(e.getMessage()).contains("/nonexistent/devices.yaml:0: cannot read");
  }
}
