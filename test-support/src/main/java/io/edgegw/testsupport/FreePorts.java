package io.edgegw.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

/** Loopback ports for test components. */
public final class FreePorts {
  private FreePorts() {}

  /** A port on 127.0.0.1 that was free a moment ago. */
  public static int loopback() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  /** Whether something accepts TCP connections on 127.0.0.1:port. */
  public static boolean accepting(int port) {
    try (Socket s = new Socket()) {
      s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Waits until 127.0.0.1:port accepts, or fails after the deadline with {@code what}. */
  public static void awaitAccepting(int port, Duration deadline, String what) {
    long end = System.nanoTime() + deadline.toNanos();
    while (!accepting(port)) {
      if (System.nanoTime() > end) {
        throw new IllegalStateException(
            what + " did not accept on 127.0.0.1:" + port + " within " + deadline);
      }
      Thread.onSpinWait();
      java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
    }
  }
}
