package io.edgegw.testsupport;

import com.ghgande.j2mod.modbus.Modbus;
import com.ghgande.j2mod.modbus.ModbusException;
import com.ghgande.j2mod.modbus.slave.ModbusSlave;
import com.ghgande.j2mod.modbus.slave.ModbusSlaveFactory;
import com.ghgande.j2mod.modbus.util.SerialParameters;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Simulated RTU units on one serial line (normally the device side of a {@link SerialLinePair}):
 * one j2mod serial slave serving several unit ids, each with its own registers. 8N1.
 */
public final class ModbusRtuSimulator implements AutoCloseable {
  private final ModbusSlave slave;
  private final Map<Integer, RegisterImage> units = new LinkedHashMap<>();

  private ModbusRtuSimulator(String port, int baud, int... unitIds) {
    SerialParameters p = new SerialParameters();
    p.setPortName(port);
    p.setBaudRate(baud);
    p.setDatabits(8);
    p.setParity("None");
    p.setStopbits(1);
    p.setEncoding(Modbus.SERIAL_ENCODING_RTU);
    p.setEcho(false);
    try {
      slave = ModbusSlaveFactory.createSerialSlave(p);
      for (int unit : unitIds) {
        RegisterImage image = new RegisterImage(unit, 1_000);
        units.put(unit, image);
        slave.addProcessImage(unit, image.processImage());
      }
      slave.open();
    } catch (ModbusException e) {
      throw new IllegalStateException("cannot open the RTU simulator on " + port + ": " + e, e);
    }
  }

  /** Serves the unit ids on the serial port at the baud rate. */
  public static ModbusRtuSimulator start(String port, int baud, int... unitIds) {
    return new ModbusRtuSimulator(port, baud, unitIds);
  }

  /** The registers of one unit. */
  public RegisterImage unit(int unitId) {
    RegisterImage image = units.get(unitId);
    if (image == null) {
      throw new IllegalArgumentException("no unit " + unitId + " on this line");
    }
    return image;
  }

  /** Sets holding registers of one unit. */
  public void setHolding(int unitId, int address, short... words) {
    unit(unitId).setHolding(address, words);
  }

  @Override
  public void close() {
    ModbusSlaveFactory.close(slave);
  }
}
