package io.edgegw.bridge.modbus;

/**
 * Requests to one device: its own TCP connection, or its unit id on a shared RTU line. A channel
 * connects lazily and reconnects after a failure. Calls are serialised by the implementation.
 */
public interface ModbusChannel extends AutoCloseable {

  /** Reads 16-bit registers of {@link io.edgegw.bridge.Table#HOLDING} or INPUT. */
  short[] readRegisters(ReadRequest request) throws ModbusFault;

  /** Reads bits of {@link io.edgegw.bridge.Table#COIL} or DISCRETE_INPUT. */
  boolean[] readBits(ReadRequest request) throws ModbusFault;

  /** Writes holding registers starting at {@code address} (function 16, or 6 for one word). */
  void writeRegisters(int address, short[] words) throws ModbusFault;

  /** Writes one coil (function 5). */
  void writeCoil(int address, boolean value) throws ModbusFault;

  /** Reads one holding register, for read-modify-write of a bit. */
  short readHolding(int address) throws ModbusFault;

  /** Drops the connection; the next request reconnects. */
  void disconnect();

  @Override
  void close();
}
