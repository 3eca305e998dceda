package io.edgegw.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import com.fazecast.jSerialComm.SerialPort;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SerialLinePairIT {

  @Test
  void linksBothSidesToDistinctPtysAndRemovesThemOnClose() throws Exception {
    SerialLinePair line = SerialLinePair.open();
    Path gateway = line.gatewaySide();
    Path device = line.deviceSide();

    assertThat(Files.isSymbolicLink(gateway)).isTrue();
    assertThat(gateway.toRealPath().toString()).startsWith("/dev/pts/");
    assertThat(device.toRealPath().toString()).startsWith("/dev/pts/");
    assertThat(device.toRealPath()).isNotEqualTo(gateway.toRealPath());

    line.close();

    assertThat(gateway).doesNotExist();
    assertThat(gateway.getParent()).doesNotExist();
  }

  @Test
  void bytesWrittenOnOneSideAreReadOnTheOther() {
    try (SerialLinePair line = SerialLinePair.open()) {
      SerialPort gateway = opened(line.gatewaySide());
      SerialPort device = opened(line.deviceSide());
      try {
        byte[] sent = "\u0001\u0003\u0000\u0000\u0000\u0001".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(gateway.writeBytes(sent, sent.length)).isEqualTo(sent.length);

        byte[] received = new byte[sent.length];
        assertThat(device.readBytes(received, received.length)).isEqualTo(sent.length);
        assertThat(received).isEqualTo(sent);
      } finally {
        gateway.closePort();
        device.closePort();
      }
    }
  }

  @Test
  void jSerialCommResolvesTheLinkAndReopensAnEightNOneSide() {
    // The facts LineSettings relies on: jSerialComm follows the link to /dev/pts/N, and a pty
    // opened without parity can be opened again after it was closed (with parity it cannot).
    try (SerialLinePair line = SerialLinePair.open()) {
      SerialPort port = SerialPort.getCommPort(line.gatewaySide().toString());
      port.setComPortParameters(19200, 8, SerialPort.ONE_STOP_BIT, SerialPort.NO_PARITY);

      assertThat(port.getSystemPortPath()).startsWith("/dev/pts/");
      for (int attempt = 1; attempt <= 3; attempt++) {
        assertThat(port.openPort())
            .as(
                "open #%d, error %d at line %d",
                attempt, port.getLastErrorCode(), port.getLastErrorLocation())
            .isTrue();
        assertThat(port.closePort()).isTrue();
      }
    }
  }

  private static SerialPort opened(Path side) {
    SerialPort port = SerialPort.getCommPort(side.toString());
    port.setComPortParameters(19200, 8, SerialPort.ONE_STOP_BIT, SerialPort.NO_PARITY);
    port.setComPortTimeouts(SerialPort.TIMEOUT_READ_BLOCKING, 2_000, 0);
    assertThat(port.openPort()).as("open %s", side).isTrue();
    return port;
  }
}
