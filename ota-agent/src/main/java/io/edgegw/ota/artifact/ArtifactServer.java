package io.edgegw.ota.artifact;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The OT-side download server: {@code GET|HEAD /artifacts/{name}} (the served version) and {@code
 * /artifacts/{name}/{digest}} (a kept version), bound to one configured interface address and
 * nothing else, separate from the management HTTP port. Answers with {@code Content-Length}, {@code
 * ETag} (the artifact digest), {@code X-Artifact-Digest}, {@code X-Content-SHA256} and single
 * {@code Range} requests; every download is recorded in the {@link DownloadLedger} for the device
 * that asked ({@link DeviceTable}).
 *
 * <p>The JDK's {@code com.sun.net.httpserver}: a plain, small HTTP/1.1 server is all an OT device
 * needs, and its threads stay apart from the management page's event loop.
 */
public final class ArtifactServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ArtifactServer.class);
  private static final String PREFIX = "/artifacts/";
  private static final int CHUNK = 64 * 1024;

  private final HttpServer server;
  private final ExecutorService threads;
  private final ArtifactStore store;
  private final DeviceTable devices;
  private final DownloadLedger ledger;

  private ArtifactServer(
      HttpServer server,
      ExecutorService threads,
      ArtifactStore store,
      DeviceTable devices,
      DownloadLedger ledger) {
    this.server = server;
    this.threads = threads;
    this.store = store;
    this.devices = devices;
    this.ledger = ledger;
  }

  /**
   * Binds and starts.
   *
   * @param listen the OT interface address
   * @param maxConcurrent downloads served at once
   * @param responseTimeout longest a response may take (a stalled device is cut off)
   * @throws IOException when the address cannot be bound (not an address of this host, port taken)
   */
  public static ArtifactServer start(
      ListenAddress listen,
      int maxConcurrent,
      Duration responseTimeout,
      ArtifactStore store,
      DeviceTable devices,
      DownloadLedger ledger)
      throws IOException {
    // Read once by the JDK server when it is first used in this JVM (seconds); the agent has no
    // other user of it.
    System.setProperty(
        "sun.net.httpserver.maxRspTime", String.valueOf(Math.max(1, responseTimeout.toSeconds())));
    System.setProperty("sun.net.httpserver.maxReqTime", "30");
    HttpServer server;
    try {
      server = HttpServer.create(listen.socketAddress(), 64);
    } catch (IOException e) {
      throw new IOException(
          "cannot listen on "
              + listen
              + " (ota.artifacts.listen): "
              + e.getMessage()
              + "; it must be an address of this host's OT interface and a free port",
          e);
    }
    ExecutorService threads =
        Executors.newFixedThreadPool(
            maxConcurrent, Thread.ofPlatform().name("ota-artifact-", 0).daemon().factory());
    ArtifactServer s = new ArtifactServer(server, threads, store, devices, ledger);
    server.createContext("/", s::handle);
    server.setExecutor(threads);
    server.start();
    LOG.infof("artifact server listening on %s (OT interface)", listen);
    return s;
  }

  /** The bound address. */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  private void handle(HttpExchange x) {
    try (x) {
      serve(x);
    } catch (IOException e) {
      LOG.debugf("artifact request from %s ended: %s", x.getRemoteAddress(), e.getMessage());
    } catch (RuntimeException e) {
      LOG.errorf(e, "artifact request %s failed", x.getRequestURI());
    }
  }

  private void serve(HttpExchange x) throws IOException {
    String method = x.getRequestMethod();
    boolean head = "HEAD".equals(method);
    if (!head && !"GET".equals(method)) {
      x.getResponseHeaders().set("Allow", "GET, HEAD");
      text(x, 405, method + " is not allowed; use GET or HEAD");
      return;
    }
    ArtifactPath path = ArtifactPath.parse(x.getRequestURI().getRawPath());
    if (path == null) {
      text(x, 404, "not found; artifacts are at /artifacts/<name> and /artifacts/<name>/<digest>");
      return;
    }
    String named = ArtifactPath.queryParameter(x.getRequestURI().getRawQuery(), "device");
    DeviceTable.Identity who = devices.identify(named, x.getRemoteAddress().getAddress());
    if (who instanceof DeviceTable.Refused r) {
      LOG.warnf("artifact download by %s refused: %s", x.getRemoteAddress(), r.reason());
      text(x, 403, r.reason());
      return;
    }
    String device = ((DeviceTable.Known) who).id();
    Optional<StoredArtifact> found =
        path.digest() == null
            ? store.current(path.name())
            : store.version(path.name(), path.digest());
    if (found.isEmpty()) {
      text(
          x,
          404,
          path.digest() == null
              ? "no artifact '" + path.name() + "' is served"
              : "version " + path.digest() + " of '" + path.name() + "' is not kept");
      return;
    }
    StoredArtifact a = found.get();
    Headers h = x.getResponseHeaders();
    String etag = "\"" + a.digest() + "\"";
    h.set("ETag", etag);
    h.set("X-Artifact-Digest", a.digest());
    h.set("X-Content-SHA256", a.contentSha256());
    h.set("Accept-Ranges", "bytes");
    h.set(
        "Cache-Control",
        path.digest() == null ? "no-cache" : "public, max-age=31536000, immutable");
    String ifNoneMatch = x.getRequestHeaders().getFirst("If-None-Match");
    if (ifNoneMatch != null && (ifNoneMatch.contains(etag) || ifNoneMatch.strip().equals("*"))) {
      x.sendResponseHeaders(304, -1);
      return;
    }
    FileChannel file;
    try {
      file = FileChannel.open(a.file(), StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      text(x, 404, "version " + a.digest() + " of '" + a.name() + "' was just removed; retry");
      return;
    }
    try (file) {
      long size = file.size();
      ByteRange range = ByteRange.parse(x.getRequestHeaders().getFirst("Range"), size);
      if (range == ByteRange.UNSATISFIABLE) {
        h.set("Content-Range", "bytes */" + size);
        text(x, 416, "range not satisfiable for " + size + " bytes");
        return;
      }
      int status = range == null ? 200 : 206;
      long offset = range == null ? 0 : range.first();
      long length = range == null ? size : range.length();
      if (range != null) {
        h.set("Content-Range", "bytes " + range.first() + "-" + range.last() + "/" + size);
      }
      h.set("Content-Type", a.mediaType());
      if (head) {
        h.set("Content-Length", String.valueOf(length));
        x.sendResponseHeaders(status, -1);
        return;
      }
      DownloadLedger.Transfer t = ledger.start(device, a.name(), a.digest(), offset, length, size);
      try {
        x.sendResponseHeaders(status, length == 0 ? -1 : length);
        copy(file, offset, length, x.getResponseBody(), t);
        t.finished();
      } catch (ReadFailure e) {
        LOG.errorf("reading %s for %s failed: %s", a.file(), device, e.getMessage());
        t.failed("reading the stored file failed: " + e.getMessage());
      } catch (IOException e) {
        LOG.infof("download of %s by %s aborted: %s", a.name(), device, e.getMessage());
        t.aborted("connection lost: " + e.getMessage());
      }
    }
  }

  /** A failure to read the stored file, as opposed to one writing to the device. */
  private static final class ReadFailure extends IOException {
    private static final long serialVersionUID = 1L;

    ReadFailure(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  private static void copy(
      FileChannel file, long offset, long length, OutputStream out, DownloadLedger.Transfer t)
      throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
    long position = offset;
    long left = length;
    while (left > 0) {
      buffer.clear();
      buffer.limit((int) Math.min(CHUNK, left));
      int n;
      try {
        n = file.read(buffer, position);
      } catch (IOException e) {
        throw new ReadFailure(e);
      }
      if (n < 0) {
        throw new ReadFailure(new IOException("the file ended " + left + " bytes early"));
      }
      out.write(buffer.array(), 0, n);
      t.sent(n);
      position += n;
      left -= n;
    }
    out.flush();
    out.close();
  }

  private static void text(HttpExchange x, int status, String message) throws IOException {
    byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    if ("HEAD".equals(x.getRequestMethod())) {
      x.sendResponseHeaders(status, -1);
      return;
    }
    x.sendResponseHeaders(status, body.length);
    x.getResponseBody().write(body);
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
    try {
      threads.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
