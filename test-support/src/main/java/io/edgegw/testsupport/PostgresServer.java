package io.edgegw.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;

/**
 * A real PostgreSQL on a free loopback port: a temporary cluster made by {@code initdb}, password
 * (SCRAM) authentication for a generated superuser, and {@link #restart()} on the same port and
 * data. PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
 * {@code postgres} system user that the Debian package creates.
 */
public final class PostgresServer implements AutoCloseable {
  private static final String USER = "gateway";

  private final ScratchDirectory scratch;
  private final Path bin;
  private final Path data;
  private final int port;
  private final String password;
  private final boolean asPostgresUser;

  private PostgresServer() {
    this.bin = serverBinaries();
    this.scratch = ScratchDirectory.create("postgres");
    this.data = scratch.resolve("data");
    this.port = FreePorts.loopback();
    this.asPostgresUser = "root".equals(System.getProperty("user.name"));
    byte[] raw = new byte[18];
    new SecureRandom().nextBytes(raw);
    this.password = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    try {
      Path pwFile = scratch.resolve("pwfile");
      Files.writeString(pwFile, password + "\n");
      Files.setPosixFilePermissions(pwFile, PosixFilePermissions.fromString("rw-------"));
      if (asPostgresUser) {
        // The scratch directory is 0700 root; the server user needs its own way in.
        Files.setPosixFilePermissions(scratch.path(), PosixFilePermissions.fromString("rwx--x--x"));
        ChildProcess.run(List.of("chown", "postgres", pwFile.toString()), Duration.ofSeconds(10));
      }
      Files.createDirectories(data);
      if (asPostgresUser) {
        ChildProcess.run(List.of("chown", "postgres", data.toString()), Duration.ofSeconds(10));
      }
      run(
          List.of(
              bin.resolve("initdb").toString(),
              "-D",
              data.toString(),
              "-U",
              USER,
              "--auth=scram-sha-256",
              "--pwfile=" + pwFile,
              "--encoding=UTF8",
              "--no-sync"),
          Duration.ofSeconds(120));
      Files.deleteIfExists(pwFile);
      String conf =
          "listen_addresses = '127.0.0.1'\n"
              + "port = "
              + port
              + "\n"
              + "unix_socket_directories = ''\n"
              + "max_connections = 50\n"
              + "shared_buffers = 32MB\n";
      Path auto = data.resolve("postgresql.auto.conf");
      Files.writeString(auto, conf, java.nio.file.StandardOpenOption.APPEND);
      launch();
    } catch (IOException e) {
      scratch.close();
      throw new UncheckedIOException("cannot prepare PostgreSQL", e);
    } catch (RuntimeException e) {
      scratch.close();
      throw e;
    }
  }

  /** Creates and starts a new cluster. */
  public static PostgresServer start() {
    return new PostgresServer();
  }

  /** The newest {@code /usr/lib/postgresql/N/bin} with initdb, or a clear error. */
  static Path serverBinaries() {
    Path root = Path.of("/usr/lib/postgresql");
    List<Path> candidates = new ArrayList<>();
    if (Files.isDirectory(root)) {
      try (DirectoryStream<Path> versions = Files.newDirectoryStream(root)) {
        for (Path v : versions) {
          if (Files.isExecutable(v.resolve("bin/initdb"))) {
            candidates.add(v.resolve("bin"));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return candidates.stream()
        .max(
            Comparator.comparingInt(p ->
                Integer.parseInt(p.getParent().getFileName().toString().replaceAll("\\D", "0"))))
        .orElseThrow(() ->
            new IllegalStateException(
                "PostgreSQL server not found under /usr/lib/postgresql/*/bin; install the"
                    + " Debian package postgresql (bin/gateway test does this)"));
  }

  private void run(List<String> command, Duration timeout) {
    List<String> full = new ArrayList<>();
    if (asPostgresUser) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(command);
    ChildProcess.run(full, timeout);
  }

  private void launch() {
    run(
        List.of(
            bin.resolve("pg_ctl").toString(),
            "-D",
            data.toString(),
            "-l",
            data.resolve("server.log").toString(),
            "-w",
            "-t",
            "60",
            "start"),
        Duration.ofSeconds(90));
  }

  /** {@code jdbc:postgresql://127.0.0.1:port/postgres}. */
  public String jdbcUrl() {
    return jdbcUrl("postgres");
  }

  /** The JDBC URL of a database on this server. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** The listener port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** The superuser's name. */
  public String username() {
    return USER;
  }

  /** The superuser's generated password. */
  public String password() {
    return password;
  }

  /** Stops with a fast shutdown (clients disconnected, data checkpointed). */
  public void stop() {
    run(
        List.of(
            bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop"),
        Duration.ofSeconds(60));
  }

  /** Kills the postmaster with SIGKILL: what is not in the WAL is gone, as after a power cut. */
  public void kill() {
    try {
      String pid = Files.readAllLines(data.resolve("postmaster.pid")).getFirst().strip();
      ChildProcess.run(List.of("kill", "-9", pid), Duration.ofSeconds(10));
      Path pidFile = data.resolve("postmaster.pid");
      long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      // The children notice the dead postmaster and exit; wait until the port is free.
      while (accepting() && System.nanoTime() < end) {
        java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
      }
      Files.deleteIfExists(pidFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot kill PostgreSQL", e);
    }
  }

  private boolean accepting() {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Starts again after {@link #stop()} or {@link #kill()} on the same port and data. */
  public void resume() {
    launch();
  }

  /** Stop, then start on the same port with the same data. */
  public void restart() {
    stop();
    launch();
  }

  /** The end of the server log, for failure messages. */
  public String logTail() {
    return ChildProcess.tail(data.resolve("server.log"), 30);
  }

  @Override
  public void close() {
    try {
      if (Files.exists(data.resolve("postmaster.pid"))) {
        run(
            List.of(
                bin.resolve("pg_ctl").toString(),
                "-D",
                data.toString(),
                "-m",
                "immediate",
                "-w",
                "stop"),
            Duration.ofSeconds(60));
      }
    } catch (RuntimeException e) {
      // Closing anyway; the scratch directory goes below.
    } finally {
      scratch.close();
    }
  }
}
