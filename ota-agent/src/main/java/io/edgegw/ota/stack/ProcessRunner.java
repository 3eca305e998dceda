package io.edgegw.ota.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external program with a deadline and returns its output; a non-zero exit or an overrun is
 * an {@link IOException} carrying the command and the end of its output.
 */
public final class ProcessRunner {
  private static final int OUTPUT_TAIL = 2000;

  private final Map<String, String> environment;
  private final Duration timeout;

  /**
   * @param environment variables added to the inherited environment (e.g. {@code CONTAINERS_CONF})
   * @param timeout longest a call may take
   */
  public ProcessRunner(Map<String, String> environment, Duration timeout) {
    this.environment = Map.copyOf(environment);
    this.timeout = timeout;
  }

  /** Runs {@code command} in {@code directory}; returns its standard output and error. */
  public String run(List<String> command, Path directory) throws IOException {
    Path out = Files.createTempFile("ota-cmd-", ".log");
    try {
      ProcessBuilder b =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      if (directory != null) {
        b.directory(directory.toFile());
      }
      b.environment().putAll(environment);
      Process p;
      try {
        p = b.start();
      } catch (IOException e) {
        throw new IOException("cannot run " + command.getFirst() + ": " + e.getMessage(), e);
      }
      boolean done;
      try {
        done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while running " + String.join(" ", command), e);
      }
      String output = Files.readString(out, StandardCharsets.UTF_8);
      if (!done) {
        p.destroyForcibly();
        throw new IOException(
            String.join(" ", command) + " took longer than " + timeout + ": " + tail(output));
      }
      if (p.exitValue() != 0) {
        throw new IOException(
            String.join(" ", command)
                + " failed with exit code "
                + p.exitValue()
                + ": "
                + tail(output));
      }
      return output;
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private static String tail(String output) {
    String trimmed = output.strip();
    return trimmed.length() <= OUTPUT_TAIL
        ? trimmed
        : "..." + trimmed.substring(trimmed.length() - OUTPUT_TAIL);
  }
}
