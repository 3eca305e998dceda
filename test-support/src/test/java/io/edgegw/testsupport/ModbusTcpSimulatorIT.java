package io.edgegw.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.ghgande.j2mod.modbus.ModbusIOException;
import com.ghgande.j2mod.modbus.ModbusSlaveException;
import com.ghgande.j2mod.modbus.facade.ModbusTCPMaster;
import com.ghgande.j2mod.modbus.procimg.InputRegister;
import com.ghgande.j2mod.modbus.procimg.Register;
import com.ghgande.j2mod.modbus.procimg.SimpleRegister;
import com.ghgande.j2mod.modbus.util.BitVector;
import io.edgegw.testsupport.ModbusTcpSimulator.Fault;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ModbusTcpSimulatorIT {

  private static final int TIMEOUT_MS = 2_000;

  private ModbusTcpSimulator device;
  private ModbusTCPMaster master;

  @BeforeEach
  void start() throws Exception {
    device = ModbusTcpSimulator.start(1, 2);
    master = connect(device, TIMEOUT_MS);
  }

  @AfterEach
  void stop() {
    master.disconnect();
    device.close();
  }

  @Test
  void masterReadsScriptedValuesOfEveryTable() throws Exception {
    device.setHolding(10, (short) 1, (short) -2, (short) 0x7FFF);
    device.setFloat32(RegisterTable.INPUT, 20, 21.5f);
    device.setCoil(3, true);
    device.setDiscrete(4, true);

    assertThat(words(master.readMultipleRegisters(1, 10, 3)))
        .containsExactly((short) 1, (short) -2, (short) 0x7FFF);
    assertThat(words(master.readInputRegisters(1, 20, 2)))
        .containsExactly((short) 0x41AC, (short) 0x0000);
    BitVector coils = master.readCoils(1, 2, 3);
    assertThat(new boolean[] {coils.getBit(0), coils.getBit(1), coils.getBit(2)})
        .containsExactly(false, true, false);
    assertThat(master.readInputDiscretes(1, 4, 1).getBit(0)).isTrue();
  }

  @Test
  void writesFromTheMasterLandInTheImage() throws Exception {
    master.writeSingleRegister(1, 5, new SimpleRegister(4242));
    master.writeMultipleRegisters(
        1, 100, new Register[] {new SimpleRegister(0x41AC), new SimpleRegister(0)});
    master.writeCoil(1, 7, true);

    assertThat(device.holding(5)).isEqualTo((short) 4242);
    assertThat(device.unit().float32(RegisterTable.HOLDING, 100)).isEqualTo(21.5f);
    assertThat(device.coil(7)).isTrue();
  }

  @Test
  void eachUnitIdHasItsOwnImage() throws Exception {
    device.unit(2).setHolding(0, (short) 222);
    device.unit(1).setHolding(0, (short) 111);

    assertThat(words(master.readMultipleRegisters(2, 0, 1))).containsExactly((short) 222);
    assertThat(words(master.readMultipleRegisters(1, 0, 1))).containsExactly((short) 111);
    assertThatThrownBy(() -> master.readMultipleRegisters(3, 0, 1))
        .isInstanceOfSatisfying(
            ModbusSlaveException.class, e -> assertThat(e.getType()).isEqualTo(2));
    assertThat(device.unitIds()).containsExactly(1, 2);
  }

  @Test
  void countsEveryRequestAndConnection() throws Exception {
    for (int i = 0; i < 5; i++) {
      master.readMultipleRegisters(1, 0, 10);
    }

    assertThat(device.requestCount()).isEqualTo(5);
    assertThat(device.connectionCount()).isEqualTo(1);
  }

  @Test
  void delayFaultAnswersCorrectlyButNoSoonerThanTheDelay() throws Exception {
    device.setHolding(0, (short) 99);
    Duration delay = Duration.ofMillis(300);
    device.setFault(Fault.delay(delay));

    long started = System.nanoTime();
    Register[] registers = master.readMultipleRegisters(1, 0, 1);
    Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

    assertThat(words(registers)).containsExactly((short) 99);
    assertThat(elapsed).isGreaterThanOrEqualTo(delay);
  }

  @Test
  void exceptionFaultAnswersWithTheCodeAndDoesNotReachTheDevice() {
    device.setFault(Fault.exception(4));

    assertThatThrownBy(() -> master.writeSingleRegister(1, 5, new SimpleRegister(1)))
        .isInstanceOfSatisfying(
            ModbusSlaveException.class, e -> assertThat(e.getType()).isEqualTo(4));
    assertThat(device.holding(5)).isZero();
    assertThat(device.requestCount()).isEqualTo(1);
  }

  @Test
  void dropFaultClosesTheConnectionOnTheNextRequest() throws Exception {
    device.setFault(Fault.drop());

    assertThatThrownBy(() -> master.readMultipleRegisters(1, 0, 1))
        .isInstanceOf(ModbusIOException.class);

    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), device.port())) {
      socket.setSoTimeout(TIMEOUT_MS);
      socket.getOutputStream().write(HexFormat.of().parseHex("000100000006010300000001"));
      assertThat(socket.getInputStream().read()).as("end of stream").isEqualTo(-1);
    }
    assertThat(device.requestCount()).isEqualTo(2);
  }

  @Test
  void silentFaultLetsTheMasterTimeOut() throws Exception {
    int timeoutMs = 300;
    ModbusTCPMaster impatient = connect(device, timeoutMs);
    try {
      device.setFault(Fault.silent());

      long started = System.nanoTime();
      assertThatThrownBy(() -> impatient.readMultipleRegisters(1, 0, 1))
          .isInstanceOf(ModbusIOException.class);
      Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

      assertThat(elapsed).isGreaterThanOrEqualTo(Duration.ofMillis(timeoutMs));
      assertThat(device.requestCount()).isEqualTo(1);
    } finally {
      impatient.disconnect();
    }
  }

  @Test
  void clearingTheFaultRestoresNormalAnswers() throws Exception {
    device.setFault(Fault.silent());
    device.setFault(Fault.none());
    device.setHolding(1, (short) 5);

    assertThat(words(master.readMultipleRegisters(1, 1, 1))).containsExactly((short) 5);
    assertThat(device.fault()).isEqualTo(Fault.none());
  }

  @Test
  void pipelinedRequestsOnOneConnectionAreAnsweredInOrder() throws Exception {
    device.setHolding(0, (short) 10, (short) 20);
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), device.port())) {
      socket.setSoTimeout(TIMEOUT_MS);
      socket
          .getOutputStream()
          .write(HexFormat.of().parseHex("000100000006010300000001" + "000200000006010300010001"));
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] answers = new byte[22];
      in.readFully(answers);

      assertThat(HexFormat.of().formatHex(answers))
          .isEqualTo("00010000000501030200" + "0a" + "00020000000501030200" + "14");
    }
  }

  @Test
  void closeShutsThePublicPort() throws IOException {
    int port = device.port();
    device.close();

    assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
        .isInstanceOf(IOException.class);
  }

  @Test
  void directDeviceServesWithoutAProxy() throws Exception {
    try (ModbusTcpSimulator direct = ModbusTcpSimulator.direct(5)) {
      ModbusTCPMaster directMaster = connect(direct, TIMEOUT_MS);
      try {
        direct.setHolding(0, (short) 55);
        directMaster.writeSingleRegister(5, 1, new SimpleRegister(66));

        assertThat(words(directMaster.readMultipleRegisters(5, 0, 1))).containsExactly((short) 55);
        assertThat(direct.holding(1)).isEqualTo((short) 66);
        assertThatThrownBy(() -> direct.setFault(Fault.drop()))
            .isInstanceOf(UnsupportedOperationException.class)
            .hasMessageContaining("ModbusTcpSimulator.start");
      } finally {
        directMaster.disconnect();
      }
    }
  }

  @Test
  void directDeviceOnAFixedPortWithASmallImage() throws Exception {
    int port = FreePorts.loopback();
    try (ModbusTcpSimulator direct = ModbusTcpSimulator.directAt(port, 1, 100)) {
      ModbusTCPMaster directMaster = connect(direct, TIMEOUT_MS);
      try {
        direct.setHolding(99, (short) 7);

        assertThat(direct.port()).isEqualTo(port);
        assertThat(direct.unit().size()).isEqualTo(100);
        assertThat(words(directMaster.readMultipleRegisters(1, 99, 1))).containsExactly((short) 7);
        assertThatThrownBy(() -> directMaster.readMultipleRegisters(1, 99, 2))
            .isInstanceOfSatisfying(
                ModbusSlaveException.class, e -> assertThat(e.getType()).isEqualTo(2));
      } finally {
        directMaster.disconnect();
      }
    }
  }

  private static ModbusTCPMaster connect(ModbusTcpSimulator device, int timeoutMs)
      throws Exception {
    ModbusTCPMaster master = new ModbusTCPMaster(device.host(), device.port(), timeoutMs, false);
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
