package io.edgegw.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import io.edgegw.bridge.DataType;
import io.edgegw.bridge.Deadband;
import io.edgegw.bridge.DeviceSpec;
import io.edgegw.bridge.DevicesConfig;
import io.edgegw.bridge.Endpoint;
import io.edgegw.bridge.PollGroup;
import io.edgegw.bridge.RegisterOrder;
import io.edgegw.bridge.RtuBusSpec;
import io.edgegw.bridge.Table;
import io.edgegw.bridge.TagSpec;
import io.edgegw.config.ConfigException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class DevicesConfigLoaderTest {

  /** Lines 1-6; the first device starts at line 7. */
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

  /** The head and the given device lines, indented under devices: from line 7. */
  private static String devices(String... lines) {
    StringBuilder b = new StringBuilder(HEAD);
    for (String l : lines) {
      b.append("  ").append(l).append('\n');
    }
    return b.toString();
  }

  /** One TCP device 'plc' at line 7 whose tag lines start at line 10. */
  private static String tags(String... lines) {
    StringBuilder b = new StringBuilder(HEAD);
    b.append("  - id: plc\n");
    b.append("    tcp: { host: 127.0.0.1, port: 502 }\n");
    b.append("    tags:\n");
    for (String l : lines) {
      b.append("      ").append(l).append('\n');
    }
    return b.toString();
  }

  /** A valid holding int16 tag 'a' at address 0, with more keys. */
  private static String tag(String more) {
    return "- { name: a, table: holding, address: 0, type: int16, " + more + " }";
  }

  /** A device line that is valid apart from what {@code more} adds. */
  private static String tcpDevice(String id, String more) {
    return "- { id: "
        + id
        + ", tcp: { host: h }, "
        + more
        + (more.isEmpty() ? "" : ", ")
        + "tags: [ { name: x, table: coil, address: 0, type: bool } ] }";
  }

  private static String rtuDevice(String id, String more) {
    return "- { id: "
        + id
        + ", rtu: { bus: line1 }, "
        + more
        + (more.isEmpty() ? "" : ", ")
        + "tags: [ { name: x, table: coil, address: 0, type: bool } ] }";
  }

  private static TagSpec tagSpec(
      String name,
      Table table,
      int address,
      DataType type,
      RegisterOrder order,
      int bit,
      int length,
      double scale,
      String unit,
      String group,
      Deadband deadband) {
    return new TagSpec(
        name,
        table,
        address,
        type,
        order,
        bit,
        length,
        scale,
        0,
        unit,
        group,
        deadband,
        null,
        OptionalDouble.empty(),
        false,
        OptionalDouble.empty(),
        OptionalDouble.empty());
  }

  @Test
  void theShippedExampleLoadsEveryKeyAsWritten() throws Exception {
    DevicesConfig c;
    try (Reader in =
        new InputStreamReader(
            getClass().getResourceAsStream("/devices-example.yaml"), StandardCharsets.UTF_8)) {
      c = DevicesConfigLoader.parse("devices-example.yaml", in);
    }

    assertThat(c.pollGroups())
        .containsOnly(
            Map.entry("fast", new PollGroup("fast", Duration.ofSeconds(1))),
            Map.entry("slow", new PollGroup("slow", Duration.ofSeconds(10))));
    assertThat(c.rtuBuses())
        .containsOnly(
            Map.entry(
                "line1",
                new RtuBusSpec(
                    "line1",
                    "/dev/ttyUSB0",
                    19200,
                    RtuBusSpec.Parity.EVEN,
                    8,
                    1,
                    Duration.ofMillis(2),
                    Duration.ofMillis(20))));
    assertThat(c.devices()).extracting(DeviceSpec::id).containsExactly("boiler-1", "meter-3");

    DeviceSpec boiler = c.devices().get(0);
    assertThat(boiler.endpoint()).isEqualTo(new Endpoint.Tcp("10.10.1.20", 502));
    assertThat(boiler.unitId()).isEqualTo(1);
    assertThat(boiler.timeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(boiler.maxRegisters()).isEqualTo(125);
    assertThat(boiler.maxBits()).isEqualTo(2000);
    assertThat(boiler.maxGap()).isEqualTo(8);
    assertThat(boiler.tags())
        .containsExactly(
            new TagSpec(
                "temperature",
                Table.HOLDING,
                100,
                DataType.FLOAT32,
                RegisterOrder.CDAB,
                0,
                2,
                1,
                0,
                "degC",
                "fast",
                new Deadband(Deadband.Kind.ABSOLUTE, 0.2),
                Duration.ofSeconds(60),
                OptionalDouble.of(25),
                false,
                OptionalDouble.empty(),
                OptionalDouble.empty()),
            new TagSpec(
                "setpoint",
                Table.HOLDING,
                110,
                DataType.INT16,
                RegisterOrder.ABCD,
                0,
                1,
                0.1,
                0,
                "degC",
                "slow",
                Deadband.NONE,
                null,
                OptionalDouble.empty(),
                true,
                OptionalDouble.of(20),
                OptionalDouble.of(90)),
            tagSpec(
                "alarm-word-bit3",
                Table.HOLDING,
                120,
                DataType.BIT,
                RegisterOrder.ABCD,
                3,
                1,
                1,
                "",
                "fast",
                Deadband.NONE),
            tagSpec(
                "model",
                Table.INPUT,
                200,
                DataType.STRING,
                RegisterOrder.ABCD,
                0,
                8,
                1,
                "",
                "slow",
                Deadband.NONE),
            new TagSpec(
                "pump-run",
                Table.COIL,
                0,
                DataType.BOOL,
                RegisterOrder.ABCD,
                0,
                1,
                1,
                0,
                "",
                "fast",
                Deadband.NONE,
                null,
                OptionalDouble.empty(),
                true,
                OptionalDouble.empty(),
                OptionalDouble.empty()));

    DeviceSpec meter = c.devices().get(1);
    assertThat(meter.endpoint()).isEqualTo(new Endpoint.Rtu("line1"));
    assertThat(meter.unitId()).isEqualTo(3);
    assertThat(meter.timeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(meter.tags())
        .containsExactly(
            tagSpec(
                "energy",
                Table.INPUT,
                0,
                DataType.UINT32,
                RegisterOrder.ABCD,
                0,
                2,
                1,
                "Wh",
                "slow",
                Deadband.NONE),
            tagSpec(
                "power",
                Table.INPUT,
                2,
                DataType.FLOAT32,
                RegisterOrder.ABCD,
                0,
                2,
                1,
                "kW",
                "fast",
                new Deadband(Deadband.Kind.PERCENT, 1)),
            tagSpec(
                "breaker-closed",
                Table.DISCRETE_INPUT,
                10,
                DataType.BOOL,
                RegisterOrder.ABCD,
                0,
                1,
                1,
                "",
                "fast",
                new Deadband(Deadband.Kind.ABSOLUTE, 0)));
  }

  @Test
  void everyDefaultApplies() throws Exception {
    DevicesConfig c =
        parse(
            """
            version: 1
            pollGroups: { slow: 10s, fast: 1s }
            rtuBuses:
              - { id: b, port: /dev/ttyS0 }
            devices:
              - { id: d, tcp: { host: h }, tags: [ { name: a, table: holding, address: 7, type: uint16 } ] }
              - { id: r, rtu: { bus: b }, tags: [] }
            """);
    assertThat(c.rtuBuses().get("b"))
        .isEqualTo(
            new RtuBusSpec(
                "b", "/dev/ttyS0", 9600, RtuBusSpec.Parity.NONE, 8, 1, null, Duration.ZERO));
    DeviceSpec d = c.devices().getFirst();
    assertThat(d)
        .isEqualTo(
            new DeviceSpec(
                "d", new Endpoint.Tcp("h", 502), 1, Duration.ofSeconds(1), 125, 2000, 8, d.tags()));
    // The default poll group is the first declared, not the fastest or the first by name.
    assertThat(d.tags())
        .containsExactly(
            tagSpec(
                "a",
                Table.HOLDING,
                7,
                DataType.UINT16,
                RegisterOrder.ABCD,
                0,
                1,
                1,
                "",
                "slow",
                Deadband.NONE));
    assertThat(c.devices().get(1).unitId()).isEqualTo(1);
  }

  @Test
  void spellingsAreLenientWhereNothingCanBeMisread() throws Exception {
    DevicesConfig c =
        parse(
            """
            version: 1
            pollGroups: { fast: 250ms, hourly: 1h, minutely: 5m }
            rtuBuses:
              - { id: b, port: /dev/ttyS0, parity: ODD, dataBits: 7, stopBits: 2, interFrameDelay: 0ms }
            devices:
              - id: d
                rtu: { bus: b }
                unitId: 247
                tags:
                  - { name: a, table: Discrete_Input, address: "65535", type: BOOL }
                  - { name: b, table: HOLDING, address: 1, type: Float64, order: dcba, writable: yes, min: -1.5e3, max: +2 }
                  - { name: c, table: holding, address: 5, type: int64, deadband: 2.5 %, pollGroup: hourly }
            """);
    assertThat(c.pollGroups().get("hourly").interval()).isEqualTo(Duration.ofHours(1));
    assertThat(c.pollGroups().get("minutely").interval()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.pollGroups().get("fast").interval()).isEqualTo(Duration.ofMillis(250));
    RtuBusSpec bus = c.rtuBuses().get("b");
    assertThat(bus.parity()).isEqualTo(RtuBusSpec.Parity.ODD);
    assertThat(bus.dataBits()).isEqualTo(7);
    assertThat(bus.stopBits()).isEqualTo(2);
    assertThat(bus.interFrameDelay()).isEqualTo(Duration.ZERO);
    DeviceSpec d = c.devices().getFirst();
    assertThat(d.unitId()).isEqualTo(247);
    TagSpec a = d.tag("a").orElseThrow();
    assertThat(a.table()).isEqualTo(Table.DISCRETE_INPUT);
    assertThat(a.address()).isEqualTo(65535);
    TagSpec b = d.tag("b").orElseThrow();
    assertThat(b.type()).isEqualTo(DataType.FLOAT64);
    assertThat(b.width()).isEqualTo(4);
    assertThat(b.order()).isEqualTo(RegisterOrder.DCBA);
    assertThat(b.writable()).isTrue();
    assertThat(b.min()).hasValue(-1500);
    assertThat(b.max()).hasValue(2);
    TagSpec tc = d.tag("c").orElseThrow();
    assertThat(tc.deadband()).isEqualTo(new Deadband(Deadband.Kind.PERCENT, 2.5));
    assertThat(tc.pollGroup()).isEqualTo("hourly");
  }

  /**
   * One mistake in an otherwise valid file.
   *
   * @param reason a fragment of the expected reason
   */
  record Mistake(String what, String yaml, int line, String field, String reason) {
    @Override
    public String toString() {
      return what;
    }
  }

  private static Mistake m(String what, String yaml, int line, String field, String reason) {
    return new Mistake(what, yaml, line, field, reason);
  }

  private static final String T = "devices[0].tags[0].";

  static Stream<Mistake> mistakes() {
    return Stream.of(
        // The tag's keys; the tag is at line 10.
        m(
            "unknown type",
            tags("- { name: a, table: holding, address: 0, type: float }"),
            10,
            T + "type",
            "expected one of bool, bit, int16, uint16, int32, uint32, int64, uint64, float32,"
                + " float64, string, got 'float'"),
        m(
            "unknown table",
            tags("- { name: a, table: holdings, address: 0, type: int16 }"),
            10,
            T + "table",
            "expected one of coil, discrete-input, holding, input, got 'holdings'"),
        m(
            "unknown order",
            tags(tag("order: ABDC")),
            10,
            T + "order",
            "expected one of ABCD, CDAB, BADC, DCBA, got 'ABDC'"),
        m(
            "address out of range",
            tags("- { name: a, table: holding, address: 70000, type: int16 }"),
            10,
            T + "address",
            "expected an integer 0..65535, got 70000"),
        m(
            "text where a number is expected",
            tags("- { name: a, table: holding, address: ten, type: int16 }"),
            10,
            T + "address",
            "expected an integer 0..65535, got 'ten'"),
        m(
            "list where a number is expected",
            tags("- { name: a, table: holding, address: [1, 2], type: int16 }"),
            10,
            T + "address",
            "expected an integer 0..65535, got a list"),
        m(
            "decimal comma",
            tags(tag("scale: '0,1'")),
            10,
            T + "scale",
            "expected a number like 12 or 0.5, got '0,1'"),
        m(
            "missing address",
            tags("- { name: a, table: holding, type: int16 }"),
            10,
            T + "address",
            "required field is missing; expected an integer 0..65535"),
        m(
            "missing type",
            tags("- { name: a, table: holding, address: 0 }"),
            10,
            T + "type",
            "required field is missing; expected one of bool, bit"),
        m(
            "unknown key with a hint",
            tags(tag("adress: 1")),
            10,
            T + "adress",
            "unknown key (did you mean 'address'?); allowed: name, table, address"),
        m(
            "duplicate key",
            tags("- name: a", "  table: holding", "  address: 0", "  type: int16", "  address: 1"),
            14,
            T + "address",
            "duplicate key (first at line 12)"),
        m(
            "merge key",
            tags("- { <<: { unit: V }, name: a, table: holding, address: 0, type: int16 }"),
            10,
            "devices[0].tags[0]",
            "merge keys (<<) are not supported"),
        m(
            "tag not a mapping",
            tags("- temperature"),
            10,
            "devices[0].tags[0]",
            "expected a mapping (key: value lines), got 'temperature'"),
        m(
            "bool in a register table",
            tags("- { name: a, table: holding, address: 0, type: bool }"),
            10,
            T + "type",
            "type bool is only for coil and discrete-input; for one bit of a register use type bit"),
        m(
            "number in a bit table",
            tags("- { name: a, table: coil, address: 0, type: int16 }"),
            10,
            T + "type",
            "a tag in table coil must be of type bool, got int16"),
        m(
            "writable input register",
            tags("- { name: a, table: input, address: 0, type: int16, writable: true }"),
            10,
            T + "writable",
            "a tag in table input cannot be written; only coil and holding can"),
        m(
            "writable discrete input",
            tags("- { name: a, table: discrete-input, address: 0, type: bool, writable: true }"),
            10,
            T + "writable",
            "a tag in table discrete-input cannot be written"),
        m(
            "writable not a boolean",
            tags(tag("writable: maybe")),
            10,
            T + "writable",
            "expected true or false, got 'maybe'"),
        m(
            "min above max",
            tags(tag("writable: true, min: 5, max: 1")),
            10,
            T + "min",
            "min 5.0 is greater than max 1.0"),
        m(
            "limits without writable",
            tags(tag("max: 1")),
            10,
            T + "max",
            "min/max limit writes; set 'writable: true' or remove them"),
        m(
            "bit without its index",
            tags("- { name: a, table: holding, address: 0, type: bit }"),
            10,
            T + "bit",
            "required field is missing; expected an integer 0..15"),
        m(
            "bit index too high",
            tags("- { name: a, table: holding, address: 0, type: bit, bit: 16 }"),
            10,
            T + "bit",
            "expected an integer 0..15, got 16"),
        m(
            "bit index on a number",
            tags(tag("bit: 3")),
            10,
            T + "bit",
            "only a tag of type bit takes 'bit'"),
        m(
            "length on a number",
            tags(tag("length: 2")),
            10,
            T + "length",
            "only a tag of type string takes 'length'"),
        m(
            "string without length",
            tags("- { name: a, table: holding, address: 0, type: string }"),
            10,
            T + "length",
            "required field is missing; expected an integer 1..125"),
        m(
            "tag past 65535",
            tags("- { name: a, table: holding, address: 65534, type: float64 }"),
            10,
            T + "address",
            "the tag runs past address 65535 (4 registers from 65534)"),
        m("scale 0", tags(tag("scale: 0")), 10, T + "scale", "expected a number other than 0"),
        m(
            "scale on a bool",
            tags("- { name: a, table: coil, address: 0, type: bool, scale: 2 }"),
            10,
            T + "scale",
            "'scale' applies to numeric types only, not to bool"),
        m(
            "spike limit on a string",
            tags("- { name: a, table: holding, address: 0, type: string, length: 4, spike: 5 }"),
            10,
            T + "spike",
            "'spike' applies to numeric types only, not to string"),
        m(
            "negative spike limit",
            tags(tag("spike: -1")),
            10,
            T + "spike",
            "expected a number greater than 0, got -1.0"),
        m(
            "deadband not a number",
            tags(tag("deadband: lots")),
            10,
            T + "deadband",
            "expected an absolute amount like 0.5 or a percentage like '2%', at least 0, got 'lots'"),
        m(
            "negative deadband",
            tags(tag("deadband: '-2%'")),
            10,
            T + "deadband",
            "at least 0, got '-2%'"),
        m(
            "duration in words",
            tags(tag("heartbeat: 1 minute")),
            10,
            T + "heartbeat",
            "expected a duration like 250ms, 1s, 5m or 1h, got '1 minute'"),
        m(
            "duration without unit",
            tags(tag("heartbeat: 60")),
            10,
            T + "heartbeat",
            "expected a duration like 250ms, 1s, 5m or 1h, got '60'"),
        m(
            "duration beyond any clock",
            tags(tag("heartbeat: 99999999999999999999h")),
            10,
            T + "heartbeat",
            "expected a duration like 250ms, 1s, 5m or 1h, got '99999999999999999999h'"),
        m(
            "zero heartbeat",
            tags(tag("heartbeat: 0s")),
            10,
            T + "heartbeat",
            "expected a duration longer than 0"),
        m(
            "unknown poll group",
            tags(tag("pollGroup: slow")),
            10,
            T + "pollGroup",
            "unknown poll group 'slow'; declared: fast"),
        m(
            "duplicate tag name",
            tags(
                "- { name: x, table: coil, address: 0, type: bool }",
                "- { name: x, table: coil, address: 1, type: bool }"),
            11,
            "devices[0].tags[1].name",
            "duplicate tag name 'x' in this device"),

        // The device's keys; the device is at line 7.
        m(
            "string wider than one request",
            devices(
                "- id: plc",
                "  tcp: { host: h }",
                "  maxRegisters: 10",
                "  tags:",
                "    - { name: a, table: holding, address: 0, type: string, length: 20 }"),
            11,
            T + "length",
            "spans 20 registers, more than the device's maxRegisters 10 (one read request)"),
        m(
            "number wider than one request",
            devices(
                "- id: plc",
                "  tcp: { host: h }",
                "  maxRegisters: 2",
                "  tags:",
                "    - { name: a, table: holding, address: 0, type: uint64 }"),
            11,
            T + "type",
            "spans 4 registers, more than the device's maxRegisters 2"),
        m(
            "duplicate device id",
            devices(tcpDevice("a", ""), tcpDevice("a", "")),
            8,
            "devices[1].id",
            "duplicate device id 'a' (first at devices[0])"),
        m(
            "device id not a topic level",
            devices(tcpDevice("'a/b'", "")),
            7,
            "devices[0].id",
            "expected 1 to 64 of A-Z a-z 0-9 _ . - (the id becomes an MQTT topic level), got 'a/b'"),
        m(
            "device id too long",
            devices(tcpDevice("x".repeat(65), "")),
            7,
            "devices[0].id",
            "expected 1 to 64 of"),
        m(
            "missing device id",
            devices("- { tcp: { host: h }, tags: [] }"),
            7,
            "devices[0].id",
            "required field is missing; expected a text"),
        m(
            "both tcp and rtu",
            devices(
                "- id: a", "  tcp: { host: h, port: 502 }", "  rtu: { bus: line1 }", "  tags: []"),
            9,
            "devices[0].rtu",
            "a device has exactly one of 'tcp: {host, port}' or 'rtu: {bus}', not both"),
        m(
            "neither tcp nor rtu",
            devices("- id: a", "  tags: []"),
            7,
            "devices[0].tcp",
            "a device needs one of 'tcp: {host, port}' or 'rtu: {bus}'"),
        m(
            "tcp host missing",
            devices("- id: a", "  tcp: { port: 502 }", "  tags: []"),
            8,
            "devices[0].tcp.host",
            "required field is missing"),
        m(
            "tcp port out of range",
            devices("- id: a", "  tcp: { host: h, port: 0 }", "  tags: []"),
            8,
            "devices[0].tcp.port",
            "expected an integer 1..65535, got 0"),
        m(
            "unknown rtu bus",
            devices(rtuDevice("a", "").replace("line1", "line9")),
            7,
            "devices[0].rtu.bus",
            "unknown RTU bus 'line9'; declared: line1"),
        m(
            "unit id used twice on a bus",
            devices(rtuDevice("a", "unitId: 4"), rtuDevice("b", "unitId: 4")),
            8,
            "devices[1].unitId",
            "unit id 4 is already used on bus 'line1' by device 'a'"),
        m(
            "broadcast unit id on rtu",
            devices(rtuDevice("a", "unitId: 0")),
            7,
            "devices[0].unitId",
            "unit id 0 is the RTU broadcast address and never answers; expected 1..247"),
        m(
            "unit id out of range",
            devices(tcpDevice("a", "unitId: 300")),
            7,
            "devices[0].unitId",
            "expected an integer 0..247, got 300"),
        m(
            "zero timeout",
            devices("- id: a", "  tcp: { host: h }", "  timeout: 0ms", "  tags: []"),
            9,
            "devices[0].timeout",
            "expected a duration longer than 0"),
        m(
            "maxRegisters beyond the protocol",
            devices(tcpDevice("a", "maxRegisters: 200")),
            7,
            "devices[0].maxRegisters",
            "expected an integer 1..125, got 200"),
        m(
            "tags missing",
            devices("- id: a", "  tcp: { host: h }"),
            7,
            "devices[0].tags",
            "required field is missing; expected a list of tags"),
        m(
            "tags as a mapping",
            devices("- id: a", "  tcp: { host: h }", "  tags:", "    a: 1"),
            10,
            "devices[0].tags",
            "expected a list (lines starting with '- '), got a mapping"),
        m(
            "device not a mapping",
            devices("- plc"),
            7,
            "devices[0]",
            "expected a mapping (key: value lines), got 'plc'"),

        // RTU buses; the list starts at line 3.
        m(
            "unknown parity",
            "version: 1\npollGroups: { fast: 1s }\nrtuBuses:\n"
                + "  - id: line1\n    port: /dev/ttyS1\n    parity: mark\ndevices: []\n",
            6,
            "rtuBuses[0].parity",
            "expected one of none, even, odd, got 'mark'"),
        m(
            "bus port missing",
            "version: 1\npollGroups: { fast: 1s }\nrtuBuses:\n  - id: line1\ndevices: []\n",
            4,
            "rtuBuses[0].port",
            "required field is missing; expected a text"),
        m(
            "data bits out of range",
            "version: 1\npollGroups: { fast: 1s }\nrtuBuses:\n"
                + "  - { id: line1, port: /dev/ttyS1, dataBits: 9 }\ndevices: []\n",
            4,
            "rtuBuses[0].dataBits",
            "expected an integer 7..8, got 9"),
        m(
            "duplicate bus id",
            "version: 1\npollGroups: { fast: 1s }\nrtuBuses:\n"
                + "  - { id: line1, port: /dev/ttyS1 }\n  - { id: line1, port: /dev/ttyS2 }\n"
                + "devices: []\n",
            5,
            "rtuBuses[1].id",
            "duplicate bus id 'line1'"),
        m(
            "two buses on one port",
            "version: 1\npollGroups: { fast: 1s }\nrtuBuses:\n"
                + "  - { id: line1, port: /dev/ttyS1 }\n  - { id: line2, port: /dev/ttyS1 }\n"
                + "devices: []\n",
            5,
            "rtuBuses[1].port",
            "port /dev/ttyS1 is already used by bus 'line1'"),

        // The root.
        m(
            "wrong version",
            "version: 2\npollGroups: { fast: 1s }\ndevices: []\n",
            1,
            "version",
            "expected 1 (the only schema version), got '2'"),
        m(
            "missing version",
            "pollGroups: { fast: 1s }\ndevices: []\n",
            1,
            "version",
            "required field is missing; expected 1"),
        m(
            "missing poll groups",
            "version: 1\ndevices: []\n",
            1,
            "pollGroups",
            "required field is missing; expected a mapping of name to interval"),
        m(
            "no poll group",
            "version: 1\npollGroups: {}\ndevices: []\n",
            2,
            "pollGroups",
            "declare at least one poll group"),
        m(
            "poll interval too short",
            "version: 1\npollGroups:\n  fast: 5ms\ndevices: []\n",
            3,
            "pollGroups.fast",
            "expected an interval of at least 10ms, got '5ms'"),
        m(
            "poll groups as a list",
            "version: 1\npollGroups:\n  - fast: 1s\ndevices: []\n",
            3,
            "pollGroups",
            "expected a mapping (key: value lines), got a list"),
        m(
            "unknown root key with a hint",
            "version: 1\npollGroups: { fast: 1s }\nrtuBus: []\ndevices: []\n",
            3,
            "rtuBus",
            "unknown key (did you mean 'rtuBuses'?)"),
        m(
            "duplicate root key",
            "version: 1\npollGroups: { fast: 1s }\npollGroups: { slow: 1s }\ndevices: []\n",
            3,
            "pollGroups",
            "duplicate key (first at line 2)"),
        m(
            "devices missing",
            "version: 1\npollGroups: { fast: 1s }\n",
            1,
            "devices",
            "required field is missing; expected a list of devices"),
        m(
            "devices not a list",
            "version: 1\npollGroups: { fast: 1s }\ndevices: plc\n",
            3,
            "devices",
            "expected a list (lines starting with '- '), got 'plc'"),
        m("root is a list", "- version: 1\n- devices: []\n", 1, "", "expected a mapping"),
        m(
            "alias",
            "version: 1\npollGroups: { fast: &f 1s, slow: *f }\ndevices: []\n",
            2,
            "",
            "aliases (*name) are not supported in this file; write the values out"),
        m(
            "second document",
            "version: 1\npollGroups: { fast: 1s }\ndevices: []\n---\nversion: 1\n",
            4,
            "",
            "a second YAML document starts here"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mistakes")
  void eachMistakeIsReportedOnceWithItsLineFieldAndReason(Mistake m) {
    ConfigException e = problem(m.yaml());

    assertThat(e).as("%s was accepted", m.what()).isNotNull();
    assertThat(e.problems()).as(e.getMessage()).hasSize(1);
    assertThat(e.file()).isEqualTo("devices.yaml");
    assertThat(e.line()).as(e.getMessage()).isEqualTo(m.line());
    assertThat(e.field()).as(e.getMessage()).isEqualTo(m.field());
    assertThat(e.problems().getFirst().reason()).contains(m.reason());
    assertThat(e.getMessage())
        .startsWith(
            "devices.yaml:" + m.line() + ": " + (m.field().isEmpty() ? "" : m.field() + ": "))
        .doesNotContain("Exception");
  }

  @Test
  void theMessageHasTheDocumentedForm() {
    ConfigException e = problem(tags("- { name: a, table: holding, address: 0, type: float }"));

    assertThat(e.getMessage())
        .isEqualTo(
            "devices.yaml:10: devices[0].tags[0].type: expected one of bool, bit, int16, uint16,"
                + " int32, uint32, int64, uint64, float32, float64, string, got 'float'");
  }

  @Test
  void threeMistakesAreAllReportedInFileOrder() {
    ConfigException e =
        problem(
            """
            version: 1
            pollGroups:
              fast: 1x
            devices:
              - id: plc
                tcp: { host: h, port: 502 }
                tags:
                  - { name: a, table: holding, address: 0, type: float }
                  - { name: b, table: input, address: 1, type: int16, writable: true }
            """);

    assertThat(e.problems())
        .extracting(ConfigException.Problem::line, ConfigException.Problem::field)
        .containsExactly(
            tuple(3, "pollGroups.fast"),
            tuple(8, "devices[0].tags[0].type"),
            tuple(9, "devices[0].tags[1].writable"));
    assertThat(e.getMessage().lines())
        .containsExactly(
            "devices.yaml:3: pollGroups.fast: expected a duration like 250ms, 1s, 5m or 1h, got"
                + " '1x'",
            "devices.yaml:8: devices[0].tags[0].type: expected one of bool, bit, int16, uint16,"
                + " int32, uint32, int64, uint64, float32, float64, string, got 'float'",
            "devices.yaml:9: devices[0].tags[1].writable: a tag in table input cannot be written;"
                + " only coil and holding can (remove 'writable')");
    assertThat(e.line()).isEqualTo(3);
  }

  @Test
  void aBrokenDeclarationIsReportedOnlyWhereItIsDeclared() {
    ConfigException group =
        problem(
            """
            version: 1
            pollGroups: { fast: 1s, slow: 5 }
            devices:
              - { id: d, tcp: { host: h }, tags: [ { name: a, table: coil, address: 0, type: bool, pollGroup: slow } ] }
            """);
    assertThat(group.getMessage())
        .isEqualTo(
            "devices.yaml:2: pollGroups.slow: expected a duration like 250ms, 1s, 5m or 1h, got '5'");

    ConfigException bus =
        problem(
            """
            version: 1
            pollGroups: { fast: 1s }
            rtuBuses: [ { id: line1, port: /dev/ttyS1, baud: 7 } ]
            devices:
              - { id: d, rtu: { bus: line1 }, unitId: 2, tags: [] }
            """);
    assertThat(bus.getMessage())
        .isEqualTo("devices.yaml:3: rtuBuses[0].baud: expected an integer 300..921600, got 7");

    ConfigException noGroups =
        problem(
            """
            version: 1
            devices:
              - { id: d, tcp: { host: h }, tags: [ { name: a, table: coil, address: 0, type: bool, pollGroup: fast } ] }
            """);
    assertThat(noGroups.problems())
        .extracting(ConfigException.Problem::field)
        .containsExactly("pollGroups");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "\n\n", "# nothing configured yet\n", "---\n", "~\n"})
  void anEmptyFileSaysSo(String yaml) {
    assertThat(problem(yaml).getMessage())
        .isEqualTo("devices.yaml:1: the file is empty; expected version, pollGroups and devices");
  }

  @Test
  void aYamlSyntaxErrorCarriesSnakeYamlsLine() {
    assertThat(problem("version: 1\npollGroups:\n  fast: [1s\ndevices: []\n").getMessage())
        .startsWith("devices.yaml:4: not valid YAML: ");
    assertThat(problem("version: 1\npollGroups: { fast: '1s }\ndevices: []\n").getMessage())
        .isEqualTo(
            "devices.yaml:4: not valid YAML: found unexpected end of stream"
                + " (while scanning a quoted scalar at line 2)");
    assertThat(problem("version: 1\n\tpollGroups: { fast: 1s }\n").getMessage())
        .startsWith("devices.yaml:2: not valid YAML: found character '\\t(TAB)'");
  }

  @Test
  void loadNamesTheFileByItsName(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("devices.yaml");
    Files.writeString(file, tags("- { name: a, table: holding, address: 0, type: uint16 }"));
    assertThat(DevicesConfigLoader.load(file).devices().getFirst().tags()).hasSize(1);

    Files.writeString(file, tags("- { name: a, table: holding, address: 0, type: float }"));
    ConfigException e =
        catchThrowableOfType(ConfigException.class, () -> DevicesConfigLoader.load(file));
    assertThat(e.getMessage()).startsWith("devices.yaml:10: devices[0].tags[0].type: ");
  }

  @Test
  void aFileThatCannotBeReadSaysWhy(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("devices.yaml");
    assertThat(catchThrowableOfType(ConfigException.class, () -> DevicesConfigLoader.load(missing)))
        .hasMessage(missing + ":0: file not found; mount it there or set bridge.devices-file");

    assertThat(catchThrowableOfType(ConfigException.class, () -> DevicesConfigLoader.load(dir)))
        .hasMessage(dir + ":0: is a directory; expected the path of the devices.yaml file itself");

    Path latin1 = dir.resolve("latin1.yaml");
    Files.write(latin1, "version: 1\nunit: \u00b0C\n".getBytes(StandardCharsets.ISO_8859_1));
    assertThat(catchThrowableOfType(ConfigException.class, () -> DevicesConfigLoader.load(latin1)))
        .hasMessage("latin1.yaml:0: not UTF-8 text; save the file as UTF-8");
  }
}
