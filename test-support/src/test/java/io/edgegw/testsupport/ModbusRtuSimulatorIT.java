package io.edgegw.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.ghgande.j2mod.modbus.ModbusIOException;
import com.ghgande.j2mod.modbus.facade.ModbusSerialMaster;
import com.ghgande.j2mod.modbus.procimg.InputRegister;
import com.ghgande.j2mod.modbus.procimg.SimpleRegister;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ModbusRtuSimulatorIT {

  private static final LineSettings LINE = LineSettings.of8N1(19200);
  private static final int TIMEOUT_MS = 1_000;

  private SerialLinePair line;
  private ModbusRtuSimulator bus;

  @BeforeEach
  void start() {
    line = SerialLinePair.open();
    bus = ModbusRtuSimulator.start(line.deviceSide(), LINE, 1, 2);
  }

  @AfterEach
  void stop() {
    try {
      bus.close();
    } finally {
      line.close();
    }
  }

  @Test
  void masterReadsAndWritesEachUnitOverThePty() throws Exception {
    bus.unit(1).setHolding(0, (short) 111, (short) 112);
    bus.unit(2).setFloat32(RegisterTable.INPUT, 10, 21.5f);
    ModbusSerialMaster master = connect(line.gatewaySide());
    try {
      assertThat(words(master.readMultipleRegisters(1, 0, 2)))
          .containsExactly((short) 111, (short) 112);
      assertThat(words(master.readInputRegisters(2, 10, 2)))
          .containsExactly((short) 0x41AC, (short) 0x0000);

      master.writeSingleRegister(2, 7, new SimpleRegister(4242));
      master.writeCoil(1, 3, true);

      assertThat(bus.unit(2).holding(7)).isEqualTo((short) 4242);
      assertThat(bus.unit(1).holding(7)).isZero();
      assertThat(bus.unit(1).coil(3)).isTrue();
    } finally {
      master.disconnect();
    }
  }

  @Test
  void aUnitIdNobodyServesTimesOut() throws Exception {
    ModbusSerialMaster master = connect(line.gatewaySide());
    try {
      assertThatThrownBy(() -> master.readMultipleRegisters(3, 0, 1))
          .isInstanceOf(ModbusIOException.class);
      // the line is still usable afterwards
      assertThat(words(master.readMultipleRegisters(1, 0, 1))).containsExactly((short) 0);
    } finally {
      master.disconnect();
    }
  }

  @Test
  void aMasterCanCloseAndReopenTheGatewaySide() throws Exception {
    bus.unit(1).setHolding(0, (short) 1);
    ModbusSerialMaster first = connect(line.gatewaySide());
    assertThat(words(first.readMultipleRegisters(1, 0, 1))).containsExactly((short) 1);
    first.disconnect();

    bus.unit(1).setHolding(0, (short) 2);
    ModbusSerialMaster second = connect(line.gatewaySide());
    try {
      assertThat(words(second.readMultipleRegisters(1, 0, 1))).containsExactly((short) 2);
    } finally {
      second.disconnect();
    }
  }

  @Test
  void theSimulatorCanBeRestartedOnTheSameLine() throws Exception {
    bus.close();
    bus = ModbusRtuSimulator.start(line.deviceSide(), 19200, 9);
    bus.setHolding(9, 4, (short) 9);
    ModbusSerialMaster master = connect(line.gatewaySide());
    try {
      assertThat(words(master.readMultipleRegisters(9, 4, 1))).containsExactly((short) 9);
    } finally {
      master.disconnect();
    }
  }

  @Test
  void rejectsUnitIdsOutsideTheRtuRange() {
    assertThatThrownBy(() -> ModbusRtuSimulator.start(line.deviceSide(), LINE, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("RTU unit id must be 1-247, got 0");
  }

  private static ModbusSerialMaster connect(Path port) throws Exception {
    ModbusSerialMaster master = new ModbusSerialMaster(LINE.toSerialParameters(port), TIMEOUT_MS);
    master.connect();
    // j2mod counts the first attempt, and connect() replaces the transaction that holds it
    master.setRetries(1);
    return master;
  }

  private static short[] words(InputRegister[] registers) {
    short[] words = new short[registers.length];
    for (int i = 0; i < registers.length; i++) {
      words[i] = registers[i].toShort();
    }
    return words;
  }
}
