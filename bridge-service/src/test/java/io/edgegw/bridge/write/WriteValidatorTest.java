package io.edgegw.bridge.write;

import static io.edgegw.bridge.Specs.device;
import static io.edgegw.bridge.Specs.tag;
import static io.edgegw.bridge.Specs.writable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.bridge.DataType;
import io.edgegw.bridge.DevicesConfig;
import io.edgegw.bridge.PollGroup;
import io.edgegw.bridge.Table;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WriteValidatorTest {

  private final WriteValidator validator =
      new WriteValidator(
          new DevicesConfig(
              Map.of("fast", new PollGroup("fast", Duration.ofSeconds(1))),
              Map.of(),
              List.of(
                  device(
                      "plc",
                      writable("sp", Table.HOLDING, 0, DataType.FLOAT32, 0.0, 100.0),
                      writable("count", Table.HOLDING, 10, DataType.UINT16, null, null),
                      writable("run", Table.COIL, 0, DataType.BOOL, null, null),
                      tag("temp", Table.INPUT, 0, DataType.FLOAT32)))));

  private static Map<String, Object> args(String device, String tag, Object value) {
    Map<String, Object> m = new HashMap<>();
    m.put("device", device);
    m.put("tag", tag);
    m.put("value", value);
    return m;
  }

  @Test
  void acceptsAValidWriteOfEachKind() throws Exception {
    assertThat(validator.validate(args("plc", "sp", 42.5)).value()).isEqualTo(42.5);
    assertThat(validator.validate(args("plc", "count", 65535)).tag().name()).isEqualTo("count");
    assertThat(validator.validate(args("plc", "run", true)).value()).isEqualTo(true);
    assertThat(validator.validate(args("plc", "sp", 0)).value()).isEqualTo(0);
    assertThat(validator.validate(args("plc", "sp", 100)).value()).isEqualTo(100);
  }

  @Test
  void rejectsEachMistakeWithItsReason() {
    assertThatThrownBy(() -> validator.validate(args("nope", "sp", 1)))
        .hasMessage("unknown device 'nope'");
    assertThatThrownBy(() -> validator.validate(args("plc", "nope", 1)))
        .hasMessage("device 'plc' has no tag 'nope'");
    assertThatThrownBy(() -> validator.validate(args("plc", "temp", 1)))
        .hasMessage("tag 'temp' of device 'plc' is not writable");
    assertThatThrownBy(() -> validator.validate(args("plc", "sp", 100.5)))
        .hasMessageContaining("above the maximum 100.0");
    assertThatThrownBy(() -> validator.validate(args("plc", "sp", -0.1)))
        .hasMessageContaining("below the minimum 0.0");
    assertThatThrownBy(() -> validator.validate(args("plc", "sp", "hot")))
        .hasMessageContaining("value must be a number, got \"hot\"");
    assertThatThrownBy(() -> validator.validate(args("plc", "run", 1)))
        .hasMessageContaining("value must be true or false");
    assertThatThrownBy(() -> validator.validate(args("plc", "count", 65536)))
        .hasMessageContaining("cannot be written to 'count'");
    assertThatThrownBy(() -> validator.validate(args("plc", "count", -1)))
        .hasMessageContaining("cannot be written to 'count'");
    assertThatThrownBy(() -> validator.validate(args("plc", "sp", null)))
        .hasMessage("argument 'value' is required");
    assertThatThrownBy(() -> validator.validate(Map.of("tag", "sp", "value", 1)))
        .hasMessage("argument 'device' is required (a string)");
  }
}
