package io.edgegw.bridge.modbus;

import com.ghgande.j2mod.modbus.ModbusException;
import com.ghgande.j2mod.modbus.ModbusIOException;
import com.ghgande.j2mod.modbus.ModbusSlaveException;
import com.ghgande.j2mod.modbus.facade.AbstractModbusMaster;
import com.ghgande.j2mod.modbus.io.ModbusTransaction;
import com.ghgande.j2mod.modbus.msg.ModbusRequest;
import com.ghgande.j2mod.modbus.msg.ModbusResponse;
import com.ghgande.j2mod.modbus.msg.ReadCoilsRequest;
import com.ghgande.j2mod.modbus.msg.ReadCoilsResponse;
import com.ghgande.j2mod.modbus.msg.ReadInputDiscretesRequest;
import com.ghgande.j2mod.modbus.msg.ReadInputDiscretesResponse;
import com.ghgande.j2mod.modbus.msg.ReadInputRegistersRequest;
import com.ghgande.j2mod.modbus.msg.ReadInputRegistersResponse;
import com.ghgande.j2mod.modbus.msg.ReadMultipleRegistersRequest;
import com.ghgande.j2mod.modbus.msg.ReadMultipleRegistersResponse;
import com.ghgande.j2mod.modbus.procimg.InputRegister;
import com.ghgande.j2mod.modbus.procimg.Register;
import com.ghgande.j2mod.modbus.procimg.SimpleRegister;
import com.ghgande.j2mod.modbus.util.BitVector;
import io.edgegw.bridge.modbus.ModbusFault.Kind;
import java.util.Locale;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;

/**
 * A {@link ModbusChannel} over a j2mod master. For TCP the master is the device's own; for RTU it
 * is the bus's, shared by all units on the line under the bus lock.
 */
final class J2modChannel implements ModbusChannel {

  /** An answer that is well formed but not the answer to our request (another unit). */
  private static final class MismatchedAnswer extends ModbusIOException {
    private static final long serialVersionUID = 1L;

    MismatchedAnswer(String message) {
      super(message);
    }
  }

  /** One request's work against the connected master. */
  private interface Call<T> {
    T run(AbstractModbusMaster master) throws ModbusException;
  }

  private final String deviceId;
  private final int unitId;
  private final Supplier<AbstractModbusMaster> masters;
  private final Lock lock;
  private final Runnable afterRequest;
  private final boolean reconnectOnTimeout;
  private AbstractModbusMaster master;

  /**
   * @param masters creates a fresh, unconnected master
   * @param lock serialises requests (per device for TCP, per line for RTU)
   * @param afterRequest runs under the lock after each request (the RTU line's turnaround pause)
   * @param reconnectOnTimeout whether a timeout drops the connection: yes for TCP, where a late
   *     answer would be read as the next one; no for a shared serial line, which j2mod flushes
   */
  J2modChannel(
      String deviceId,
      int unitId,
      Supplier<AbstractModbusMaster> masters,
      Lock lock,
      Runnable afterRequest,
      boolean reconnectOnTimeout) {
    this.deviceId = deviceId;
    this.unitId = unitId;
    this.masters = masters;
    this.lock = lock;
    this.afterRequest = afterRequest;
    this.reconnectOnTimeout = reconnectOnTimeout;
  }

  @Override
  public short[] readRegisters(ReadRequest request) throws ModbusFault {
    return call(m -> {
      InputRegister[] regs =
          switch (request.table()) {
            case HOLDING ->
                ((ReadMultipleRegistersResponse)
                        exchange(
                            m,
                            new ReadMultipleRegistersRequest(request.address(), request.count())))
                    .getRegisters();
            case INPUT ->
                ((ReadInputRegistersResponse)
                        exchange(
                            m, new ReadInputRegistersRequest(request.address(), request.count())))
                    .getRegisters();
            case COIL, DISCRETE_INPUT ->
                throw new IllegalArgumentException("not a register table: " + request.table());
          };
      // More registers than asked is as wrong as fewer: the answer is not to this request, and its
      // first registers must not be taken for the values asked.
      if (regs == null || regs.length != request.count()) {
        throw new MismatchedAnswer(
            "answer holds "
                + (regs == null ? 0 : regs.length)
                + " registers, the request asked for "
                + request.count());
      }
      short[] words = new short[request.count()];
      for (int i = 0; i < words.length; i++) {
        words[i] = regs[i].toShort();
      }
      return words;
    });
  }

  @Override
  public boolean[] readBits(ReadRequest request) throws ModbusFault {
    return call(m -> {
      BitVector bits =
          switch (request.table()) {
            case COIL ->
                ((ReadCoilsResponse)
                        exchange(m, new ReadCoilsRequest(request.address(), request.count())))
                    .getCoils();
            case DISCRETE_INPUT ->
                ((ReadInputDiscretesResponse)
                        exchange(
                            m, new ReadInputDiscretesRequest(request.address(), request.count())))
                    .getDiscretes();
            case HOLDING, INPUT ->
                throw new IllegalArgumentException("not a bit table: " + request.table());
          };
      if (bits == null || bits.size() < request.count()) {
        throw new ModbusIOException("short answer: asked " + request.count() + " bits");
      }
      boolean[] out = new boolean[request.count()];
      for (int i = 0; i < out.length; i++) {
        out[i] = bits.getBit(i);
      }
      return out;
    });
  }

