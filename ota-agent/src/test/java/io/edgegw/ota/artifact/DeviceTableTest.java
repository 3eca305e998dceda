package io.edgegw.ota.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeviceTableTest {
  private final DeviceTable table =
      new DeviceTable(
          Map.of(
              "plc-1",
              "10.0.0.21",
              "plc-2",
              "10.0.0.22",
              "hmi",
              "any",
              "twin-a",
              "10.0.0.30",
              "twin-b",
              "10.0.0.30"),
          "ota.artifacts.devices");

  private static InetAddress ip(String a) throws Exception {
    return InetAddress.getByName(a);
  }

  @Test
  void aNamedDeviceMustComeFromItsAddress() throws Exception {
    assertThat(table.identify("plc-1", ip("10.0.0.21"))).isEqualTo(new DeviceTable.Known("plc-1"));
    assertThat(table.identify("plc-1", ip("10.0.0.22")))
        .isInstanceOfSatisfying(
            DeviceTable.Refused.class,
            r -> assertThat(r.reason()).contains("plc-1").contains("10.0.0.21 only"));
    assertThat(table.identify("hmi", ip("10.9.9.9"))).isEqualTo(new DeviceTable.Known("hmi"));
    assertThat(table.identify("nosuch", ip("10.0.0.21")))
        .isInstanceOfSatisfying(
            DeviceTable.Refused.class,
            r -> assertThat(r.reason()).contains("unknown device 'nosuch'"));
  }

  @Test
  void withoutANameTheAddressMustBelongToOneDevice() throws Exception {
    assertThat(table.identify(null, ip("10.0.0.22"))).isEqualTo(new DeviceTable.Known("plc-2"));
    assertThat(table.identify(null, ip("10.0.0.99")))
        .isInstanceOfSatisfying(
            DeviceTable.Refused.class,
            r -> assertThat(r.reason()).contains("no device is configured for address 10.0.0.99"));
    assertThat(table.identify(null, ip("10.0.0.30")))
        .isInstanceOfSatisfying(
            DeviceTable.Refused.class,
            r -> assertThat(r.reason()).contains("twin-a").contains("twin-b").contains("?device="));
    assertThat(table.ids()).containsExactly("hmi", "plc-1", "plc-2", "twin-a", "twin-b");
  }

  @Test
  void badEntriesNameTheKey() {
    assertThatThrownBy(
            () -> new DeviceTable(Map.of("plc-1", "plc.example"), "ota.artifacts.devices"))
        .hasMessageContaining("ota.artifacts.devices.plc-1='plc.example'");
    assertThatThrownBy(() -> new DeviceTable(Map.of("a/b", "any"), "ota.artifacts.devices"))
        .hasMessageContaining("not a device id");
  }
}
