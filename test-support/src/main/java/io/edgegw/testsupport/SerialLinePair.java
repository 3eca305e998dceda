package io.edgegw.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Two connected pseudo-terminals made by {@code socat}, standing in for an RS-485 line: what one
 * side writes, the other side reads. The gateway opens {@link #gatewaySide()}, a simulated device
 * opens {@link #deviceSide()}. Both are symbolic links in a temporary directory to {@code
 * /dev/pts/N}; jSerialComm resolves the link itself, so the link path can be given to j2mod.
 *
 * <p>Either side can be closed and opened again while the pair lives. See {@link LineSettings} for
 * the parity and baud rates a pty accepts. Costs one {@code socat} process and no JVM threads.
 */
public final class SerialLinePair implements AutoCloseable {

  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STOP_GRACE = Duration.ofSeconds(5);

  private final ScratchDirectory scratch;
  private final ChildProcess socat;

  private SerialLinePair(ScratchDirectory scratch, ChildProcess socat) {
    this.scratch = scratch;
    this.socat = socat;
  }

  /**
   * Starts socat and returns once both pty links exist.
   *
   * @throws IllegalStateException if socat is not installed or does not set the ptys up
   */
  public static SerialLinePair open() {
    Path binary = BinaryLocator.find("socat", "socat");
    ScratchDirectory scratch = ScratchDirectory.create("serial-line-");
    Path gateway = scratch.resolve("ttyGW");
    Path device = scratch.resolve("ttyDEV");
    Path output = scratch.resolve("socat.log");
    ChildProcess socat = null;
    try {
      socat =
          ChildProcess.start(
              "socat",
              List.of(
                  binary.toString(),
                  "-d",
                  "-d",
                  "pty,raw,echo=0,link=" + gateway,
                  "pty,raw,echo=0,link=" + device),
              scratch.path(),
              output);
      ChildProcess started = socat;
      started.awaitReady(
          "socat pty links " + gateway + " and " + device,
          STARTUP_TIMEOUT,
          () ->
              Files.exists(gateway)
                  && Files.exists(device)
                  && ChildProcess.tail(output, 20).contains("starting data transfer loop"),
          () -> "--- socat output ---\n" + started.outputTail(20));
      return new SerialLinePair(scratch, socat);
    } catch (RuntimeException e) {
      if (socat != null) {
        socat.kill();
      }
      scratch.close();
      throw e;
    }
  }

  /** The pty the gateway opens (a symbolic link to {@code /dev/pts/N}). */
  public Path gatewaySide() {
    return scratch.resolve("ttyGW");
  }

  /** The pty the simulated device opens (a symbolic link to {@code /dev/pts/N}). */
  public Path deviceSide() {
    return scratch.resolve("ttyDEV");
  }

  /** Stops socat, which removes both ptys, and deletes the temporary directory. */
  @Override
  public void close() {
    try {
      socat.stop(STOP_GRACE);
    } finally {
      scratch.close();
    }
  }
}
