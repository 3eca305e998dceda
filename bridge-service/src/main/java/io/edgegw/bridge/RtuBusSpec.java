package io.edgegw.bridge;

import java.time.Duration;

/**
 * A serial line shared by several RTU unit ids. Requests on it are serialised.
 *
 * @param id referenced by devices
 * @param port serial device path, e.g. {@code /dev/ttyUSB0}
 * @param baud baud rate
 * @param parity NONE, EVEN or ODD
 * @param dataBits 7 or 8
 * @param stopBits 1 or 2
 * @param interFrameDelay silence enforced between frames; null means the Modbus 3.5-character time
 *     for the baud rate (1.75 ms above 19200 baud)
 * @param turnaround extra pause after a broadcast or between two requests on the line
 */
public record RtuBusSpec(
    String id,
    String port,
    int baud,
    Parity parity,
    int dataBits,
    int stopBits,
    Duration interFrameDelay,
    Duration turnaround) {

  /** Serial parity. */
  public enum Parity {
    NONE,
    EVEN,
    ODD
  }

  public RtuBusSpec {
    if (baud < 300 || baud > 921_600) {
      throw new IllegalArgumentException("baud must be 300..921600, got " + baud);
    }
    if (dataBits != 7 && dataBits != 8) {
      throw new IllegalArgumentException("dataBits must be 7 or 8, got " + dataBits);
    }
    if (stopBits != 1 && stopBits != 2) {
      throw new IllegalArgumentException("stopBits must be 1 or 2, got " + stopBits);
    }
  }

  /** The silence between frames: the configured value, or 3.5 character times. */
  public Duration effectiveInterFrameDelay() {
    if (interFrameDelay != null) {
      return interFrameDelay;
    }
    if (baud > 19_200) {
      return Duration.ofNanos(1_750_000);
    }
    // One character is 11 bits on the wire (start, 8 data, parity or stop, stop).
    long nanos = Math.round(3.5 * 11 * 1_000_000_000.0 / baud);
    return Duration.ofNanos(nanos);
  }
}
