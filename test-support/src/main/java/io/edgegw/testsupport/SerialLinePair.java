package io.edgegw.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A pair of connected pseudo-terminals made by {@code socat}, standing in for an RS-485 line: the
 * gateway opens one end, a simulated RTU device the other.
 */
public final class SerialLinePair implements AutoCloseable {
  private final Path dir;
  private final Process socat;
  private final Path gateway;
  private final Path device;

  private SerialLinePair() {
    Path bin = Binaries.find("socat", "socat");
    try {
      dir = Files.createTempDirectory("serial");
      Path a = dir.resolve("ttyGW");
      Path b = dir.resolve("ttyDEV");
      socat =
          new ProcessBuilder(
                  bin.toString(),
                  "-d",
                  "-d",
                  "pty,raw,echo=0,link=" + a,
                  "pty,raw,echo=0,link=" + b)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("socat.log").toFile())
              .start();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!(Files.exists(a) && Files.exists(b))) {
        if (!socat.isAlive() || System.nanoTime() > end) {
          throw new IllegalStateException(
              "socat did not create the pty pair: " + Files.readString(dir.resolve("socat.log")));
        }
        java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
      }
      // jSerialComm opens the resolved /dev/pts/N path more reliably than a symlink.
      gateway = a.toRealPath();
      device = b.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a pty pair", e);
    }
  }

  /** Opens a new pair. */
  public static SerialLinePair open() {
    return new SerialLinePair();
  }

  /** The end the gateway opens. */
  public String gatewaySide() {
    return gateway.toString();
  }

  /** The end the simulated device opens. */
  public String deviceSide() {
    return device.toString();
  }

  @Override
  public void close() {
    socat.destroy();
    try {
      socat.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    TempDirs.delete(dir);
  }
}
