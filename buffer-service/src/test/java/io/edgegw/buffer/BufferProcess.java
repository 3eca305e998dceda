package io.edgegw.buffer;

import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.ServiceProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;

/**
 * The packaged buffer-service ({@code target/quarkus-app/quarkus-run.jar}, named by the system
 * property {@code buffer.app.jar} that failsafe sets) as a child JVM ({@link ServiceProcess}), for
 * tests that kill it or squeeze its heap.
 *
 * <p>Adds to {@link ServiceProcess} the buffer's settings and a generated API token (mode 0600 in
 * the process's directory) for {@link #api(String)}. The database and bus passwords go to the child
 * in its environment ({@code QUARKUS_DATASOURCE_PASSWORD}, {@code BUFFER_BUS_PASSWORD}), not on its
 * command line. Neither they nor the token are ever printed.
 */
final class BufferProcess implements AutoCloseable {

  /** 128 + SIGKILL: how a process ended by SIGKILL exits. */
  static final int SIGKILL_EXIT = ServiceProcess.SIGKILL_EXIT;

  private final ServiceProcess service;
  private final String token;

  private BufferProcess(ServiceProcess service, String token) {
    this.service = service;
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
    if (jar == null) {
      throw new IllegalStateException(
          "buffer.app.jar is not set; run the *ProcessIT tests with failsafe after packaging (mvn"
              + " verify -pl buffer-service -am)");
    }
    ServiceProcess service =
        ServiceProcess.builder("buffer-service", Path.of(jar))
            .heap(heap)
            .property("quarkus.datasource.jdbc.url", pg.jdbcUrl(database))
            .property("quarkus.datasource.username", pg.username())
            .property("buffer.bus.port", String.valueOf(broker.port()))
            .fileProperty("buffer.api.token-file", "api-token")
            .fileProperty("buffer.devices-file", "devices.yaml")
            .property("buffer.ingest.max-delay", "50ms")
            .property("buffer.store.maintenance-interval", "1h")
            .secret("QUARKUS_DATASOURCE_PASSWORD", pg.password())
            .secret("BUFFER_BUS_PASSWORD", broker.password("buffer"))
            .clearEnvironmentPrefix("BUFFER_")
            .build();
    try {
      String token = writeToken(service.directory().resolve("api-token"));
      service.start();
      return new BufferProcess(service, token);
    } catch (RuntimeException e) {
      service.close();
      throw e;
    }
  }

  /** Writes a random bearer token, readable by the owner only, and returns it. */
  private static String writeToken(Path file) {
    byte[] raw = new byte[24];
    new SecureRandom().nextBytes(raw);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    try {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, token + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the API token file " + file, e);
    }
    return token;
  }

  /** Starts the JVM again with the same settings and port, appending to the same log. */
  void start() {
    service.start();
  }

  /**
   * Waits until {@code GET /q/health/ready} answers 200: the schema is migrated, the bus session is
   * up and the store is writable. Fails at once, with the log, when the process exits first.
   */
  void awaitReady() {
    service.awaitReady();
  }

  /** The HTTP status of {@code GET /q/health/ready}, or -1 when nothing answers. */
  int healthStatus() {
    return service.healthStatus();
  }

  /** Sends SIGKILL and asserts the exit status 137 that only SIGKILL gives. */
  void kill() {
    service.kill();
  }

  boolean isAlive() {
    return service.isAlive();
  }

  long pid() {
    return service.pid();
  }

  /** The HTTP port on 127.0.0.1; the same after a restart. */
  int port() {
    return service.port();
  }

  /** {@code http://127.0.0.1:<port><pathAndQuery>}. */
  URI uri(String pathAndQuery) {
    return service.uri(pathAndQuery);
  }

  /** A GET of the query API with the bearer token. */
  HttpRequest.Builder api(String pathAndQuery) {
    return HttpRequest.newBuilder(uri(pathAndQuery))
        .header("Authorization", "Bearer " + token)
        .timeout(Duration.ofSeconds(60));
  }

  /** The HTTP/1.1 client used for this process. */
  HttpClient http() {
    return service.http();
  }

  /**
   * The value of a counter or gauge without labels in {@code /q/metrics}, e.g. {@code
   * buffer_ingest_samples_total}.
   */
  double metric(String name) throws IOException, InterruptedException {
    return service.metric(name);
  }

  /** The whole log of all runs so far. */
  String log() {
    return service.log();
  }

  /** The last lines of the log, for failure messages. */
  String logTail() {
    return service.logTail();
  }

  /**
   * Kills the service if it runs, keeps its log in {@code target/process-logs/} and deletes its
   * directory (token and log).
   */
  @Override
  public void close() {
    service.close();
  }
}
