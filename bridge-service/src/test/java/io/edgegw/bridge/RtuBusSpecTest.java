package io.edgegw.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RtuBusSpecTest {

  private static RtuBusSpec line(int baud, Duration interFrame) {
    return new RtuBusSpec(
        "l", "/dev/ttyS0", baud, RtuBusSpec.Parity.NONE, 8, 1, interFrame, Duration.ZERO);
  }

  @Test
  void interFrameSilenceIsThreeAndAHalfCharacters() {
    // 11 bits per character: at 9600 baud one character is 1.1458 ms, 3.5 of them 4.0104 ms.
    assertThat(line(9600, null).effectiveInterFrameDelay().toNanos()).isEqualTo(4_010_417L);
    assertThat(line(19200, null).effectiveInterFrameDelay().toNanos()).isEqualTo(2_005_208L);
    // Above 19200 baud the Modbus spec fixes it at 1.75 ms.
    assertThat(line(115200, null).effectiveInterFrameDelay())
        .isEqualTo(Duration.ofNanos(1_750_000));
    assertThat(line(9600, Duration.ofMillis(10)).effectiveInterFrameDelay())
        .isEqualTo(Duration.ofMillis(10));
  }

  @Test
  void rejectsImpossibleLines() {
    assertThatThrownBy(() -> line(100, null)).hasMessageContaining("baud must be 300..921600");
    assertThatThrownBy(
            () -> new RtuBusSpec("l", "p", 9600, RtuBusSpec.Parity.NONE, 9, 1, null, Duration.ZERO))
        .hasMessageContaining("dataBits must be 7 or 8");
  }
}
