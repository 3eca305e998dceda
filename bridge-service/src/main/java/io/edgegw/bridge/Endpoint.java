package io.edgegw.bridge;

/** Where a device is reached: its own TCP connection, or a unit id on a shared RTU bus. */
public sealed interface Endpoint {

  /**
   * Modbus TCP.
   *
   * @param host name or address
   * @param port TCP port, usually 502
   */
  record Tcp(String host, int port) implements Endpoint {
    public Tcp {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("tcp host is required");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("tcp port must be 1..65535, got " + port);
      }
    }
  }

  /**
   * Modbus RTU on a serial line declared under {@code rtuBuses}.
   *
   * @param busId id of the bus
   */
  record Rtu(String busId) implements Endpoint {
    public Rtu {
      if (busId == null || busId.isBlank()) {
        throw new IllegalArgumentException("rtu bus id is required");
      }
    }
  }
}
