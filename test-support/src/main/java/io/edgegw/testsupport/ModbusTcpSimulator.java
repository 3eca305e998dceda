package io.edgegw.testsupport;

import com.ghgande.j2mod.modbus.ModbusException;
import com.ghgande.j2mod.modbus.slave.ModbusSlave;
import com.ghgande.j2mod.modbus.slave.ModbusSlaveFactory;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A simulated Modbus TCP device: a j2mod slave with scripted registers, behind a fault-injecting
 * proxy that owns the public port. The proxy reads whole MBAP frames, so a fault applies to a
 * request: answer late, answer with an exception code, drop the connection, or never answer.
 *
 * <p>Threads: j2mod's listener and a pool of 5 handler threads, plus one virtual thread per client
 * connection in the proxy. {@link #direct} skips the proxy (no faults) for benchmarks with many
 * devices.
 */
public final class ModbusTcpSimulator implements AutoCloseable {

  /** A fault the proxy applies to each request while it is set. */
  public sealed interface Fault {
    /** Pass requests through. */
    static Fault none() {
      return new None();
    }

    /** Answer after the delay. */
    static Fault delay(Duration delay) {
      return new Delay(delay);
    }

    /** Answer with this Modbus exception code without asking the device. */
    static Fault exception(int code) {
      return new ExceptionCode(code);
    }

    /** Close the client's connection when a request arrives. */
    static Fault drop() {
      return new Drop();
    }

    /** Swallow requests and never answer. */
    static Fault silent() {
      return new Silent();
    }

    /** No fault. */
    record None() implements Fault {}

    /** Late answers. */
    record Delay(Duration delay) implements Fault {}

    /** Exception answers. */
    record ExceptionCode(int code) implements Fault {
      public ExceptionCode {
        if (code < 1 || code > 255) {
          throw new IllegalArgumentException("exception code must be 1..255, got " + code);
        }
      }
    }

    /** Dropped connections. */
    record Drop() implements Fault {}

    /** No answers. */
    record Silent() implements Fault {}
  }

  private final ModbusSlave slave;
  private final int slavePort;
  private final RegisterImage image;
  private final int unitId;
  private final ServerSocket proxy;
  private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
  private final AtomicLong requests = new AtomicLong();
  private volatile Fault fault = Fault.none();
  private volatile boolean open = true;

  private ModbusTcpSimulator(int unitId, int size, boolean withProxy, int publicPort) {
    this.unitId = unitId;
    this.image = new RegisterImage(unitId, size);
    try {
      this.slavePort = withProxy ? FreePorts.loopback() : publicPort;
      this.slave =
          ModbusSlaveFactory.createTCPSlave(InetAddress.getLoopbackAddress(), slavePort, 5, false);
      slave.addProcessImage(unitId, image.processImage());
      slave.open();
      FreePorts.awaitAccepting(slavePort, Duration.ofSeconds(10), "j2mod slave");
      if (withProxy) {
        proxy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("modbus-proxy-accept").start(this::accept);
      } else {
        proxy = null;
      }
    } catch (ModbusException | IOException e) {
      throw new IllegalStateException("cannot start the Modbus TCP simulator: " + e, e);
    }
  }

  /** A device with fault injection, unit id as given, 10,000 entries per table. */
  public static ModbusTcpSimulator start(int unitId) {
    return new ModbusTcpSimulator(unitId, 10_000, true, 0);
  }

  /** A device without the proxy (no faults) on the given port, {@code size} entries per table. */
  public static ModbusTcpSimulator direct(int unitId, int port, int size) {
    return new ModbusTcpSimulator(unitId, size, false, port);
  }

  /** The port clients connect to. */
  public int port() {
    return proxy != null ? proxy.getLocalPort() : slavePort;
  }

  /** The unit id served. */
  public int unitId() {
    return unitId;
  }

  /** The registers. */
  public RegisterImage image() {
    return image;
  }

  /** Requests the proxy received (0 for a direct device). */
  public long requestCount() {
    return requests.get();
  }

  /** Sets the fault for the following requests. */
  public void setFault(Fault fault) {
    if (proxy == null) {
      throw new IllegalStateException("a direct simulator has no fault proxy");
    }
    this.fault = fault;
  }

  /** See {@link RegisterImage#setHolding}. */
  public void setHolding(int address, short... words) {
    image.setHolding(address, words);
  }

  /** See {@link RegisterImage#setInput}. */
  public void setInput(int address, short... words) {
    image.setInput(address, words);
  }

  /** See {@link RegisterImage#setCoil}. */
  public void setCoil(int address, boolean value) {
    image.setCoil(address, value);
  }

  /** See {@link RegisterImage#setDiscrete}. */
  public void setDiscrete(int address, boolean value) {
    image.setDiscrete(address, value);
  }

  /** See {@link RegisterImage#setFloat32}. */
  public void setFloat32(int address, float value) {
    image.setFloat32(address, value);
  }

  /** See {@link RegisterImage#holding}. */
  public short holding(int address) {
    return image.holding(address);
  }

  /** See {@link RegisterImage#coil}. */
  public boolean coil(int address) {
    return image.coil(address);
  }

  private void accept() {
    while (open) {
      try {
        Socket client = proxy.accept();
        clients.add(client);
        Thread.ofVirtual().name("modbus-proxy").start(() -> serve(client));
      } catch (IOException e) {
        if (open) {
          continue;
        }
        return;
      }
    }
  }

  private void serve(Socket client) {
    try (client;
        Socket backend = new Socket(InetAddress.getLoopbackAddress(), slavePort)) {
      DataInputStream in = new DataInputStream(client.getInputStream());
      OutputStream out = client.getOutputStream();
      InputStream backIn = backend.getInputStream();
      OutputStream backOut = backend.getOutputStream();
      while (open) {
        byte[] frame = readFrame(in);
        if (frame == null) {
          return;
        }
        requests.incrementAndGet();
        Fault f = fault;
        switch (f) {
          case Fault.None n -> relay(frame, backOut, backIn, out);
          case Fault.Delay d -> {
            byte[] answer = exchange(frame, backOut, backIn);
            LockSupport.parkNanos(d.delay().toNanos());
            out.write(answer);
            out.flush();
          }
          case Fault.ExceptionCode e -> {
            byte[] answer = new byte[9];
            System.arraycopy(frame, 0, answer, 0, 4);
            answer[4] = 0;
            answer[5] = 3;
            answer[6] = frame[6];
            answer[7] = (byte) (frame[7] | 0x80);
            answer[8] = (byte) e.code();
            out.write(answer);
            out.flush();
          }
          case Fault.Drop d -> {
            return;
          }
          case Fault.Silent s -> {
            // Swallowed: the client times out.
          }
        }
      }
    } catch (IOException e) {
      // The client or the slave went away; the connection ends.
    } finally {
      clients.remove(client);
    }
  }

  private static void relay(
      byte[] frame, OutputStream backOut, InputStream backIn, OutputStream out) throws IOException {
    out.write(exchange(frame, backOut, backIn));
    out.flush();
  }

  private static byte[] exchange(byte[] frame, OutputStream backOut, InputStream backIn)
      throws IOException {
    backOut.write(frame);
    backOut.flush();
    byte[] answer = readFrame(new DataInputStream(backIn));
    if (answer == null) {
      throw new IOException("slave closed the connection");
    }
    return answer;
  }

  /** One MBAP frame: 7-byte header (length counts the unit id and the PDU), then the PDU. */
  private static byte[] readFrame(DataInputStream in) throws IOException {
    byte[] header = new byte[7];
    try {
      in.readFully(header);
    } catch (java.io.EOFException e) {
      return null;
    }
    int length = ((header[4] & 0xFF) << 8) | (header[5] & 0xFF);
    if (length < 2 || length > 254) {
      throw new IOException("bad MBAP length " + length);
    }
    byte[] frame = new byte[6 + length];
    System.arraycopy(header, 0, frame, 0, 7);
    in.readFully(frame, 7, length - 1);
    return frame;
  }

  @Override
  public void close() {
    open = false;
    try {
      if (proxy != null) {
        proxy.close();
      }
    } catch (IOException e) {
      // Closing anyway.
    }
    for (Socket c : clients) {
      try {
        c.close();
      } catch (IOException e) {
        // Closing anyway.
      }
    }
    ModbusSlaveFactory.close(slave);
  }
}
