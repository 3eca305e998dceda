package io.edgegw.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code mosquitto} on a free loopback port, in a temporary directory: password
 * authentication on (no anonymous access), users with passwords generated for this run, persistence
 * on, an optional ACL. {@link #restart()} stops and starts it on the same port with the same data.
 */
public final class MosquittoBroker implements AutoCloseable {

  /** Builder of a broker. */
  public static final class Builder {
    private final List<String> users = new ArrayList<>(List.of("test"));
    private String acl;

    /** Adds a user with a generated password. */
    public Builder withUser(String name) {
      users.add(name);
      return this;
    }

    /** Uses this ACL file content ({@code acl_file}). */
    public Builder acl(String content) {
      this.acl = content;
      return this;
    }

    /** Starts the broker and waits until it accepts connections. */
    public MosquittoBroker start() {
      return new MosquittoBroker(users, acl);
    }
  }

  private final Path dir;
  private final int port;
  private final Map<String, String> passwords = new LinkedHashMap<>();
  private final Path mosquitto;
  private Process process;

  /** A builder; the default user is {@code test}. */
  public static Builder builder() {
    return new Builder();
  }

  /** A broker with only the default user. */
  public static MosquittoBroker start() {
    return builder().start();
  }

  private MosquittoBroker(List<String> users, String acl) {
    this.mosquitto = Binaries.find("mosquitto", "mosquitto");
    Path passwd = Binaries.find("mosquitto_passwd", "mosquitto");
    try {
      dir = Files.createTempDirectory("mosquitto");
      Files.createDirectories(dir.resolve("data"));
      port = FreePorts.loopback();
      SecureRandom random = new SecureRandom();
      Path pwFile = dir.resolve("passwd");
      boolean first = true;
      for (String user : users) {
        byte[] raw = new byte[18];
        random.nextBytes(raw);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        passwords.put(user, password);
        List<String> cmd = new ArrayList<>(List.of(passwd.toString()));
        if (first) {
          cmd.add("-c");
        }
        cmd.addAll(List.of("-b", pwFile.toString(), user, password));
        run(cmd);
        first = false;
      }
      StringBuilder conf = new StringBuilder();
      // Started as root, mosquitto would drop to user "mosquitto", who cannot read this dir.
      conf.append("user ").append(System.getProperty("user.name")).append('\n');
      conf.append("listener ").append(port).append(" 127.0.0.1\n");
      conf.append("allow_anonymous false\n");
      conf.append("password_file ").append(pwFile).append('\n');
      conf.append("persistence true\n");
      conf.append("persistence_location ").append(dir.resolve("data")).append("/\n");
      conf.append("autosave_interval 1\n");
      conf.append("max_queued_messages 100000\n");
      conf.append("log_dest file ").append(dir.resolve("mosquitto.log")).append('\n');
      conf.append("log_type error\nlog_type warning\nlog_type notice\n");
      if (acl != null) {
        Path aclFile = dir.resolve("acl");
        Files.writeString(aclFile, acl);
        conf.append("acl_file ").append(aclFile).append('\n');
      }
      Files.writeString(dir.resolve("mosquitto.conf"), conf.toString());
      launch();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare mosquitto", e);
    }
  }

  private static void run(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(
            String.join(" ", cmd.subList(0, 1))
                + " failed: "
                + new String(p.getInputStream().readAllBytes()));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private void launch() {
    try {
      process =
          new ProcessBuilder(mosquitto.toString(), "-c", dir.resolve("mosquitto.conf").toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("stdout.log").toFile())
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start mosquitto", e);
    }
    try {
      FreePorts.awaitAccepting(port, Duration.ofSeconds(20), "mosquitto");
    } catch (IllegalStateException e) {
      throw new IllegalStateException(e.getMessage() + "\n" + logTail(), e);
    }
  }

  /** The listener port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** {@code tcp://127.0.0.1:port}. */
  public String url() {
    return "tcp://127.0.0.1:" + port;
  }

  /** The default user. */
  public String username() {
    return "test";
  }

  /** The default user's password. */
  public String password() {
    return password("test");
  }

  /** A user's generated password. */
  public String password(String user) {
    String p = passwords.get(user);
    if (p == null) {
      throw new IllegalArgumentException("no user " + user + "; add it with withUser()");
    }
    return p;
  }

  /** Stops with SIGTERM (mosquitto saves its persistence), waiting for the exit. */
  public void stop() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Kills with SIGKILL: no persistence save beyond the last autosave. */
  public void kill() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Starts again after {@link #stop()} or {@link #kill()}, same port, same data. */
  public void resume() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("mosquitto is already running");
    }
    launch();
  }

  /** Stop, then start on the same port with the same data directory. */
  public void restart() {
    stop();
    launch();
  }

  /** Whether the process is running. */
  public boolean running() {
    return process != null && process.isAlive();
  }

  /** The end of the broker's log, for failure messages. */
  public String logTail() {
    try {
      Path log = dir.resolve("mosquitto.log");
      if (!Files.exists(log)) {
        return "(no log)";
      }
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  @Override
  public void close() {
    kill();
    TempDirs.delete(dir);
  }
}
