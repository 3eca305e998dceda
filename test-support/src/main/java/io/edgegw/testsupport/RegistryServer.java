package io.edgegw.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * A real OCI registry (the CNCF distribution registry v2, Debian's {@code docker-registry}) on
 * 127.0.0.1, started on a free port with its storage in a fresh temporary directory.
 *
 * <pre>{@code
 * try (RegistryServer registry = RegistryServer.start()) {
 *   new RegistryClient(registry.url()).pushBundle("edgegw/stack", "1.0.0", bundle);
 * }
 * }</pre>
 *
 * <p>Plain HTTP and no login, as a registry on loopback is used by podman with {@code
 * --tls-verify=false} for local registries. {@link #stop()} and {@link #resume()} keep the port and
 * the storage, so a test can take the registry away and bring it back. Costs one {@code
 * docker-registry} process (about 20 MB).
 */
public final class RegistryServer implements AutoCloseable {

  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);
  private static final int BIND_ATTEMPTS = 3;

  private final ScratchDirectory scratch;
  private final Path binary;
  private int port;
  private ChildProcess process;

  private RegistryServer(ScratchDirectory scratch, Path binary) {
    this.scratch = scratch;
    this.binary = binary;
  }

  /**
   * Starts a registry and returns once it answers {@code GET /v2/}.
   *
   * @throws IllegalStateException naming the Debian package when {@code docker-registry} is not
   *     installed, or with its output when it does not come up
   */
  public static RegistryServer start() {
    Path binary = BinaryLocator.find("docker-registry", "docker-registry");
    ScratchDirectory scratch = ScratchDirectory.create("registry-");
    RegistryServer server = new RegistryServer(scratch, binary);
    try {
      server.firstStart();
      return server;
    } catch (RuntimeException e) {
      scratch.close();
      throw e;
    }
  }

  /** The registry's base URL, {@code http://127.0.0.1:<port>}. */
  public URI url() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** {@code 127.0.0.1:<port>}, as image references name it. */
  public String hostAndPort() {
    return "127.0.0.1:" + port;
  }

  /** The TCP port; it stays the same across {@link #stop()} and {@link #resume()}. */
  public int port() {
    return port;
  }

  /** The storage directory (the registry's filesystem driver root). */
  public Path storage() {
    return scratch.resolve("storage");
  }

  /** True while the registry process runs. */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Stops the registry (SIGTERM); its storage stays. Does nothing if it is not running. */
  public synchronized void stop() {
    if (process != null) {
      ChildProcess stopping = process;
      process = null;
      stopping.stop(STOP_GRACE);
    }
  }

  /** Starts it again after {@link #stop()}, on the same port with the same storage. */
  public synchronized void resume() {
    if (process != null) {
      throw new IllegalStateException("the registry already runs on port " + port);
    }
    launch();
  }

  /** The end of the registry's output, for assertion messages. */
  public String logTail() {
    return ChildProcess.tail(scratch.resolve("registry.log"), 40);
  }

  /** Stops the registry and deletes its storage. */
  @Override
  public synchronized void close() {
    try {
      stop();
    } finally {
      scratch.close();
    }
  }

  private void firstStart() {
    IllegalStateException lastFailure = null;
    for (int attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
      port = FreePorts.loopback();
      try {
        launch();
        return;
      } catch (IllegalStateException e) {
        // Another process may have taken the free port between the probe and the bind.
        if (!logTail().contains("address already in use")) {
          throw e;
        }
        lastFailure = e;
      }
    }
    throw lastFailure;
  }

  private void launch() {
    Path config = scratch.resolve("config.yml");
    byte[] secret = new byte[24];
    new SecureRandom().nextBytes(secret);
    try {
      Files.createDirectories(storage());
      Files.writeString(
          config,
          String.join(
              "\n",
              "# Written by io.edgegw.testsupport.RegistryServer for one test run.",
              "version: 0.1",
              "log:",
              "  level: warn",
              "  accesslog:",
              "    disabled: true",
              "storage:",
              "  filesystem:",
              "    rootdirectory: " + storage(),
              "  delete:",
              "    enabled: true",
              "http:",
              "  addr: 127.0.0.1:" + port,
              // Only signs upload state between requests; random per run, never a credential.
              "  secret: " + HexFormat.of().formatHex(secret),
              ""));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + config, e);
    }
    process =
        ChildProcess.start(
            "docker-registry",
            List.of(binary.toString(), "serve", config.toString()),
            scratch.path(),
            scratch.resolve("registry.log"));
    try {
      process.awaitReady(
          "docker-registry answering on 127.0.0.1:" + port,
          STARTUP_TIMEOUT,
          this::answers,
          this::logTail);
    } catch (RuntimeException e) {
      process.kill();
      process = null;
      throw e;
    }
  }

  /** True when {@code GET /v2/} answers 200: the API version check every client starts with. */
  private boolean answers() {
    try {
      HttpURLConnection connection =
          (HttpURLConnection) URI.create(url() + "/v2/").toURL().openConnection();
      connection.setConnectTimeout(200);
      connection.setReadTimeout(500);
      try {
        return connection.getResponseCode() == 200
            && "registry/2.0".equals(connection.getHeaderField("Docker-Distribution-Api-Version"));
      } finally {
        connection.disconnect();
      }
    } catch (IOException e) {
      return false;
    }
  }
}
