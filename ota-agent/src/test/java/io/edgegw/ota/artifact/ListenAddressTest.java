package io.edgegw.ota.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ListenAddressTest {
  private static final String KEY = "ota.artifacts.listen";

  @Test
  void readsIpv4AndIpv6Literals() {
    assertThat(ListenAddress.parse(KEY, "192.168.10.1:8090").toString())
        .isEqualTo("192.168.10.1:8090");
    ListenAddress v6 = ListenAddress.parse(KEY, " [fd00::1]:80 ");
    assertThat(v6.port()).isEqualTo(80);
    assertThat(v6.toString()).isEqualTo("[fd00:0:0:0:0:0:0:1]:80");
  }

  @Test
  void refusesWildcardsNamingTheKey() {
    for (String wildcard : new String[] {"0.0.0.0:8090", "[::]:8090", "[0:0:0:0:0:0:0:0]:1"}) {
      assertThatThrownBy(() -> ListenAddress.parse(KEY, wildcard))
          .as(wildcard)
          .hasMessageContaining("wildcard")
          .hasMessageContaining("OT interface");
    }
  }

  @Test
  void refusesHostNamesMissingPortsAndBadPorts() {
    for (String bad :
        new String[] {
          "plc-gw.local:8090",
          "192.168.1.1",
          ":8090",
          "",
          "10.0.0.1:0",
          "10.0.0.1:70000",
          "999.1.1.1:80",
          "fd00::1:80"
        }) {
      assertThatThrownBy(() -> ListenAddress.parse(KEY, bad))
          .as(bad)
          .hasMessageContaining(KEY)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