  @Override
  public void writeRegisters(int address, short[] words) throws ModbusFault {
    call(m -> {
      if (words.length == 1) {
        m.writeSingleRegister(unitId, address, new SimpleRegister(words[0] & 0xFFFF));
      } else {
        Register[] regs = new Register[words.length];
        for (int i = 0; i < words.length; i++) {
          regs[i] = new SimpleRegister(words[i] & 0xFFFF);
        }
        m.writeMultipleRegisters(unitId, address, regs);
      }
      return null;
    });
  }

  @Override
  public void writeCoil(int address, boolean value) throws ModbusFault {
    call(m -> m.writeCoil(unitId, address, value));
  }

  @Override
  public short readHolding(int address) throws ModbusFault {
    return call(m -> m.readMultipleRegisters(unitId, address, 1)[0].toShort());
  }

  /**
   * Sends a read and returns its answer, checked: j2mod's facade accepts an answer that names
   * another unit id and returns its values, which on a gateway or a shared line would attribute one
   * device's data to another.
   */
  private ModbusResponse exchange(AbstractModbusMaster master, ModbusRequest request)
      throws ModbusException {
    request.setUnitID(unitId);
    ModbusTransaction tx = master.getTransport().createTransaction();
    tx.setRequest(request);
    tx.setRetries(1);
    tx.setCheckingValidity(true);
    tx.execute();
    ModbusResponse response = tx.getResponse();
    if (response == null) {
      throw new ModbusIOException("no answer");
    }
    // j2mod does not check the MBAP protocol id: a frame of another protocol (id not 0) would be
    // read as registers. (Serial frames carry no protocol id; j2mod leaves it at 0 there.)
    if (response.getProtocolID() != 0) {
      throw new MismatchedAnswer(
          "answer has MBAP protocol id " + response.getProtocolID() + ", Modbus is 0");
    }
    if (response.getUnitID() != unitId) {
      throw new MismatchedAnswer(
          "answer names unit " + response.getUnitID() + ", the request was for unit " + unitId);
    }
    if (response instanceof com.ghgande.j2mod.modbus.msg.ExceptionResponse e) {
      throw new ModbusSlaveException(e.getExceptionCode());
    }
    if (response.getFunctionCode() != request.getFunctionCode()) {
      throw new MismatchedAnswer(
          "answer has function "
              + response.getFunctionCode()
              + ", the request "
              + request.getFunctionCode());
    }
    return response;
  }

  private <T> T call(Call<T> call) throws ModbusFault {
    lock.lock();
    try {
      if (master == null || !master.isConnected()) {
        connect();
      }
      try {
        return call.run(master);
      } catch (ModbusSlaveException e) {
        throw new ModbusFault(
            Kind.EXCEPTION_RESPONSE,
            e.getType(),
            deviceId + ": exception response " + e.getType() + " (" + e.getMessage() + ")",
            e);
      } catch (ModbusException e) {
        ModbusFault fault = classify(e);
        if (fault.kind() != Kind.TIMEOUT || reconnectOnTimeout) {
          // The stream is at an unknown position: start clean on the next request.
          dropMaster();
        }
        throw fault;
      } catch (RuntimeException e) {
        // j2mod surfaces some framing problems of malformed answers as runtime exceptions.
        dropMaster();
        throw new ModbusFault(Kind.CRC, 0, deviceId + ": malformed answer: " + e, e);
      } finally {
        afterRequest.run();
      }
    } finally {
      lock.unlock();
    }
  }

  private void connect() throws ModbusFault {
    dropMaster();
    AbstractModbusMaster fresh = masters.get();
    try {
      fresh.connect();
      // j2mod makes a new transaction in connect() with its default of 5 retries; a single
      // attempt keeps a dead device to one timeout per poll. Retrying is the poller's job.
      fresh.setRetries(1);
      fresh.setCheckingValidity(true);
    } catch (Exception e) {
      fresh.disconnect();
      throw new ModbusFault(Kind.DISCONNECTED, 0, deviceId + ": cannot connect: " + e, e);
    }
    master = fresh;
  }

  private ModbusFault classify(ModbusException e) {
    String text = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    Kind kind;
    if (e instanceof MismatchedAnswer || text.contains("crc") || text.contains("checksum")) {
      kind = Kind.CRC;
    } else if (text.contains("timeout") || text.contains("timed out")) {
      kind = Kind.TIMEOUT;
    } else if (e instanceof ModbusIOException io && io.isEOF()) {
      kind = Kind.DISCONNECTED;
    } else if (text.contains("failed") || text.contains("read")) {
      // j2mod reports a missing answer as "Executing transaction failed (tried 1 times)".
      kind = Kind.TIMEOUT;
    } else {
      kind = Kind.DISCONNECTED;
    }
    return new ModbusFault(kind, 0, deviceId + ": " + e.getMessage(), e);
  }

  private void dropMaster() {
    if (master != null) {
      master.disconnect();
      master = null;
    }
  }

  @Override
  public void disconnect() {
    lock.lock();
    try {
      dropMaster();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    disconnect();
  }
}
