package io.edgegw.observability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Debian program this module's tests start (Prometheus, node-exporter) or run to completion
 * (promtool), found on the PATH or in /usr/bin and /usr/sbin, with a clear message naming the
 * package to install when it is missing. A started program logs to a file and is killed by a JVM
 * shutdown hook if the test forgets to close it.
 */
final class ExternalProgram implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;
  private final Thread killOnExit;

  private ExternalProgram(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.killOnExit = new Thread(process::destroyForcibly, name + "-kill-on-exit");
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /** The executable {@code name} from the Debian package {@code debianPackage}. */
  static Path find(String name, String debianPackage) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/sbin:/bin:/sbin";
    for (String dir : path.split(":")) {
      if (dir.isBlank()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        name
            + " not found on PATH or in /usr/bin, /usr/sbin; install the Debian package "
            + debianPackage
            + " (apt-get install -y "
            + debianPackage
            + ", which bin/gateway test does)");
  }

  /** Starts {@code command} in {@code directory}, its output appended to {@code log}. */
  static ExternalProgram start(String name, List<String> command, Path directory, Path log) {
    try {
      Process p =
          new ProcessBuilder(command)
              .directory(directory.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .start();
      return new ExternalProgram(name, p, log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
    }
  }

  /** The outcome of a program run to completion. */
  record Run(int exitCode, String output) {}

  /** Runs {@code command} to completion within {@code timeout}. */
  static Run run(List<String> command, Path directory, Duration timeout) {
    try {
      Process p =
          new ProcessBuilder(command)
              .directory(directory.toFile())
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .start();
      // Short outputs only (promtool reports), which fit in the pipe buffer.
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(command.getFirst() + " did not finish within " + timeout);
      }
      return new Run(
          p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command.getFirst(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command.getFirst(), e);
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The end of the program's log, headed by its name and exit state, for failure messages. */
  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
      return "--- "
          + name
          + (process.isAlive() ? " (running)" : " (exited " + process.exitValue() + ")")
          + ", "
          + log
          + " ---\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException e) {
      // the JVM is shutting down; the hook finds the process gone
    }
  }
}
