package io.edgegw.buffer;

import static org.awaitility.Awaitility.await;

import io.edgegw.testsupport.FreePorts;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.PostgresServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The packaged buffer-service ({@code target/quarkus-app/quarkus-run.jar}, named by the system
 * property {@code buffer.app.jar} that failsafe sets) as a child JVM, for tests that kill it or
 * squeeze its heap.
 *
 * <p>Each instance has its own temporary directory with a generated API token (mode 0600) and the
 * log of every run; the HTTP port stays the same across {@link #kill()} and {@link #start()}. The
 * database and bus passwords go to the child in its environment ({@code
 * QUARKUS_DATASOURCE_PASSWORD}, {@code BUFFER_BUS_PASSWORD}), not on its command line, which any
 * local user can read in {@code ps}. Neither they nor the token are ever printed.
 */
final class BufferProcess implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(10);
  private static final int LOG_TAIL_LINES = 60;

  /** 128 + SIGKILL: how a process ended by SIGKILL exits. */
  static final int SIGKILL_EXIT = 137;

  private final Path dir;
  private final Path log;
  private final Path keptLog;
  private final List<String> command;
  private final Map<String, String> secrets;
  private final int httpPort;
  private final String token;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private Process process;
  private Thread killOnExit;
  private int runs;

  private BufferProcess(
      Path dir,
      Path keptLog,
      List<String> command,
      Map<String, String> secrets,
      int port,
      String token) {
    this.dir = dir;
    this.log = dir.resolve("buffer-service.log");
    this.keptLog = keptLog;
    this.command = command;
    this.secrets = secrets;
    this.httpPort = port;
    this.token = token;
  }

  /**
   * Starts the service with a heap of {@code heap} ({@code -Xmx}, e.g. {@code 64m}) against the
   * database {@code database} of {@code pg} and the broker's user {@code buffer}. It runs in the
   * prod profile with plain-text logs, a 50 ms ingest delay and maintenance only at startup (every
   * hour). Call {@link #awaitReady()} next.
   */
  static BufferProcess start(
      PostgresServer pg, String database, MosquittoBroker broker, String heap) {
    String jar = System.getProperty("buffer.app.jar");
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException(
          "buffer.app.jar is "
              + jar
              + "; run the *ProcessIT tests with failsafe after packaging (mvn verify -pl"
              + " buffer-service -am)");
    }
    try {
      Path dir = Files.createTempDirectory("buffer-process");
      byte[] raw = new byte[24];
      new SecureRandom().nextBytes(raw);
      String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
      Path tokenFile = dir.resolve("api-token");
      Files.createFile(
          tokenFile,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tokenFile, token + "\n");
      int port = FreePorts.loopback();
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx" + heap);
      // An exhausted heap ends the process, so a test sees it dead instead of half working.
      command.add("-XX:+ExitOnOutOfMemoryError");
      command.add("-Dquarkus.http.port=" + port);
      command.add("-Dquarkus.datasource.jdbc.url=" + pg.jdbcUrl(database));
      command.add("-Dquarkus.datasource.username=" + pg.username());
      command.add("-Dbuffer.bus.port=" + broker.port());
      command.add("-Dbuffer.api.token-file=" + tokenFile);
      command.add("-Dbuffer.devices-file=" + dir.resolve("devices.yaml"));
      command.add("-Dbuffer.ingest.max-delay=50ms");
      command.add("-Dbuffer.store.maintenance-interval=1h");
      command.add("-Dquarkus.log.console.json.enabled=false");
      command.add("-jar");
      command.add(jar);
      Map<String, String> secrets =
          Map.of(
              "QUARKUS_DATASOURCE_PASSWORD", pg.password(),
              "BUFFER_BUS_PASSWORD", broker.password("buffer"));
      // target/process-logs/, next to target/quarkus-app/
      Path keptLog =
          Path.of(jar)
              .toAbsolutePath()
              .getParent()
              .resolveSibling("process-logs")
              .resolve(dir.getFileName() + ".log");
      BufferProcess p = new BufferProcess(dir, keptLog, List.copyOf(command), secrets, port, token);
      p.start();
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the buffer-service process", e);
    }
  }

  /** Starts the JVM again with the same settings, appending to the same log. */
  synchronized void start() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("buffer-service is running already (pid " + pid() + ")");
    }
    if (killOnExit != null) {
      forgetShutdownHook();
    }
    try {
      runs++;
      Files.writeString(
          log,
          "=== test: start " + runs + " of buffer-service ===\n",
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      // Settings of the surrounding shell must not leak into the service under test.
      builder
          .environment()
          .keySet()
          .removeIf(k -> k.startsWith("QUARKUS_") || k.startsWith("BUFFER_"));
      builder.environment().putAll(secrets);
      process = builder.start();
      Process started = process;
      killOnExit = new Thread(started::destroyForcibly, "buffer-service-kill-on-exit");
      Runtime.getRuntime().addShutdownHook(killOnExit);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command.getFirst(), e);
    }
  }

  /**
   * Waits until {@code GET /q/health/ready} answers 200: the schema is migrated, the bus session is
   * up and the store is writable. Fails at once, with the log, when the process exits first.
   */
  void awaitReady() {
    try {
      await("buffer-service ready on 127.0.0.1:" + httpPort)
          .atMost(READY_TIMEOUT)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> {
            Process p = process;
            if (!p.isAlive()) {
              throw new AssertionError(
                  "buffer-service exited with code "
                      + p.exitValue()
                      + " before it was ready\n"
                      + logTail());
            }
            return healthStatus() == 200;
          });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "buffer-service was not ready within " + READY_TIMEOUT + "\n" + logTail(), e);
    }
  }

  /** The HTTP status of {@code GET /q/health/ready}, or -1 when nothing answers. */
  int healthStatus() {
    try {
      return http.send(
              HttpRequest.newBuilder(uri("/q/health/ready")).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /**
   * Sends SIGKILL ({@link Process#destroyForcibly()} is {@code kill(pid, SIGKILL)} on Linux) and
   * waits for the exit; asserts the exit status 137 that only SIGKILL gives, so the service had no
   * chance to run a shutdown hook.
   */
  synchronized void kill() {
    Process p = process;
    p.destroyForcibly();
    try {
      if (!p.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("buffer-service (pid " + p.pid() + ") survived SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for buffer-service to die", e);
    }
    if (p.exitValue() != SIGKILL_EXIT) {
      throw new AssertionError(
          "buffer-service exited with " + p.exitValue() + ", not by SIGKILL\n" + logTail());
    }
    forgetShutdownHook();
  }

  boolean isAlive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** The HTTP port on 127.0.0.1; the same after a restart. */
  int port() {
    return httpPort;
  }

  /** {@code http://127.0.0.1:<port><pathAndQuery>}. */
  URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + httpPort + pathAndQuery);
  }

  /** A GET of the query API with the bearer token. */
  HttpRequest.Builder api(String pathAndQuery) {
    return HttpRequest.newBuilder(uri(pathAndQuery))
        .header("Authorization", "Bearer " + token)
        .timeout(Duration.ofSeconds(60));
  }

  /** The HTTP/1.1 client used for this process. */
  HttpClient http() {
    return http;
  }

  /**
   * The value of a counter or gauge without labels in {@code /q/metrics}, e.g. {@code
   * buffer_ingest_samples_total}.
   */
  double metric(String name) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(uri("/q/metrics")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    return r.body()
        .lines()
        .filter(l -> l.startsWith(name + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1).strip()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no metric " + name + " in /q/metrics"));
  }

  /** The whole log of all runs so far. */
  String log() {
    try {
      return Files.readString(log, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  /** The last lines of the log, for failure messages. */
  String logTail() {
    List<String> lines = log().lines().toList();
    return "--- "
        + log
        + " (last "
        + LOG_TAIL_LINES
        + " lines) ---\n"
        + String.join(
            "\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
  }

  /**
   * Kills the service if it runs, keeps its log as {@code target/process-logs/<name>.log} and
   * deletes its directory (token and log).
   */
  @Override
  public synchronized void close() {
    if (isAlive()) {
      kill();
    }
    try {
      Files.createDirectories(keptLog.getParent());
      Files.copy(log, keptLog, StandardCopyOption.REPLACE_EXISTING);
      System.out.println("buffer-service log kept in " + keptLog);
    } catch (IOException e) {
      System.out.println("buffer-service log not kept: " + e);
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }

  private void forgetShutdownHook() {
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException e) {
      // the JVM is shutting down; the hook finds the process gone
    }
  }
}
