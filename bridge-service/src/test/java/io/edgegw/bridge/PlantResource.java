package io.edgegw.bridge;

import io.edgegw.testsupport.ModbusRtuSimulator;
import io.edgegw.testsupport.ModbusTcpSimulator;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.SerialLinePair;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A small plant for the bridge's integration tests: a real Mosquitto, three Modbus TCP simulator
 * devices on loopback and two RTU units on a pty pair, and the devices.yaml that maps them.
 */
public class PlantResource implements QuarkusTestResourceLifecycleManager {
  static MosquittoBroker broker;
  static ModbusTcpSimulator typed;
  static ModbusTcpSimulator flaky;
  static ModbusTcpSimulator steady;
  static SerialLinePair line;
  static ModbusRtuSimulator rtu;
  static Path dir;

  /** Poll interval of the fast group, in ms. */
  static final int FAST_MS = 200;

  @Override
  public Map<String, String> start() {
    try {
      dir = Files.createTempDirectory("bridge-it");
      broker = MosquittoBroker.builder().withUser("bridge").withUser("observer").start();
      typed = ModbusTcpSimulator.start(1);
      flaky = ModbusTcpSimulator.start(1);
      steady = ModbusTcpSimulator.start(1);
      line = SerialLinePair.open();
      rtu = ModbusRtuSimulator.start(line.deviceSide(), 19200, 1, 2);
      TypedValues.load(typed);
      steady.setHolding(0, (short) 7);
      flaky.setHolding(0, (short) 9);
      rtu.setHolding(1, 10, (short) 111);
      rtu.setHolding(2, 10, (short) 222);
      Path devices = dir.resolve("devices.yaml");
      Files.writeString(devices, devicesYaml());
      return Map.of(
          "bridge.devices-file",
          devices.toString(),
          "bridge.bus.port",
          String.valueOf(broker.port()),
          "bridge.bus.password",
          broker.password("bridge"),
          "bridge.retry.initial",
          "300ms",
          "bridge.retry.max",
          "1s",
          "bridge.status.interval",
          "1s");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String devicesYaml() {
    return """
    version: 1
    pollGroups:
      fast: %dms
    rtuBuses:
      - id: line1
        port: %s
        baud: 19200
        parity: none
        turnaround: 5ms
    devices:
      - id: typed
        tcp: { host: 127.0.0.1, port: %d }
        unitId: 1
        timeout: 500ms
        tags:
    %s
      - id: flaky
        tcp: { host: 127.0.0.1, port: %d }
        timeout: 1s
        tags:
          - { name: level, table: holding, address: 0, type: uint16 }
      - id: steady
        tcp: { host: 127.0.0.1, port: %d }
        timeout: 500ms
        tags:
          - { name: count, table: holding, address: 0, type: uint16 }
      - id: rtu1
        rtu: { bus: line1 }
        unitId: 1
        timeout: 500ms
        tags:
          - { name: flow, table: holding, address: 10, type: uint16 }
      - id: rtu2
        rtu: { bus: line1 }
        unitId: 2
        timeout: 500ms
        tags:
          - { name: flow, table: holding, address: 10, type: uint16 }
    """
        .formatted(
            FAST_MS,
            line.gatewaySide(),
            typed.port(),
            TypedValues.tagsYaml("      "),
            flaky.port(),
            steady.port());
  }

  @Override
  public void stop() {
    for (AutoCloseable c : new AutoCloseable[] {rtu, line, typed, flaky, steady, broker}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          // Best effort: the temp dirs go with the JVM.
        }
      }
    }
  }
}
