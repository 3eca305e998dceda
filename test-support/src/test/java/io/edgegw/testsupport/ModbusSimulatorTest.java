package io.edgegw.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.ghgande.j2mod.modbus.Modbus;
import com.ghgande.j2mod.modbus.ModbusException;
import com.ghgande.j2mod.modbus.ModbusSlaveException;
import com.ghgande.j2mod.modbus.facade.ModbusSerialMaster;
import com.ghgande.j2mod.modbus.facade.ModbusTCPMaster;
import com.ghgande.j2mod.modbus.procimg.Register;
import com.ghgande.j2mod.modbus.procimg.SimpleRegister;
import com.ghgande.j2mod.modbus.util.SerialParameters;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ModbusSimulatorTest {

  private static ModbusTCPMaster master(ModbusTcpSimulator sim) throws Exception {
    ModbusTCPMaster m = new ModbusTCPMaster("127.0.0.1", sim.port(), 500, false);
    m.connect();
    // j2mod creates the transaction in connect(); retries set before would not reach it.
    m.setRetries(1);
    return m;
  }

  @Test
  void servesScriptedRegistersAndTakesWrites() throws Exception {
    try (ModbusTcpSimulator sim = ModbusTcpSimulator.start(3)) {
      sim.setHolding(10, (short) 0x1234, (short) 0xABCD);
      sim.setCoil(4, true);
      ModbusTCPMaster m = master(sim);
      try {
        Register[] regs = m.readMultipleRegisters(3, 10, 2);
        assertThat(regs[0].getValue()).isEqualTo(0x1234);
        assertThat(regs[1].getValue()).isEqualTo(0xABCD);
        assertThat(m.readCoils(3, 4, 1).getBit(0)).isTrue();
        m.writeSingleRegister(3, 20, new SimpleRegister(777));
        assertThat(sim.holding(20)).isEqualTo((short) 777);
        assertThat(sim.requestCount()).isEqualTo(3);
      } finally {
        m.disconnect();
      }
    }
  }

  @Test
  void delayedAnswersArriveLate() throws Exception {
    try (ModbusTcpSimulator sim = ModbusTcpSimulator.start(1)) {
      sim.setHolding(0, (short) 5);
      sim.setFault(ModbusTcpSimulator.Fault.delay(Duration.ofMillis(200)));
      ModbusTCPMaster m = master(sim);
      try {
        long t0 = System.nanoTime();
        assertThat(m.readMultipleRegisters(1, 0, 1)[0].getValue()).isEqualTo(5);
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(200_000_000L);
      } finally {
        m.disconnect();
      }
    }
  }

  @Test
  void exceptionCodeReachesTheMaster() throws Exception {
    try (ModbusTcpSimulator sim = ModbusTcpSimulator.start(1)) {
      sim.setFault(ModbusTcpSimulator.Fault.exception(Modbus.ILLEGAL_ADDRESS_EXCEPTION));
      ModbusTCPMaster m = master(sim);
      try {
        assertThatThrownBy(() -> m.readMultipleRegisters(1, 0, 1))
            .isInstanceOfSatisfying(
                ModbusSlaveException.class,
                e -> assertThat(e.getType()).isEqualTo(Modbus.ILLEGAL_ADDRESS_EXCEPTION));
      } finally {
        m.disconnect();
      }
    }
  }

  @Test
  void silentAndDroppedRequestsFail() throws Exception {
    try (ModbusTcpSimulator sim = ModbusTcpSimulator.start(1)) {
      sim.setFault(ModbusTcpSimulator.Fault.silent());
      ModbusTCPMaster m = master(sim);
      try {
        assertThatThrownBy(() -> m.readMultipleRegisters(1, 0, 1))
            .isInstanceOf(ModbusException.class);
      } finally {
        m.disconnect();
      }
      sim.setFault(ModbusTcpSimulator.Fault.drop());
      ModbusTCPMaster m2 = master(sim);
      try {
        assertThatThrownBy(() -> m2.readMultipleRegisters(1, 0, 1))
            .isInstanceOf(ModbusException.class);
      } finally {
        m2.disconnect();
      }
      assertThat(sim.requestCount()).isEqualTo(2);
      sim.setFault(ModbusTcpSimulator.Fault.none());
      ModbusTCPMaster m3 = master(sim);
      try {
        assertThat(m3.readMultipleRegisters(1, 0, 1)).hasSize(1);
      } finally {
        m3.disconnect();
      }
    }
  }

  @Test
  void rtuUnitsAnswerOverAPtyPair() throws Exception {
    try (SerialLinePair line = SerialLinePair.open();
        ModbusRtuSimulator rtu = ModbusRtuSimulator.start(line.deviceSide(), 19200, 1, 2)) {
      rtu.setHolding(1, 5, (short) 11);
      rtu.setHolding(2, 5, (short) 22);
      SerialParameters p = new SerialParameters();
      p.setPortName(line.gatewaySide());
      p.setBaudRate(19200);
      p.setDatabits(8);
      p.setParity("None");
      p.setStopbits(1);
      p.setEncoding(Modbus.SERIAL_ENCODING_RTU);
      p.setEcho(false);
      ModbusSerialMaster m = new ModbusSerialMaster(p, 1000);
      m.setRetries(1);
      m.connect();
      try {
        assertThat(m.readMultipleRegisters(1, 5, 1)[0].getValue()).isEqualTo(11);
        assertThat(m.readMultipleRegisters(2, 5, 1)[0].getValue()).isEqualTo(22);
        m.writeSingleRegister(2, 6, new SimpleRegister(99));
        assertThat(rtu.unit(2).holding(6)).isEqualTo((short) 99);
      } finally {
        m.disconnect();
      }
    }
  }
}
