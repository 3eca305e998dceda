package io.edgegw.testsupport;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A packaged Quarkus service ({@code target/quarkus-app/quarkus-run.jar}) as a child JVM, for tests
 * that kill it, restart it, squeeze its heap or run several services together.
 *
 * <pre>{@code
 * try (ServiceProcess buffer =
 *     ServiceProcess.builder("buffer-service", jar)
 *         .heap("128m")
 *         .property("buffer.bus.port", String.valueOf(broker.port()))
 *         .fileProperty("buffer.devices-file", "devices.yaml")
 *         .secret("BUFFER_BUS_PASSWORD", broker.password("buffer"))
 *         .clearEnvironmentPrefix("BUFFER_")
 *         .start()) {
 *   buffer.awaitReady();
 *   buffer.kill();
 *   buffer.start();
 *   buffer.awaitReady();
 * }
 * }</pre>
 *
 * <p>Each instance has its own temporary {@link #directory()}, which is also the child's working
 * directory unless {@link Builder#workDirectory(Path)} names another. The HTTP port, a free one on
 * 127.0.0.1, and the log, which collects the output of every run, stay the same across {@link
 * #kill()} or {@link #stop()} and {@link #start()}. On {@link #close()} the log is kept as {@code
 * target/process-logs/<name>-<unique>.log} (next to {@code target/quarkus-app/}) and the directory
 * is deleted.
 *
 * <p>Secrets ({@link Builder#secret(String, String)}) reach the child in its environment only:
 * never on its command line, which any local user can read in {@code ps}, and never in a message.
 * Variables starting with {@code QUARKUS_} or a prefix given to {@link
 * Builder#clearEnvironmentPrefix(String)} are removed from the environment the child inherits, so
 * settings of the surrounding shell do not leak into the service under test.
 *
 * <p>The child runs in the prod profile with plain-text logs and {@code
 * -XX:+ExitOnOutOfMemoryError}: a service that runs out of heap ends, so a test sees it dead
 * instead of half working. A JVM shutdown hook kills the child if the test forgets to.
 */
public final class ServiceProcess implements AutoCloseable {

  /** 128 + SIGKILL: how a process ended by SIGKILL exits. */
  public static final int SIGKILL_EXIT = 137;

  private static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration STOP_GRACE = Duration.ofSeconds(20);
  private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration PROBE_INTERVAL = Duration.ofMillis(100);
  private static final int BIND_ATTEMPTS = 3;
  private static final int LOG_TAIL_LINES = 60;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern HEAP = Pattern.compile("[1-9][0-9]*[kKmMgG]?");
  private static final String PORT_PROPERTY = "quarkus.http.port";

  /**
   * Ports held by the instances in this JVM. A port is free when it is chosen, not when the child
   * binds it seconds later: a second service in the same test could get the same one, and the first
   * would then answer the second's readiness probe.
   */
  private static final Set<Integer> PORTS_IN_USE = ConcurrentHashMap.newKeySet();

  private final String name;
  private final Path jar;
  private final ScratchDirectory scratch;
  private final Path workDirectory;
  private final Path log;
  private final Path keptLog;
  private final List<String> jvmOptions;
  private final Map<String, String> properties;
  private final Map<String, String> secrets;
  private final List<String> clearedPrefixes;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private volatile int port;
  private volatile Process process;
  private Thread killOnExit;
  private int runs;
  private long runLogStart;
  private boolean everReady;
  private boolean closed;

  private ServiceProcess(Builder b, ScratchDirectory scratch) {
    this.name = b.name;
    this.jar = b.jar;
    this.scratch = scratch;
    this.workDirectory = b.workDirectory == null ? scratch.path() : b.workDirectory;
    this.log = scratch.resolve(name + ".log");
    // <jar dir>/../process-logs/, i.e. target/process-logs/ next to target/quarkus-app/
    this.keptLog =
        jar.getParent()
            .resolveSibling("process-logs")
            .resolve(scratch.path().getFileName() + ".log");
    this.jvmOptions = List.copyOf(b.jvmOptions);
    Map<String, String> props = new LinkedHashMap<>();
    b.properties.forEach((key, value) -> props.put(key, value.resolve(scratch.path())));
    this.properties = props;
    this.secrets = Map.copyOf(b.secrets);
    this.clearedPrefixes = List.copyOf(b.clearedPrefixes);
    this.port = freePort();
  }

  /**
   * A builder for the service {@code name} (it names the log and the temporary directory) packaged
   * as {@code jar}, typically {@code <module>/target/quarkus-app/quarkus-run.jar}.
   */
  public static Builder builder(String name, Path jar) {
    return new Builder(name, jar);
  }

  /**
   * Starts the JVM, the first time or again after {@link #kill()}, {@link #stop()} or an exit of
   * its own: same settings, same port, appending to the same log. Returns at once; call {@link
   * #awaitReady()} next.
   *
   * @throws IllegalStateException if it is running already or has been closed
   */
  public synchronized ServiceProcess start() {
    if (closed) {
      throw new IllegalStateException(name + " has been closed");
    }
    if (isAlive()) {
      throw new IllegalStateException(name + " is running already (pid " + pid() + ")");
    }
    forgetShutdownHook();
    try {
      runs++;
      runLogStart = Files.exists(log) ? Files.size(log) : 0;
      Files.writeString(
          log,
          "=== test: start " + runs + " of " + name + " on 127.0.0.1:" + port + " ===\n",
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      ProcessBuilder builder =
          new ProcessBuilder(command())
              .directory(workDirectory.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      Map<String, String> environment = builder.environment();
      environment.clear();
      environment.putAll(environment(System.getenv()));
      Process started = builder.start();
      process = started;
      killOnExit = new Thread(started::destroyForcibly, name + "-kill-on-exit");
      Runtime.getRuntime().addShutdownHook(killOnExit);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + " from " + jar, e);
    }
  }

  /**
   * Sends SIGKILL ({@link Process#destroyForcibly()} is {@code kill(pid, SIGKILL)} on Linux) and
   * waits for the exit.
   *
   * @throws AssertionError unless it exits with {@link #SIGKILL_EXIT}, the status only SIGKILL
   *     gives, so the service had no chance to run a shutdown hook
   */
  public synchronized void kill() {
    Process p = running("kill");
    p.destroyForcibly();
    if (!waitFor(p, KILL_TIMEOUT)) {
      throw new AssertionError(name + " (pid " + p.pid() + ") survived SIGKILL");
    }
    forgetShutdownHook();
    if (p.exitValue() != SIGKILL_EXIT) {
      throw new AssertionError(
          name + " exited with " + p.exitValue() + ", not by SIGKILL\n" + logTail());
    }
  }

  /**
   * Sends SIGTERM, as systemd does, and waits up to 20 s for the service to shut down.
   *
   * @return the exit code (a JVM ended by SIGTERM after its shutdown hooks exits with 143)
   * @throws AssertionError with the log's end if it overran the 20 s; it is then killed
   */
  public synchronized int stop() {
    Process p = running("stop");
    p.destroy();
    if (!waitFor(p, STOP_GRACE)) {
      p.destroyForcibly();
      waitFor(p, KILL_TIMEOUT);
      forgetShutdownHook();
      throw new AssertionError(
          name + " did not exit within " + STOP_GRACE + " of SIGTERM; killed\n" + logTail());
    }
    forgetShutdownHook();
    return p.exitValue();
  }

  /** Waits for readiness for up to 90 s; see {@link #awaitReady(Duration)}. */
  public void awaitReady() {
    awaitReady(DEFAULT_READY_TIMEOUT);
  }

  /**
   * Waits until {@code GET /q/health/ready} answers 200. When another process took the port between
   * its choice and the first start, starts again on a new one (twice at most).
   *
   * @throws AssertionError with the log's end when the deadline passes or, at once, when the
   *     process exits first
   */
  public void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int attempt = 1;
    while (true) {
      Process p = running("await readiness of");
      if (!p.isAlive()) {
        if (lostPortRace() && attempt < BIND_ATTEMPTS) {
          attempt++;
          int lost = port;
          port = freePort();
          PORTS_IN_USE.remove(lost);
          start();
          continue;
        }
        forgetShutdownHook();
        throw new AssertionError(
            name + " exited with code " + p.exitValue() + " before it was ready\n" + logTail());
      }
      if (healthStatus() == 200) {
        synchronized (this) {
          everReady = true;
        }
        return;
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError(
            name + " was not ready on 127.0.0.1:" + port + " within " + timeout + "\n" + logTail());
      }
      // Between probes, wait on the process itself: its exit ends the wait at once.
      waitFor(p, PROBE_INTERVAL);
    }
  }

  /**
   * Waits for the process to end by itself, for tests of a service that must refuse to start.
   *
   * @return its exit code
   * @throws AssertionError with the log's end if it still runs after {@code timeout}
   */
  public int awaitExit(Duration timeout) {
    Process p = running("await the exit of");
    if (!waitFor(p, timeout)) {
      throw new AssertionError(
          name + " (pid " + p.pid() + ") still runs after " + timeout + "\n" + logTail());
    }
    forgetShutdownHook();
    return p.exitValue();
  }

  /** The HTTP status of {@code GET /q/health/ready}, or -1 when nothing answers. */
  public int healthStatus() {
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

  /** True while the JVM of the latest {@link #start()} runs. */
  public boolean isAlive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** The pid of the latest {@link #start()}. */
  public long pid() {
    return running("ask the pid of").pid();
  }

  /**
   * The HTTP port on 127.0.0.1; the same across restarts (it changes only when the first start lost
   * the port to another process, see {@link #awaitReady(Duration)}).
   */
  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:<port><pathAndQuery>}. */
  public URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + port + pathAndQuery);
  }

  /** An HTTP/1.1 client for requests to this process. */
  public HttpClient http() {
    return http;
  }

  /**
   * The value of a counter or gauge without labels in {@code /q/metrics}, e.g. {@code
   * buffer_ingest_samples_total}.
   *
   * @throws AssertionError if there is no such line
   */
  public double metric(String name) throws IOException, InterruptedException {
    return metric(name, Map.of());
  }

  /**
   * The value of the line of {@code /q/metrics} named {@code name} with exactly {@code labels}, in
   * any order, e.g. {@code metric("rules_alarms_raised_total", Map.of("severity", "MAJOR"))}.
   *
   * @throws AssertionError if there is no such line; the message lists the lines of that name
   */
  public double metric(String name, Map<String, String> labels)
      throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(uri("/q/metrics")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new AssertionError("/q/metrics of " + this.name + " answered " + r.statusCode());
    }
    return MetricLine.find(r.body(), name, labels)
        .orElseThrow(() ->
            new AssertionError(
                "no metric "
                    + name
                    + labels
                    + " in /q/metrics of "
                    + this.name
                    + "; lines of that name:\n"
                    + String.join(
                        "\n",
                        r.body()
                            .lines()
                            .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                            .toList())));
  }

  /** The whole log of all runs so far (after {@link #close()}, the kept copy). */
  public String log() {
    Path file = currentLog();
    try {
      return Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  /** The last lines of the log, headed by its path, for failure messages. */
  public String logTail() {
    Path file = currentLog();
    return "--- "
        + file
        + " (last "
        + LOG_TAIL_LINES
        + " lines) ---\n"
        + ChildProcess.tail(file, LOG_TAIL_LINES);
  }

  /**
   * The process's own temporary directory, for files the service reads (a devices.yaml, a token
   * file): write them after {@link Builder#build()} and before {@link #start()}, or between runs.
   */
  public Path directory() {
    return scratch.path();
  }

  /** The name given to {@link #builder(String, Path)}. */
  public String name() {
    return name;
  }

  /**
   * Kills the service if it runs, keeps its log as {@code target/process-logs/<name>-<unique>.log}
   * and deletes its directory.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    Process p = process;
    if (p != null) {
      p.destroyForcibly();
      waitFor(p, KILL_TIMEOUT);
      forgetShutdownHook();
    }
    try {
      if (Files.exists(log)) {
        Files.createDirectories(keptLog.getParent());
        Files.copy(log, keptLog, StandardCopyOption.REPLACE_EXISTING);
        System.out.println(name + " log kept in " + keptLog);
      }
    } catch (IOException e) {
      System.out.println(name + " log not kept: " + e);
    } finally {
      PORTS_IN_USE.remove(port);
      scratch.close();
    }
  }

  @Override
  public String toString() {
    return name + " on 127.0.0.1:" + port + " in " + scratch.path();
  }

  /** The child's command line: no secrets, the -D properties in the order they were given. */
  List<String> command() {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-XX:+ExitOnOutOfMemoryError");
    command.add("-D" + PORT_PROPERTY + "=" + port);
    command.add("-Dquarkus.log.console.json.enabled=false");
    properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
    command.add("-jar");
    command.add(jar.toString());
    return command;
  }

  /** The child's environment: {@code inherited} without the cleared prefixes, plus the secrets. */
  Map<String, String> environment(Map<String, String> inherited) {
    Map<String, String> environment = new HashMap<>(inherited);
    environment
        .keySet()
        .removeIf(
            k -> k.startsWith("QUARKUS_") || clearedPrefixes.stream().anyMatch(k::startsWith));
    environment.putAll(secrets);
    return environment;
  }

  /** True when the latest run ended because its port was taken, before it was ever ready. */
  private synchronized boolean lostPortRace() {
    if (everReady) {
      return false;
    }
    // The log is read as ISO-8859-1, one char per byte, so the byte offset is a char offset.
    String all = log();
    String thisRun = all.substring((int) Math.min(runLogStart, all.length()));
    // Quarkus 3 logs "Port <n> seems to be in use by another process" and exits with 1.
    return thisRun.contains("seems to be in use by another process")
        || thisRun.contains("Address already in use");
  }

  private static int freePort() {
    while (true) {
      int candidate = FreePorts.loopback();
      if (PORTS_IN_USE.add(candidate)) {
        return candidate;
      }
    }
  }

  private Process running(String what) {
    Process p = process;
    if (p == null) {
      throw new IllegalStateException("cannot " + what + " " + name + ": it was never started");
    }
    return p;
  }

  private Path currentLog() {
    return Files.exists(log) ? log : keptLog;
  }

  private static boolean waitFor(Process p, Duration timeout) {
    try {
      return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for pid " + p.pid() + " to exit", e);
    }
  }

  private synchronized void forgetShutdownHook() {
    if (killOnExit == null) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException e) {
      // the JVM is shutting down; the hook finds the process gone
    }
    killOnExit = null;
  }

  /** The settings of a {@link ServiceProcess}; {@link #start()} or {@link #build()} ends it. */
  public static final class Builder {
    private final String name;
    private final Path jar;
    private final List<String> jvmOptions = new ArrayList<>();
    private final Map<String, PropertyValue> properties = new LinkedHashMap<>();
    private final Map<String, String> secrets = new LinkedHashMap<>();
    private final List<String> clearedPrefixes = new ArrayList<>();
    private Path workDirectory;

    private Builder(String name, Path jar) {
      if (!NAME.matcher(Objects.requireNonNull(name, "name")).matches()) {
        throw new IllegalArgumentException(
            "service name '" + name + "' must be 1 to 64 of A-Z a-z 0-9 . _ -");
      }
      this.name = name;
      this.jar = Objects.requireNonNull(jar, "jar").toAbsolutePath().normalize();
    }

    /** The maximum heap, as {@code -Xmx} takes it: {@code 128m}, {@code 1g}. */
    public Builder heap(String heap) {
      if (!HEAP.matcher(heap).matches()) {
        throw new IllegalArgumentException("heap '" + heap + "' is not a size like 128m or 1g");
      }
      jvmOptions.removeIf(o -> o.startsWith("-Xmx"));
      jvmOptions.addFirst("-Xmx" + heap);
      return this;
    }

    /** Another JVM option, e.g. {@code -XX:+UseSerialGC}; they keep the order given. */
    public Builder jvmOption(String option) {
      if (!option.startsWith("-") || option.startsWith("-D")) {
        throw new IllegalArgumentException(
            "JVM option '" + option + "' must start with - (use property(...) for -D)");
      }
      jvmOptions.add(option);
      return this;
    }

    /**
     * A configuration property as a {@code -D} option; given again, the later value wins. Options
     * keep the order of their first mention. Never pass a secret here: use {@link #secret}.
     */
    public Builder property(String key, String value) {
      properties.put(checkedKey(key), new PropertyValue(Objects.requireNonNull(value), false));
      return this;
    }

    /**
     * A property whose value is the absolute path of {@code fileName} in the process's {@link
     * ServiceProcess#directory()}, which does not exist yet; e.g. {@code
     * fileProperty("bridge.devices-file", "devices.yaml")}.
     */
    public Builder fileProperty(String key, String fileName) {
      if (!NAME.matcher(fileName).matches() || fileName.startsWith(".")) {
        throw new IllegalArgumentException(
            "file name '" + fileName + "' must be a plain name in the process's directory");
      }
      properties.put(checkedKey(key), new PropertyValue(fileName, true));
      return this;
    }

    /**
     * An environment variable that holds a secret (a password), e.g. {@code
     * QUARKUS_DATASOURCE_PASSWORD}: never on the command line, never printed.
     */
    public Builder secret(String envName, String value) {
      if (!ENV_NAME.matcher(envName).matches()) {
        throw new IllegalArgumentException("'" + envName + "' is not an environment variable name");
      }
      secrets.put(envName, Objects.requireNonNull(value, envName));
      return this;
    }

    /**
     * Removes the inherited environment variables that start with {@code prefix}, e.g. {@code
     * BUFFER_}; {@code QUARKUS_} is always removed. Secrets are added afterwards.
     */
    public Builder clearEnvironmentPrefix(String prefix) {
      if (prefix.isEmpty()) {
        throw new IllegalArgumentException("an empty prefix would clear the whole environment");
      }
      clearedPrefixes.add(prefix);
      return this;
    }

    /**
     * The child's working directory, which must exist; by default the process's own {@link
     * ServiceProcess#directory()}.
     */
    public Builder workDirectory(Path directory) {
      if (!Files.isDirectory(directory)) {
        throw new IllegalArgumentException("work directory " + directory + " does not exist");
      }
      this.workDirectory = directory.toAbsolutePath();
      return this;
    }

    /**
     * Creates the temporary directory and picks the port, without starting the JVM: for a test that
     * writes files into {@link ServiceProcess#directory()} before the first {@link
     * ServiceProcess#start()}.
     *
     * @throws IllegalStateException if the jar is missing
     */
    public ServiceProcess build() {
      if (!Files.isRegularFile(jar)) {
        throw new IllegalStateException(
            "no "
                + jar
                + "; package the service first (mvn package, or run the test with failsafe in"
                + " mvn verify)");
      }
      ScratchDirectory scratch = ScratchDirectory.create(name + "-");
      return new ServiceProcess(this, scratch);
    }

    /** {@link #build()}, then {@link ServiceProcess#start()}. */
    public ServiceProcess start() {
      ServiceProcess p = build();
      try {
        return p.start();
      } catch (RuntimeException e) {
        p.close();
        throw e;
      }
    }

    private static String checkedKey(String key) {
      if (key.isBlank() || key.contains("=") || key.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("'" + key + "' is not a property name");
      }
      if (key.equals(PORT_PROPERTY)) {
        throw new IllegalArgumentException(
            PORT_PROPERTY + " is chosen by ServiceProcess (a free port on 127.0.0.1)");
      }
      return key;
    }
  }

  /** A -D value as given, or a file name to resolve in the process's directory. */
  private record PropertyValue(String text, boolean inDirectory) {
    String resolve(Path directory) {
      return inDirectory ? directory.resolve(text).toString() : text;
    }
  }
}
