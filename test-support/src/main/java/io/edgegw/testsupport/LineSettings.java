package io.edgegw.testsupport;

import com.ghgande.j2mod.modbus.Modbus;
import com.ghgande.j2mod.modbus.net.AbstractSerialConnection;
import com.ghgande.j2mod.modbus.util.SerialParameters;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Character framing of a serial line: baud rate, data bits, parity and stop bits.
 *
 * <p><b>On a pty, use {@link Parity#NONE}.</b> The Linux pty driver drops PARENB from the termios
 * settings, and Debian's glibc {@code tcsetattr} then reports EINVAL because the setting did not
 * stick. jSerialComm 2.11.2 gets past that on the first open of a fresh pty, but every later open
 * with the same settings fails ({@code openPort()} false, error 22 at native line 769), so a master
 * that reconnects never gets the port back. Parity means nothing on a pty anyway: bytes pass
 * through unchanged. Baud rates must also be standard termios rates (9600, 19200, 38400, 57600,
 * 115200, 230400, ...): for any other rate jSerialComm issues a termios2 ioctl that the kernel
 * rejects with ENOTTY.
 *
 * @param baudRate bits per second, positive
 * @param dataBits 7 or 8
 * @param parity parity bit
 * @param stopBits 1 or 2
 */
public record LineSettings(int baudRate, int dataBits, Parity parity, int stopBits) {

  /** The parity bit of each character. */
  public enum Parity {
    /** No parity bit: the only choice that works on a pty, see {@link LineSettings}. */
    NONE,
    /** Even parity. */
    EVEN,
    /** Odd parity. */
    ODD
  }

  /** Checks the ranges. */
  public LineSettings {
    if (baudRate <= 0) {
      throw new IllegalArgumentException("baud rate must be positive, got " + baudRate);
    }
    if (dataBits != 7 && dataBits != 8) {
      throw new IllegalArgumentException("data bits must be 7 or 8, got " + dataBits);
    }
    Objects.requireNonNull(parity, "parity");
    if (stopBits != 1 && stopBits != 2) {
      throw new IllegalArgumentException("stop bits must be 1 or 2, got " + stopBits);
    }
  }

  /** 8 data bits, no parity, 1 stop bit at the given baud rate. */
  public static LineSettings of8N1(int baudRate) {
    return new LineSettings(baudRate, 8, Parity.NONE, 1);
  }

  /** j2mod serial parameters for Modbus RTU on {@code port} with these settings. */
  public SerialParameters toSerialParameters(Path port) {
    SerialParameters parameters = new SerialParameters();
    parameters.setPortName(port.toString());
    parameters.setBaudRate(baudRate);
    parameters.setDatabits(dataBits);
    parameters.setParity(
        switch (parity) {
          case NONE -> AbstractSerialConnection.NO_PARITY;
          case EVEN -> AbstractSerialConnection.EVEN_PARITY;
          case ODD -> AbstractSerialConnection.ODD_PARITY;
        });
    parameters.setStopbits(
        stopBits == 2
            ? AbstractSerialConnection.TWO_STOP_BITS
            : AbstractSerialConnection.ONE_STOP_BIT);
    parameters.setEncoding(Modbus.SERIAL_ENCODING_RTU);
    parameters.setEcho(false);
    return parameters;
  }
}
