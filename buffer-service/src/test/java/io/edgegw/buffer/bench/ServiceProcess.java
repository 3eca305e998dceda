package io.edgegw.buffer.bench;

import io.edgegw.testsupport.bench.MetricsScrape;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged buffer-service ({@code quarkus-run.jar}) as a child JVM, configured as on the
 * gateway except for ports and paths: plain-text logs into a file, secrets (database and bus
 * passwords) in a 0600 properties file named by {@code quarkus.config.locations}, never on the
 * command line, and a generated API token in a 0600 file.
 */
final class ServiceProcess implements AutoCloseable {
  private final Process process;
  private final Thread killOnExit;
  private final int port;
  private final String token;
  private final Path log;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private ServiceProcess(Process process, int port, String token, Path log) {
    this.process = process;
    this.port = port;
    this.token = token;
    this.log = log;
    this.killOnExit = new Thread(process::destroyForcibly, "bench-kill-service");
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /** The JVM options in a file like bin/jvm-options: one or more per line, # comments. */
  static List<String> readJvmOptions(Path file) throws IOException {
    List<String> options = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      String l = line.strip();
      if (!l.isEmpty() && !l.startsWith("#")) {
        options.addAll(List.of(l.split("\\s+")));
      }
    }
    return options;
  }

  /**
   * Starts the service.
   *
   * @param name names the files in {@code work}: {@code <name>.log}, {@code <name>-secrets}
   * @param properties -D settings (ports, URLs, paths)
   * @param secrets settings that go into the 0600 file instead
   */
  static ServiceProcess start(
      String name,
      Path work,
      Path appJar,
      List<String> jvmOptions,
      int port,
      Map<String, String> properties,
      Map<String, String> secrets)
      throws IOException {
    Path secretFile = work.resolve(name + "-secrets.properties");
    Path tokenFile = work.resolve(name + "-api-token");
    byte[] raw = new byte[24];
    new SecureRandom().nextBytes(raw);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    writePrivate(tokenFile, token + "\n");
    StringBuilder text = new StringBuilder();
    secrets.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    writePrivate(secretFile, text.toString());

    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-Dquarkus.http.port=" + port);
    command.add("-Dquarkus.config.locations=" + secretFile.toAbsolutePath());
    command.add("-Dbuffer.api.token-file=" + tokenFile.toAbsolutePath());
    command.add("-Dquarkus.log.console.json.enabled=false");
    properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
    command.add("-jar");
    command.add(appJar.toAbsolutePath().toString());
    Path log = work.resolve(name + ".log");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    // As bench/bridge.sh starts the bridge: fewer glibc malloc arenas, less RSS.
    builder.environment().put("MALLOC_ARENA_MAX", "2");
    Process p = builder.start();
    return new ServiceProcess(p, port, token, log);
  }

  private static void writePrivate(Path file, String text) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, text);
  }

  /** Waits until /q/health/ready answers 200; fails with the log's end otherwise. */
  void awaitReady(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      if (!process.isAlive()) {
        throw new IllegalStateException("buffer-service exited; see " + log);
      }
      try {
        if (get("/q/health/ready", false).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("buffer-service not ready within " + timeout + "; see " + log);
  }

  /** A Prometheus scrape of /q/metrics. */
  MetricsScrape metrics() throws IOException, InterruptedException {
    HttpResponse<String> r = get("/q/metrics", false);
    if (r.statusCode() != 200) {
      throw new IllegalStateException("/q/metrics answered " + r.statusCode());
    }
    return MetricsScrape.parse(r.body());
  }

  private HttpResponse<String> get(String path, boolean withToken)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET();
    if (withToken) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Lines of the service's log that contain {@code needle}. */
  long logLines(String needle) throws IOException {
    try (var lines = Files.lines(log)) {
      return lines.filter(l -> l.contains(needle)).count();
    }
  }

  URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + port + pathAndQuery);
  }

  String token() {
    return token;
  }

  HttpClient http() {
    return http;
  }

  ProcessHandle handle() {
    return process.toHandle();
  }

  /** SIGTERM (Quarkus shuts down cleanly), then SIGKILL after 20 s. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException e) {
      // the JVM is shutting down already; the hook kills it anyway
    }
  }
}
