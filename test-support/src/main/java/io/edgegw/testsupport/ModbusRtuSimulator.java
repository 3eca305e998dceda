package io.edgegw.testsupport;

import com.ghgande.j2mod.modbus.net.ModbusSerialListener;
import com.ghgande.j2mod.modbus.net.SerialConnection;
import com.ghgande.j2mod.modbus.procimg.ProcessImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Simulated Modbus RTU devices on one serial line: a j2mod serial listener on the device side of a
 * {@link SerialLinePair}, answering every unit id it was started with from that unit's own {@link
 * UnitImage}. Requests to other unit ids get no answer, as on a real bus.
 *
 * <pre>{@code
 * try (SerialLinePair line = SerialLinePair.open();
 *     ModbusRtuSimulator bus =
 *         ModbusRtuSimulator.start(line.deviceSide(), LineSettings.of8N1(19200), 1, 2)) {
 *   bus.unit(2).setHolding(0, (short) 1234);
 *   ... the bridge polls line.gatewaySide() ...
 * }
 * }</pre>
 *
 * <p>The listener is driven directly rather than through j2mod's {@code ModbusSlaveFactory}: the
 * factory's slave reads with a fixed 3 s timeout that closing the port does not cut short, so every
 * close took about 4 s. Here the read timeout is {@value #READ_TIMEOUT_MS} ms, and a close takes
 * about a second, most of it jSerialComm stopping its event thread.
 *
 * <p><b>Threads.</b> One daemon platform thread running j2mod's serial listener, which reads and
 * answers requests, and one platform thread from jSerialComm (the event thread behind j2mod's
 * port-disconnect listener). There is no fault injection and no request counter.
 */
public final class ModbusRtuSimulator implements AutoCloseable {

  /** How long one read waits for a byte before the listener checks whether it was stopped. */
  static final int READ_TIMEOUT_MS = 100;

  private static final Duration OPEN_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final UnitListener listener;
  private final Thread thread;
  private final Path port;
  private final LineSettings settings;
  private final Map<Integer, UnitImage> units;

  private ModbusRtuSimulator(
      UnitListener listener,
      Thread thread,
      Path port,
      LineSettings settings,
      Map<Integer, UnitImage> units) {
    this.listener = listener;
    this.thread = thread;
    this.port = port;
    this.settings = settings;
    this.units = units;
  }

  /**
   * Opens {@code port} and starts answering the given unit ids (1-247).
   *
   * @throws IllegalStateException if the port cannot be opened; on a pty see {@link LineSettings}
   */
  public static ModbusRtuSimulator start(
      Path port, LineSettings settings, int unitId, int... moreUnitIds) {
    ReentrantLock lock = new ReentrantLock();
    Map<Integer, UnitImage> units = new LinkedHashMap<>();
    addUnit(units, unitId, lock);
    for (int id : moreUnitIds) {
      addUnit(units, id, lock);
    }
    units = Collections.unmodifiableMap(units);

    SerialConnection connection = new SerialConnection(settings.toSerialParameters(port));
    connection.setTimeout(READ_TIMEOUT_MS);
    UnitListener listener = new UnitListener(connection, units);
    String name = "modbus-rtu-sim-" + port.getFileName();
    listener.setThreadName(name);
    Thread thread = Thread.ofPlatform().name(name).daemon(true).start(listener);
    ModbusRtuSimulator simulator = new ModbusRtuSimulator(listener, thread, port, settings, units);
    try {
      Awaitility.await("j2mod listening on " + port)
          .atMost(OPEN_TIMEOUT)
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(10))
          .pollInSameThread()
          .until(() -> listener.isListening() || listener.getError() != null);
    } catch (ConditionTimeoutException e) {
      simulator.close();
      throw new IllegalStateException(port + " was not opened within " + OPEN_TIMEOUT, e);
    }
    if (!listener.isListening()) {
      simulator.close();
      throw new IllegalStateException(
          "cannot open "
              + port
              + " as a Modbus RTU slave with "
              + settings
              + ": "
              + listener.getError()
              + (settings.parity() == LineSettings.Parity.NONE
                  ? ""
                  : "; on a pty use Parity.NONE (see LineSettings)"));
    }
    return simulator;
  }

  /** Opens {@code port} at 8N1 with the given baud rate; see the other {@code start}. */
  public static ModbusRtuSimulator start(Path port, int baudRate, int unitId, int... moreUnitIds) {
    return start(port, LineSettings.of8N1(baudRate), unitId, moreUnitIds);
  }

  /** The serial port the simulator has open. */
  public Path port() {
    return port;
  }

  /** The line settings it was opened with. */
  public LineSettings settings() {
    return settings;
  }

  /** The unit ids served, in start order. */
  public Set<Integer> unitIds() {
    return units.keySet();
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
          "unit " + unitId + " is not served; this line serves " + units.keySet());
    }
    return image;
  }

  /** Writes consecutive holding registers of one unit; short for {@code unit(id).setHolding}. */
  public void setHolding(int unitId, int address, short... words) {
    unit(unitId).setHolding(address, words);
  }

  /** Closes the serial port and waits for the listener thread to end. */
  @Override
  public void close() {
    listener.stop();
    try {
      thread.join(CLOSE_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      throw new IllegalStateException(
          "the j2mod listener on " + port + " did not stop within " + CLOSE_TIMEOUT);
    }
  }

  private static void addUnit(Map<Integer, UnitImage> units, int unitId, ReentrantLock lock) {
    if (unitId < 1 || unitId > 247) {
      throw new IllegalArgumentException("RTU unit id must be 1-247, got " + unitId);
    }
    if (units.putIfAbsent(unitId, new UnitImage(unitId, lock)) != null) {
      throw new IllegalArgumentException("unit id " + unitId + " given twice");
    }
  }

  /** j2mod's serial listener, answering from this simulator's units instead of the factory's. */
  private static final class UnitListener extends ModbusSerialListener {
    private final Map<Integer, UnitImage> units;

    UnitListener(SerialConnection connection, Map<Integer, UnitImage> units) {
      super(connection);
      this.units = units;
    }

    @Override
    public ProcessImage getProcessImage(int unitId) {
      UnitImage unit = units.get(unitId);
      return unit == null ? null : unit.processImage();
    }
  }
}
