package io.edgegw.ota.podman;

import io.edgegw.testsupport.FreePorts;
import io.edgegw.testsupport.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real {@code docker-registry} (the CNCF distribution registry, Debian package docker-registry)
 * on 127.0.0.1 with TLS from a {@link TestPki} CA, so that podman and the agent talk to it exactly
 * as to a production registry with a private CA (podman gets the CA as {@code --cert-dir}). Can be
 * stopped and started again on the same port with the same storage.
 */
public final class TlsRegistry implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final Path certDir;
  private final Path caFile;
  private final SSLContext ssl;
  private Process process;

  public TlsRegistry(TestPki pki, Path dir) throws Exception {
    this.dir = dir;
    this.port = FreePorts.loopback();
    TestPki.Issued server = pki.server("127.0.0.1");
    this.caFile = pki.ca().certFile();
    this.certDir = Files.createDirectories(dir.resolve("certs"));
    Files.copy(caFile, certDir.resolve("ca.crt"));
    Files.writeString(
        dir.resolve("config.yml"),
        """
        version: 0.1
        log:
          level: warn
        storage:
          filesystem:
            rootdirectory: %s
          delete:
            enabled: true
        http:
          addr: 127.0.0.1:%d
          tls:
            certificate: %s
            key: %s
        """
            .formatted(dir.resolve("data"), port, server.certFile(), server.keyFile()));
    this.ssl = sslTrusting(caFile);
    start();
  }

  /** Starts (again) and waits until {@code /v2/} answers. */
  public void start() throws Exception {
    Path bin = Path.of("/usr/bin/docker-registry");
    if (!Files.isExecutable(bin)) {
      throw new IllegalStateException(
          "docker-registry not found; install the Debian package docker-registry");
    }
    process =
        new ProcessBuilder(bin.toString(), "serve", dir.resolve("config.yml").toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("registry.log").toFile()))
            .start();
    HttpClient http = HttpClient.newBuilder().sslContext(ssl).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        int code =
            http.send(
                    HttpRequest.newBuilder(URI.create(url() + "/v2/"))
                        .timeout(Duration.ofSeconds(2))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode();
        if (code == 200) {
          return;
        }
      } catch (IOException e) {
        // not up yet
      }
      if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "docker-registry did not come up on port "
                + port
                + ": "
                + Files.readString(dir.resolve("registry.log")));
      }
      process.waitFor(100, TimeUnit.MILLISECONDS);
    }
  }

  /** Stops it (SIGKILL): the registry is "down". */
  public void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  public String url() {
    return "https://127.0.0.1:" + port;
  }

  /** {@code 127.0.0.1:port}, the host part of image references. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  public Path certDir() {
    return certDir;
  }

  public Path caFile() {
    return caFile;
  }

  public SSLContext ssl() {
    return ssl;
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  public static SSLContext sslTrusting(Path caFile) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(caFile)) {
      trust.setCertificateEntry(
          "ca", (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }
}
