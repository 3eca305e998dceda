package io.edgegw.observability;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;

/**
 * A stand-in for an OpenTelemetry collector: an HTTP server on a free 127.0.0.1 port that accepts
 * OTLP over HTTP ({@code POST /v1/traces}, protobuf) and keeps every export it receives. The test
 * reads the protobuf bytes as text only to find the strings it looks for (service name, route).
 */
final class OtlpReceiver implements AutoCloseable {

  /** One export request. */
  record Export(String path, String contentType, byte[] body) {
    /** True when the body carries {@code text} (a service name, an attribute value). */
    boolean mentions(String text) {
      return new String(body, StandardCharsets.ISO_8859_1).contains(text);
    }
  }

  private final HttpServer server;
  private final List<Export> exports = new CopyOnWriteArrayList<>();

  private OtlpReceiver(HttpServer server) {
    this.server = server;
  }

  static OtlpReceiver start() throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    OtlpReceiver receiver = new OtlpReceiver(server);
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
              body = in.readAllBytes();
            }
            if ("gzip"
                .equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
              try (InputStream gz = new GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
                body = gz.readAllBytes();
              }
            }
            receiver.exports.add(
                new Export(
                    exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Content-Type"),
                    body));
            // An empty ExportTraceServiceResponse: full success.
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
          }
        });
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.start();
    return receiver;
  }

  /** {@code http://127.0.0.1:<port>}, the OTLP/HTTP endpoint (the exporter adds /v1/traces). */
  String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  List<Export> exports() {
    return exports;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
