package io.edgegw.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the repository's scripts or tools to its end, with its output kept apart per stream,
 * so that a test can assert what it printed (and what it must never print, such as a secret).
 */
final class Script {

  /** How a run ended. */
  record Result(List<String> command, int exitCode, String stdout, String stderr) {
    /** This result, or an assertion error naming the command and its output. */
    Result assertSucceeded() {
      if (exitCode != 0) {
        throw new AssertionError(
            String.join(" ", command)
                + " exited with "
                + exitCode
                + "\n--- stdout ---\n"
                + stdout
                + "\n--- stderr ---\n"
                + stderr);
      }
      return this;
    }
  }

  private Script() {}

  /** The repository's root, as the build passes it (system property {@code repository.root}). */
  static Path root() {
    String root = System.getProperty("repository.root");
    if (root == null || !Files.isDirectory(Path.of(root, "podman"))) {
      throw new IllegalStateException(
          "system property repository.root is " + root + "; run these tests through Maven");
    }
    return Path.of(root).toAbsolutePath().normalize();
  }

  /** Runs {@code command} in {@code directory} with {@code environment} added to this one's. */
  static Result run(
      List<String> command, Path directory, Map<String, String> environment, Duration timeout) {
    try {
      Path out = Files.createTempFile("script-", ".out");
      Path err = Files.createTempFile("script-", ".err");
      try {
        ProcessBuilder builder =
            new ProcessBuilder(command)
                .directory(directory.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly().waitFor();
          throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
        }
        return new Result(
            command,
            process.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command, e);
    }
  }

  /** Runs podman/provision.sh into {@code secrets} with the given options. */
  static Result provision(Path secrets, String... options) {
    List<String> command =
        new java.util.ArrayList<>(List.of(root().resolve("podman/provision.sh").toString()));
    command.addAll(List.of(options));
    command.add(secrets.toString());
    return run(command, root(), Map.of(), Duration.ofSeconds(60));
  }
}
