package io.edgegw.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * An external program started by a launcher, with its stdout and stderr appended to a log file.
 *
 * <p>A JVM shutdown hook kills the program if the test forgets to, so no broker or socat outlives
 * the test JVM.
 */
final class ChildProcess {

  private static final Duration POLL_INTERVAL = Duration.ofMillis(20);

  private final String name;
  private final Process process;
  private final Path output;
  private final Thread killOnExit;

  private ChildProcess(String name, Process process, Path output) {
    this.name = name;
    this.process = process;
    this.output = output;
    this.killOnExit = new Thread(process::destroyForcibly, name + "-kill-on-exit");
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /** Starts {@code command}, appending its combined output to {@code output}. */
  static ChildProcess start(String name, List<String> command, Path workingDirectory, Path output) {
    try {
      Process process =
          new ProcessBuilder(command)
              .directory(workingDirectory.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .start();
      return new ChildProcess(name, process, output);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
    }
  }

  /**
   * Runs {@code command} to completion and returns its output.
   *
   * @throws IllegalStateException with the output when it exits non-zero or overruns the timeout
   */
  static String run(List<String> command, Duration timeout) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().close();
      // Only for short-lived tools with a few lines of output, which fit in the pipe buffer.
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(command.getFirst() + " did not finish within " + timeout);
      }
      String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            command.getFirst() + " exited with " + process.exitValue() + ": " + text.strip());
      }
      return text;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command.getFirst(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command.getFirst(), e);
    }
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Polls {@code ready} until it holds, failing at once if the program exits first.
   *
   * @param what the thing being waited for, for the error message
   * @param diagnostics text appended to the error, typically log tails
   */
  void awaitReady(
      String what, Duration timeout, BooleanSupplier ready, Supplier<String> diagnostics) {
    try {
      Awaitility.await(what)
          .atMost(timeout)
          .pollDelay(Duration.ZERO)
          .pollInterval(POLL_INTERVAL)
          .pollInSameThread()
          .until(() -> {
            if (!process.isAlive()) {
              throw new IllegalStateException(
                  name
                      + " exited with code "
                      + process.exitValue()
                      + " before "
                      + what
                      + "\n"
                      + diagnostics.get());
            }
            return ready.getAsBoolean();
          });
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException(
          what + " did not happen within " + timeout + "\n" + diagnostics.get(), e);
    }
  }

  /**
   * Sends SIGTERM and waits for the exit; sends SIGKILL if the program overruns the grace period.
   *
   * @return true when the program exited on SIGTERM within the grace period
   */
  boolean stop(Duration grace) {
    process.destroy();
    boolean clean = waitForExit(grace);
    if (!clean) {
      kill();
    }
    forgetShutdownHook();
    return clean;
  }

  /** Sends SIGKILL and waits for the exit. */
  void kill() {
    process.destroyForcibly();
    if (!waitForExit(Duration.ofSeconds(10))) {
      throw new IllegalStateException(name + " (pid " + process.pid() + ") survived SIGKILL");
    }
    forgetShutdownHook();
  }

  /** The last {@code lines} lines the program wrote to stdout or stderr. */
  String outputTail(int lines) {
    return tail(output, lines);
  }

  /** The last {@code lines} lines of a text file, or a note that it does not exist. */
  static String tail(Path file, int lines) {
    if (!Files.exists(file)) {
      return "(" + file + " does not exist)";
    }
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  private boolean waitForExit(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void forgetShutdownHook() {
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down; the hook runs and finds the process gone
    }
  }
}
