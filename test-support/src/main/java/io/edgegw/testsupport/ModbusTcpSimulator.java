package io.edgegw.testsupport;

import com.ghgande.j2mod.modbus.ModbusException;
import com.ghgande.j2mod.modbus.slave.ModbusSlave;
import com.ghgande.j2mod.modbus.slave.ModbusSlaveFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A simulated Modbus TCP device on 127.0.0.1: a j2mod slave serving one {@link UnitImage} per unit
 * id, normally behind a fault-injecting proxy that owns the public {@link #port()}.
 *
 * <pre>{@code
 * try (ModbusTcpSimulator device = ModbusTcpSimulator.start()) {
 *   device.setFloat32(RegisterTable.HOLDING, 100, 21.5f);
 *   device.setFault(Fault.delay(Duration.ofMillis(300)));
 *   ... point the bridge at 127.0.0.1:device.port(), unit device.unitId() ...
 *   assertThat(device.holding(200)).isEqualTo((short) 42);
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> {@link #start} (with the proxy): two platform threads from j2mod (its
 * listener, and one handler serving the proxy's single upstream connection), one virtual thread
 * accepting on the public port and one virtual thread per open client connection. Any number of
 * clients may connect; their requests reach j2mod one at a time.
 *
 * <p>{@link #direct} and {@link #directAt} (no proxy, for many devices in one JVM): j2mod binds the
 * public port itself. It costs one listener and {@value #DIRECT_HANDLER_THREADS} handler platform
 * threads, created at start; each handler serves one client connection for that connection's
 * lifetime, so a third simultaneous connection waits in j2mod's queue until another closes. 100
 * direct devices are therefore 300 platform threads and about 140 MB of process images, and take
 * about 7 s to start (j2mod polls its own listener's readiness every 50 ms). There is no fault
 * injection and no request counter. On close, j2mod does not close accepted connections: a handler
 * blocked on a client that stays connected ends only when that client disconnects.
 *
 * <p>A j2mod slave answers a unit id it does not serve with exception 2 (illegal data address).
 */
public final class ModbusTcpSimulator implements AutoCloseable {

  /**
   * A fault the {@link ModbusTcpSimulator} injects into every request it receives while the fault
   * is set. Set one with {@link ModbusTcpSimulator#setFault(Fault)}; {@link #none()} clears it.
   */
  public sealed interface Fault {

    /** Requests are forwarded to the device and answered normally. */
    static Fault none() {
      return new None();
    }

    /** Each request is answered normally, but only after {@code delay}. */
    static Fault delay(Duration delay) {
      return new Delay(delay);
    }

    /**
     * Each request is answered with a Modbus exception response (function code | 0x80, then {@code
     * code}) without reaching the device, so nothing is read or written.
     */
    static Fault exception(int code) {
      return new ExceptionResponse(code);
    }

    /** The client's TCP connection is closed when its next request arrives; the request is lost. */
    static Fault drop() {
      return new Drop();
    }

    /** Requests are swallowed and never answered; the connection stays open. */
    static Fault silent() {
      return new Silent();
    }

    /** No fault. */
    record None() implements Fault {}

    /** Answer after a delay. */
    record Delay(Duration delay) implements Fault {
      /** Checks that the delay is present and not negative. */
      public Delay {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
          throw new IllegalArgumentException("delay must not be negative: " + delay);
        }
      }
    }

    /** Answer with a Modbus exception code. */
    record ExceptionResponse(int code) implements Fault {
      /** Checks that the code fits the exception byte (1-255; 1-4 and 10-11 are standard). */
      public ExceptionResponse {
        if (code < 1 || code > 0xFF) {
          throw new IllegalArgumentException("Modbus exception code must be 1-255, got " + code);
        }
      }
    }

    /** Close the connection. */
    record Drop() implements Fault {}

    /** Never answer. */
    record Silent() implements Fault {}
  }

  /** Handler threads per {@link #direct} device, i.e. simultaneous client connections served. */
  public static final int DIRECT_HANDLER_THREADS = 2;

  private static final int BIND_ATTEMPTS = 3;

  private final ModbusSlave slave;
  private final FaultInjectingProxy proxy;
  private final Map<Integer, UnitImage> units;
  private final UnitImage primary;
  private final AtomicBoolean closed = new AtomicBoolean();

  private ModbusTcpSimulator(
      ModbusSlave slave, FaultInjectingProxy proxy, Map<Integer, UnitImage> units) {
    this.slave = slave;
    this.proxy = proxy;
    this.units = units;
    this.primary = units.values().iterator().next();
  }

  /** Starts a device with unit id 1 behind the fault proxy. */
  public static ModbusTcpSimulator start() {
    return start(1);
  }

  /** Starts a device serving the given unit ids behind the fault proxy; the first is primary. */
  public static ModbusTcpSimulator start(int unitId, int... moreUnitIds) {
    ReentrantLock lock = new ReentrantLock();
    Map<Integer, UnitImage> units = images(lock, unitId, moreUnitIds);
    // The proxy is j2mod's only client, so one handler thread is enough.
    ModbusSlave slave = openSlave(1, units);
    try {
      FaultInjectingProxy proxy = FaultInjectingProxy.start(slave.getPort(), lock);
      return new ModbusTcpSimulator(slave, proxy, units);
    } catch (IOException e) {
      ModbusSlaveFactory.close(slave);
      throw new UncheckedIOException("cannot open the Modbus proxy port on 127.0.0.1", e);
    }
  }

  /** Starts a device with unit id 1 and no proxy; see the class comment for what that costs. */
  public static ModbusTcpSimulator direct() {
    return direct(1);
  }

  /** Starts a device serving the given unit ids with no proxy; the first is primary. */
  public static ModbusTcpSimulator direct(int unitId, int... moreUnitIds) {
    Map<Integer, UnitImage> units = images(new ReentrantLock(), unitId, moreUnitIds);
    return new ModbusTcpSimulator(openSlave(DIRECT_HANDLER_THREADS, units), null, units);
  }

  /**
   * Starts a device with no proxy on a fixed port, for scripts that write the port into a
   * devices.yaml, with {@code tableSize} addresses per table to keep large fleets small.
   *
   * @throws IllegalStateException if the port cannot be bound
   */
  public static ModbusTcpSimulator directAt(int port, int unitId, int tableSize) {
    return directAt(InetAddress.getLoopbackAddress(), port, unitId, tableSize);
  }

  /**
   * As {@link #directAt(int, int, int)}, on the given local address: the simulated plant's
   * container binds all of its interfaces, so that the bridge's container reaches it.
   *
   * @throws IllegalStateException if the port cannot be bound
   */
  public static ModbusTcpSimulator directAt(
      InetAddress address, int port, int unitId, int tableSize) {
    Map<Integer, UnitImage> units = new LinkedHashMap<>();
    units.put(unitId, new UnitImage(unitId, tableSize, new ReentrantLock()));
    try {
      return new ModbusTcpSimulator(
          bindSlave(address, port, DIRECT_HANDLER_THREADS, units), null, units);
    } catch (ModbusException e) {
      throw new IllegalStateException(
          "cannot start a j2mod TCP slave on "
              + address.getHostAddress()
              + ":"
              + port
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** The public TCP port on 127.0.0.1 that clients connect to. */
  public int port() {
    return proxy != null ? proxy.port() : slave.getPort();
  }

  /** The host clients connect to: always {@code 127.0.0.1}. */
  public String host() {
    return "127.0.0.1";
  }

  /** The primary unit id (the first one given at start). */
  public int unitId() {
    return primary.unitId();
  }

  /** All unit ids served, the primary first. */
  public Set<Integer> unitIds() {
    return Collections.unmodifiableSet(units.keySet());
  }

  /** The primary unit's memory. */
  public UnitImage unit() {
    return primary;
  }

  /**
   * The memory of one served unit.
   *
   * @throws IllegalArgumentException if the unit id is not served
   */
  public UnitImage unit(int unitId) {
    UnitImage image = units.get(unitId);
    if (image == null) {
      throw new IllegalArgumentException(
          "unit " + unitId + " is not served; this device serves " + units.keySet());
    }
    return image;
  }

  /** Writes consecutive holding registers of the primary unit. */
  public void setHolding(int address, short... words) {
    primary.setHolding(address, words);
  }

  /** Writes consecutive input registers of the primary unit. */
  public void setInput(int address, short... words) {
    primary.setInput(address, words);
  }

  /** Sets a coil of the primary unit. */
  public void setCoil(int address, boolean value) {
    primary.setCoil(address, value);
  }

  /** Sets a discrete input of the primary unit. */
  public void setDiscrete(int address, boolean value) {
    primary.setDiscrete(address, value);
  }

  /** Writes a big-endian (ABCD) float32 into two registers of the primary unit. */
  public void setFloat32(RegisterTable table, int address, float value) {
    primary.setFloat32(table, address, value);
  }

  /** A holding register of the primary unit, e.g. to check that a write landed. */
  public short holding(int address) {
    return primary.holding(address);
  }

  /** A coil of the primary unit. */
  public boolean coil(int address) {
    return primary.coil(address);
  }

  /**
   * Sets the fault applied to every request from now on; {@link Fault#none()} clears it.
   *
   * @throws UnsupportedOperationException on a {@link #direct} device
   */
  public void setFault(Fault fault) {
    requireProxy("setFault").setFault(fault);
  }

  /** The fault currently applied. */
  public Fault fault() {
    return requireProxy("fault").fault();
  }

  /**
   * Requests received at the public port since start, whatever the fault did with them. Use it to
   * assert that a client coalesced its reads.
   */
  public long requestCount() {
    return requireProxy("requestCount").requestCount();
  }

  /** Client connections accepted at the public port since start. */
  public long connectionCount() {
    return requireProxy("connectionCount").connectionCount();
  }

  /** Closes the client connections, the proxy and the j2mod slave. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      if (proxy != null) {
        proxy.close();
      }
    } finally {
      ModbusSlaveFactory.close(slave);
    }
  }

  private FaultInjectingProxy requireProxy(String operation) {
    if (proxy == null) {
      throw new UnsupportedOperationException(
          operation
              + " needs the fault proxy, which a direct() device does not have;"
              + " start the device with ModbusTcpSimulator.start(...)");
    }
    return proxy;
  }

  private static Map<Integer, UnitImage> images(
      ReentrantLock lock, int unitId, int... moreUnitIds) {
    Map<Integer, UnitImage> units = new LinkedHashMap<>();
    units.put(unitId, new UnitImage(unitId, lock));
    for (int id : moreUnitIds) {
      if (units.putIfAbsent(id, new UnitImage(id, lock)) != null) {
        throw new IllegalArgumentException("unit id " + id + " given twice");
      }
    }
    return units;
  }

  private static ModbusSlave openSlave(int handlerThreads, Map<Integer, UnitImage> units) {
    ModbusException lastFailure = null;
    for (int attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
      try {
        return bindSlave(
            InetAddress.getLoopbackAddress(), FreePorts.loopback(), handlerThreads, units);
      } catch (ModbusException e) {
        // Most likely another process took the free port before j2mod bound it.
        lastFailure = e;
      }
    }
    throw new IllegalStateException(
        "cannot start a j2mod TCP slave on 127.0.0.1 after "
            + BIND_ATTEMPTS
            + " attempts: "
            + lastFailure.getMessage(),
        lastFailure);
  }

  private static ModbusSlave bindSlave(
      InetAddress address, int port, int handlerThreads, Map<Integer, UnitImage> units)
      throws ModbusException {
    ModbusSlave slave = ModbusSlaveFactory.createTCPSlave(address, port, handlerThreads, false);
    try {
      for (UnitImage unit : units.values()) {
        slave.addProcessImage(unit.unitId(), unit.processImage());
      }
      slave.setThreadName("modbus-sim-" + port);
      slave.open();
      return slave;
    } catch (ModbusException e) {
      ModbusSlaveFactory.close(slave);
      throw e;
    }
  }
}
