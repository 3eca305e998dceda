package io.edgegw.bridge.modbus;

import com.ghgande.j2mod.modbus.Modbus;
import com.ghgande.j2mod.modbus.facade.AbstractModbusMaster;
import com.ghgande.j2mod.modbus.facade.ModbusSerialMaster;
import com.ghgande.j2mod.modbus.facade.ModbusTCPMaster;
import com.ghgande.j2mod.modbus.util.SerialParameters;
import io.edgegw.bridge.DeviceSpec;
import io.edgegw.bridge.DevicesConfig;
import io.edgegw.bridge.Endpoint;
import io.edgegw.bridge.RtuBusSpec;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Opens {@link ModbusChannel}s. A TCP device gets its own connection and lock, so devices are
 * independent; the units of one RTU line share one serial master and one lock, so requests on the
 * line are serialised, each followed by the line's inter-frame silence and turnaround delay.
 */
public final class ModbusConnector implements AutoCloseable {

  /** One serial line: its master is shared by every unit on it. */
  private static final class RtuLine {
    final ReentrantLock lock = new ReentrantLock(true);
    final RtuBusSpec spec;
    ModbusSerialMaster master;

    RtuLine(RtuBusSpec spec) {
      this.spec = spec;
    }
  }

  private final Map<String, RtuLine> lines = new HashMap<>();

  /** A connector for the buses of this configuration. */
  public ModbusConnector(DevicesConfig config) {
    config.rtuBuses().values().forEach(b -> lines.put(b.id(), new RtuLine(b)));
  }

  /** The channel to this device. Nothing is connected until the first request. */
  public ModbusChannel open(DeviceSpec device) {
    int timeoutMs = (int) Math.max(1, device.timeout().toMillis());
    return switch (device.endpoint()) {
      case Endpoint.Tcp tcp ->
          new J2modChannel(
              device.id(),
              device.unitId(),
              () -> {
                ModbusTCPMaster m = new ModbusTCPMaster(tcp.host(), tcp.port(), timeoutMs, false);
                return m;
              },
              new ReentrantLock(),
              () -> {},
              true);
      case Endpoint.Rtu rtu -> {
        RtuLine line = lines.get(rtu.busId());
        if (line == null) {
          throw new IllegalArgumentException(
              "device " + device.id() + " names unknown RTU bus " + rtu.busId());
        }
        Duration pause = line.spec.effectiveInterFrameDelay().plus(line.spec.turnaround());
        yield new J2modChannel(
            device.id(),
            device.unitId(),
            () -> sharedMaster(line, timeoutMs),
            line.lock,
            () -> LockSupport.parkNanos(pause.toNanos()),
            false);
      }
    };
  }

  private static AbstractModbusMaster sharedMaster(RtuLine line, int timeoutMs) {
    if (line.master == null || !line.master.isConnected()) {
      SerialParameters p = new SerialParameters();
      p.setPortName(line.spec.port());
      p.setBaudRate(line.spec.baud());
      p.setDatabits(line.spec.dataBits());
      p.setStopbits(line.spec.stopBits());
      p.setParity(
          switch (line.spec.parity()) {
            case NONE -> "None";
            case EVEN -> "Even";
            case ODD -> "Odd";
          });
      p.setEncoding(Modbus.SERIAL_ENCODING_RTU);
      p.setEcho(false);
      ModbusSerialMaster m = new ModbusSerialMaster(p, timeoutMs);
      m.setRetries(1);
      line.master = m;
    }
    line.master.setTimeout(timeoutMs);
    return line.master;
  }

  @Override
  public void close() {
    lines
        .values()
        .forEach(l -> {
          if (l.master != null) {
            l.master.disconnect();
          }
        });
  }
}
