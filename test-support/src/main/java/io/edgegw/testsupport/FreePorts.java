package io.edgegw.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Hands out TCP ports that are free on 127.0.0.1 at the moment of the call.
 *
 * <p>The port is released before it is returned, so another process can take it in between. The
 * launchers in this package therefore retry once or twice with a new port when a bind fails.
 */
public final class FreePorts {

  private FreePorts() {}

  /** Returns a TCP port that nothing listens on at 127.0.0.1 right now. */
  public static int loopback() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind an ephemeral port on 127.0.0.1", e);
    }
  }
}
