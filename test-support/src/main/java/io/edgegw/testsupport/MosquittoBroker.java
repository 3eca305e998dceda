package io.edgegw.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A real Mosquitto broker on 127.0.0.1, started from the Debian package's binary in a fresh
 * temporary directory.
 *
 * <p>It is set up as the gateway's local bus is: no anonymous access, a password file with a random
 * password per user and per run, an optional ACL file, and persistence on (saved every second and
 * on a clean shutdown). {@link #restart()} keeps the port and the data directory, so a test can
 * check what survives a broker restart; {@link #kill()} is a crash, after which up to one second of
 * changes may be missing, as in production.
 *
 * <pre>{@code
 * try (MosquittoBroker broker = MosquittoBroker.builder().withUser("bridge").start()) {
 *   connect(broker.url(), "bridge", broker.password("bridge"));
 * }
 * }</pre>
 *
 * <p>With {@link Builder#tls} the listener speaks TLS 1.2 or later instead, and stands in for the
 * cloud broker; {@link TestPki} makes its certificates.
 *
 * <p>Costs one {@code mosquitto} process and no JVM threads.
 */
public final class MosquittoBroker implements AutoCloseable {

  /** The user every broker has; its password is {@link #password()}. */
  public static final String DEFAULT_USER = "gateway";

  private static final Pattern USER_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);
  private static final Duration PROBE_TIMEOUT = Duration.ofMillis(200);
  private static final int BIND_ATTEMPTS = 3;
  private static final int LOG_TAIL_LINES = 60;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** MQTT 3.1.1 CONNECT: clean session, keep-alive 5 s, empty client id, no credentials. */
  private static final byte[] ANONYMOUS_CONNECT = {
    0x10, 12, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 5, 0, 0
  };

  private final ScratchDirectory scratch;
  private final Path binary;
  private final Map<String, String> passwords;
  private final String acl;
  private final Tls tls;
  private volatile int port;
  private ChildProcess process;
  private boolean frozen;

  private MosquittoBroker(
      ScratchDirectory scratch, Path binary, Map<String, String> passwords, String acl, Tls tls) {
    this.scratch = scratch;
    this.binary = binary;
    this.passwords = passwords;
    this.acl = acl;
    this.tls = tls;
  }

  /** The TLS listener's files and whether it requires a client certificate. */
  private record Tls(Path caFile, Path certFile, Path keyFile, boolean requireClientCertificate) {}

  /** Starts a broker with only the {@link #DEFAULT_USER} and no ACL. */
  public static MosquittoBroker start() {
    return builder().start();
  }

  /** A builder for a broker with more users or an ACL. */
  public static Builder builder() {
    return new Builder();
  }

  /** The TCP port on 127.0.0.1; it stays the same across {@link #restart()}. */
  public int port() {
    return port;
  }

  /**
   * The broker's address as MQTT clients take it: {@code tcp://127.0.0.1:<port>}, or {@code
   * ssl://127.0.0.1:<port>} with {@link Builder#tls}.
   */
  public String url() {
    return (tls == null ? "tcp" : "ssl") + "://127.0.0.1:" + port;
  }

  /** True when the listener speaks TLS ({@link Builder#tls}). */
  public boolean isTls() {
    return tls != null;
  }

  /** The host clients connect to: always {@code 127.0.0.1}. */
  public String host() {
    return "127.0.0.1";
  }

  /** The name of the default user. */
  public String username() {
    return DEFAULT_USER;
  }

  /** The default user's password, random for this broker. */
  public String password() {
    return passwords.get(DEFAULT_USER);
  }

  /**
   * The password of a user added with {@link Builder#withUser(String)}.
   *
   * @throws IllegalArgumentException if the broker has no such user
   */
  public String password(String user) {
    String password = passwords.get(user);
    if (password == null) {
      throw new IllegalArgumentException(
          "broker has no user '" + user + "'; it has " + passwords.keySet());
    }
    return password;
  }

  /** All user names, the default user first. */
  public Set<String> users() {
    return Collections.unmodifiableSet(passwords.keySet());
  }

  /** The persistence directory, kept across {@link #restart()}. */
  public Path dataDirectory() {
    return scratch.resolve("data");
  }

  /** True while the mosquitto process runs. */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /**
   * Stops the broker with SIGTERM and waits for it to exit; Mosquitto writes its persistence file
   * on this clean shutdown. Does nothing if it is not running.
   *
   * @throws IllegalStateException if it had to be killed because it overran the grace period
   */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    if (frozen) {
      thaw();
    }
    ChildProcess stopping = process;
    process = null;
    if (!stopping.stop(STOP_GRACE)) {
      throw new IllegalStateException(
          "mosquitto did not exit within "
              + STOP_GRACE
              + " of SIGTERM and was killed; persistence may be incomplete\n"
              + logTail());
    }
  }

  /** Kills the broker with SIGKILL, like a crash: changes since the last autosave are lost. */
  public synchronized void kill() {
    if (process == null) {
      return;
    }
    ChildProcess killing = process;
    process = null;
    killing.kill();
  }

  /**
   * Stops the broker if it runs, then starts it again on the same port with the same data
   * directory, and returns once it answers MQTT there. Also starts a broker after {@link #kill()}.
   *
   * @throws IllegalStateException with the broker's log if it does not come back, e.g. because
   *     another process took the port meanwhile; the broker is then stopped
   */
  public synchronized void restart() {
    stop();
    launch();
  }

  /**
   * Starts the broker again after {@link #stop()} or {@link #kill()}, on the same port with the
   * same data directory.
   *
   * @throws IllegalStateException if it is running, or, with its log, if it does not come back
   */
  public synchronized void resume() {
    if (process != null) {
      throw new IllegalStateException("mosquitto is already running on port " + port);
    }
    launch();
  }

  /**
   * Freezes the broker (SIGSTOP), as a hung host or {@code podman pause} does: its connections stay
   * open, and nothing is read or answered until {@link #thaw()}.
   */
  public synchronized void freeze() {
    signal("STOP");
    frozen = true;
  }

  /** Lets a frozen broker run again (SIGCONT). */
  public synchronized void thaw() {
    signal("CONT");
    frozen = false;
  }

  private void signal(String name) {
    if (process == null) {
      throw new IllegalStateException("mosquitto is not running on port " + port);
    }
    ChildProcess.run(
        List.of("kill", "-" + name, Long.toString(process.pid())), Duration.ofSeconds(5));
  }

  /** The end of the broker's log and of its stdout/stderr, for assertion messages. */
  public String logTail() {
    return "--- "
        + logFile()
        + " ---\n"
        + ChildProcess.tail(logFile(), LOG_TAIL_LINES)
        + "\n--- mosquitto stdout/stderr ---\n"
        + ChildProcess.tail(outputFile(), 20);
  }

  /** Stops the broker and deletes its temporary directory. */
  @Override
  public synchronized void close() {
    try {
      if (process != null) {
        ChildProcess stopping = process;
        process = null;
        stopping.stop(STOP_GRACE);
      }
    } finally {
      scratch.close();
    }
  }

  private void firstStart() {
    IllegalStateException lastFailure = null;
    for (int attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
      port = FreePorts.loopback();
      try {
        Files.deleteIfExists(logFile());
        Files.deleteIfExists(outputFile());
        launch();
        return;
      } catch (IllegalStateException e) {
        // Another process may have taken the free port between the probe and mosquitto's bind.
        if (!ChildProcess.tail(logFile(), LOG_TAIL_LINES).contains("Address already in use")
            && !ChildProcess.tail(outputFile(), 20).contains("Address already in use")) {
          throw e;
        }
        lastFailure = e;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot reset the log files in " + scratch.path(), e);
      }
    }
    throw lastFailure;
  }

  private void launch() {
    writeConfig();
    process =
        ChildProcess.start(
            "mosquitto",
            List.of(binary.toString(), "-c", configFile().toString()),
            scratch.path(),
            outputFile());
    try {
      process.awaitReady(
          "mosquitto answering MQTT on 127.0.0.1:" + port,
          STARTUP_TIMEOUT,
          this::answersMqtt,
          this::logTail);
    } catch (RuntimeException e) {
      process.kill();
      process = null;
      throw e;
    }
  }

  /**
   * True when an MQTT CONNECT on the port gets a CONNACK. A bare TCP connect is not enough: it also
   * succeeds against another process that holds the port, while mosquitto is failing to bind it.
   * The probe is anonymous, so the broker refuses it (one "not authorised" log line).
   */
  private boolean answersMqtt() {
    if (tls != null) {
      return presentsItsCertificate();
    }
    try (Socket socket = new Socket()) {
      socket.connect(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
          (int) PROBE_TIMEOUT.toMillis());
      socket.setSoTimeout((int) PROBE_TIMEOUT.toMillis());
      socket.getOutputStream().write(ANONYMOUS_CONNECT);
      byte[] connack = socket.getInputStream().readNBytes(2);
      return connack.length == 2 && connack[0] == 0x20 && connack[1] == 0x02;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * True when a TLS handshake on the port gets as far as the server's certificate and that is the
   * one this broker was given: the readiness check of a TLS listener, where an anonymous MQTT
   * CONNECT cannot be sent without a client certificate. The probe trusts nothing but that exact
   * certificate and sends no application data.
   */
  private boolean presentsItsCertificate() {
    X509Certificate expected;
    try (InputStream in = Files.newInputStream(tls.certFile())) {
      expected = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot read the broker certificate " + tls.certFile(), e);
    }
    AtomicBoolean presented = new AtomicBoolean();
    X509TrustManager pinned =
        new X509TrustManager() {
          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType)
              throws CertificateException {
            if (chain.length == 0 || !chain[0].equals(expected)) {
              throw new CertificateException("not this broker's certificate");
            }
            presented.set(true);
          }

          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType)
              throws CertificateException {
            throw new CertificateException("a probe is no server");
          }

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        };
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {pinned}, RANDOM);
      try (Socket plain = new Socket()) {
        plain.connect(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
            (int) PROBE_TIMEOUT.toMillis());
        plain.setSoTimeout((int) PROBE_TIMEOUT.toMillis());
        try (SSLSocket socket =
            (SSLSocket) context.getSocketFactory().createSocket(plain, "127.0.0.1", port, false)) {
          socket.startHandshake();
        }
      }
    } catch (IOException e) {
      // Expected when the listener requires a client certificate: the handshake fails after the
      // server's certificate was checked.
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no TLS client", e);
    }
    return presented.get();
  }

  private void writeConfig() {
    List<String> lines = new ArrayList<>();
    lines.add("# Written by io.edgegw.testsupport.MosquittoBroker for one test run.");
    lines.add("listener " + port + " 127.0.0.1");
    if (tls != null) {
      lines.add("cafile " + tls.caFile());
      lines.add("certfile " + tls.certFile());
      lines.add("keyfile " + tls.keyFile());
      // The minimum version (Mosquitto 2.0 reads it as a floor, 1.6 as the only version).
      lines.add("tls_version tlsv1.2");
      if (tls.requireClientCertificate()) {
        lines.add("require_certificate true");
        // The client certificate's CN is the user name; the password file is not consulted.
        lines.add("use_identity_as_username true");
      }
    }
    lines.add("allow_anonymous false");
    lines.add("password_file " + passwordFile());
    if (acl != null) {
      lines.add("acl_file " + aclFile());
    }
    lines.add("persistence true");
    lines.add("persistence_location " + dataDirectory() + "/");
    // Time-based autosave every second bounds what a kill() loses, as on the gateway.
    lines.add("autosave_interval 1");
    lines.add("autosave_on_changes false");
    // As on the gateway: a persistent session (the buffer's) keeps everything sent while its
    // client is away; Mosquitto's default of 1000 queued messages would drop the rest.
    lines.add("max_queued_messages 1000000");
    // The buffer acknowledges after commit; its flush size is bounded by this window.
    lines.add("max_inflight_messages 1000");
    // As on the gateway: no Nagle delay. Without it a small message (an alarm event, a command
    // reply) can wait ~40 ms for the peer's delayed ACK (measured by the rules benchmark).
    lines.add("set_tcp_nodelay true");
    lines.add("log_dest file " + logFile());
    lines.add("log_type error");
    lines.add("log_type warning");
    lines.add("log_type notice");
    lines.add("log_type information");
    lines.add("connection_messages true");
    lines.add("log_timestamp true");
    lines.add("log_timestamp_format %Y-%m-%dT%H:%M:%S");
    // When started as root, mosquitto would otherwise switch to the 'mosquitto' user and lose
    // access to this directory; as any other user the line is a no-op.
    lines.add("user " + System.getProperty("user.name"));
    try {
      Files.write(configFile(), lines);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + configFile(), e);
    }
  }

  private Path configFile() {
    return scratch.resolve("mosquitto.conf");
  }

  private Path passwordFile() {
    return scratch.resolve("passwd");
  }

  private Path aclFile() {
    return scratch.resolve("acl");
  }

  private Path logFile() {
    return scratch.resolve("mosquitto.log");
  }

  private Path outputFile() {
    return scratch.resolve("mosquitto.out");
  }

  private static String randomPassword() {
    byte[] bytes = new byte[18];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Collects users and the ACL, then starts the broker. */
  public static final class Builder {

    private final Set<String> users = new LinkedHashSet<>(List.of(DEFAULT_USER));
    private String acl;
    private Tls tls;
    private Path passwordFile;

    private Builder() {}

    /**
     * Adds a user with a random password, read back with {@link MosquittoBroker#password(String)}.
     *
     * @param name letters, digits, '.', '_' or '-', at most 64 characters
     */
    public Builder withUser(String name) {
      if (name == null || !USER_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "user name must be 1-64 of [A-Za-z0-9._-], got '" + name + "'");
      }
      if (!users.add(name)) {
        throw new IllegalArgumentException("user '" + name + "' is already defined");
      }
      return this;
    }

    /**
     * Installs an ACL file with this content (Mosquitto's {@code acl_file} syntax: {@code user
     * <name>} followed by {@code topic read|write|readwrite <filter>} lines). Remember to grant the
     * {@link #DEFAULT_USER} what the test needs, too.
     */
    public Builder aclFile(String content) {
      if (content == null || content.isBlank()) {
        throw new IllegalArgumentException("ACL content must not be blank");
      }
      this.acl = content;
      return this;
    }

    /**
     * Uses this Mosquitto password file (hashed, as {@code mosquitto_passwd} writes it, e.g. the
     * one gateway provisioning makes) instead of generated passwords. The caller knows the
     * passwords: {@link MosquittoBroker#password()} and {@link MosquittoBroker#users()} know none.
     * The file is copied; it is not combined with {@link #withUser(String)}.
     */
    public Builder passwordFile(Path file) {
      if (!Files.isReadable(file)) {
        throw new IllegalArgumentException("password file " + file + " is not readable");
      }
      this.passwordFile = file.toAbsolutePath();
      return this;
    }

    /**
     * Makes the listener a TLS one (TLS 1.2 or later), standing in for the cloud broker. Without a
     * required client certificate, clients authenticate with the users' passwords as on the plain
     * listener; with one, the certificate must be signed by {@code caFile} and its common name is
     * the MQTT user name (Mosquitto's {@code use_identity_as_username}), so no password is needed.
     * Plain MQTT clients are refused.
     *
     * @param caFile PEM CA certificate(s) that client certificates must lead to
     * @param certFile PEM server certificate (chain)
     * @param keyFile PEM private key of the server certificate
     * @param requireClientCertificate whether a client must present a certificate
     */
    public Builder tls(Path caFile, Path certFile, Path keyFile, boolean requireClientCertificate) {
      for (Path file : List.of(caFile, certFile, keyFile)) {
        if (!Files.isReadable(file)) {
          throw new IllegalArgumentException("TLS file " + file + " is not readable");
        }
        if (file.toString().chars().anyMatch(Character::isWhitespace)) {
          throw new IllegalArgumentException(
              "mosquitto.conf cannot hold paths with spaces: " + file);
        }
      }
      this.tls =
          new Tls(
              caFile.toAbsolutePath(),
              certFile.toAbsolutePath(),
              keyFile.toAbsolutePath(),
              requireClientCertificate);
      return this;
    }

    /**
     * Writes the password file, starts mosquitto on a free port and returns once it accepts
     * connections.
     *
     * @throws IllegalStateException if mosquitto is not installed or does not come up; the message
     *     carries its log
     */
    public MosquittoBroker start() {
      Path binary = BinaryLocator.find("mosquitto", "mosquitto");
      Path passwd = BinaryLocator.find("mosquitto_passwd", "mosquitto");
      ScratchDirectory scratch = ScratchDirectory.create("mosquitto-");
      try {
        if (scratch.path().toString().chars().anyMatch(Character::isWhitespace)) {
          throw new IllegalStateException(
              "mosquitto.conf cannot hold paths with spaces; set java.io.tmpdir to a path"
                  + " without any (now "
                  + scratch.path()
                  + ")");
        }
        Files.createDirectories(scratch.resolve("data"));
        Map<String, String> passwords = new LinkedHashMap<>();
        if (passwordFile != null) {
          if (users.size() > 1) {
            throw new IllegalStateException(
                "passwordFile(" + passwordFile + ") cannot be combined with withUser(...)");
          }
          Files.copy(passwordFile, scratch.resolve("passwd"));
          Files.setPosixFilePermissions(
              scratch.resolve("passwd"), PosixFilePermissions.fromString("rw-------"));
        } else {
          for (String user : users) {
            passwords.put(user, randomPassword());
          }
          writePasswordFile(passwd, scratch.resolve("passwd"), passwords);
        }
        if (acl != null) {
          Files.writeString(scratch.resolve("acl"), acl.endsWith("\n") ? acl : acl + "\n");
        }
        MosquittoBroker broker =
            new MosquittoBroker(scratch, binary, Collections.unmodifiableMap(passwords), acl, tls);
        broker.firstStart();
        return broker;
      } catch (IOException e) {
        scratch.close();
        throw new UncheckedIOException("cannot prepare mosquitto in " + scratch.path(), e);
      } catch (RuntimeException e) {
        scratch.close();
        throw e;
      }
    }

    private static void writePasswordFile(
        Path mosquittoPasswd, Path file, Map<String, String> passwords) throws IOException {
      boolean first = true;
      for (Map.Entry<String, String> user : passwords.entrySet()) {
        List<String> command = new ArrayList<>(List.of(mosquittoPasswd.toString(), "-b"));
        if (first) {
          command.add("-c");
        }
        command.addAll(List.of(file.toString(), user.getKey(), user.getValue()));
        ChildProcess.run(command, Duration.ofSeconds(10));
        first = false;
      }
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
  }
}
