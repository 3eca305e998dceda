package io.edgegw.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How {@link RegistryClient} classifies answers a real registry rarely gives on demand (5xx, 429):
 * transient ones are {@link RegistryUnavailableException} so the caller retries, refusals are
 * {@link RegistryException}. A JDK HTTP server on loopback answers with a chosen status.
 */
class RegistryClientErrorsTest {

  private HttpServer server;
  private final AtomicInteger status = new AtomicInteger(503);
  private RegistryClient client;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          byte[] body =
              "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"storage is down\"}]}"
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status.get(), body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    client = new RegistryClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()));
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void serverErrorsAndRateLimitsAreUnavailable() {
    for (int code : new int[] {500, 502, 503, 429}) {
      status.set(code);
      assertThatThrownBy(() -> client.pullBundle("edgegw/stack", "1.0.0"))
          .as("status " + code)
          .isInstanceOf(RegistryUnavailableException.class)
          .hasMessageContaining("answered " + code)
          .hasMessageContaining("storage is down");
    }
  }

  @Test
  void refusalsAreRegistryExceptionsWithTheStatus() {
    for (int code : new int[] {401, 403, 404}) {
      status.set(code);
      assertThatThrownBy(() -> client.resolveDigest("edgegw/stack", "1.0.0"))
          .as("status " + code)
          .isInstanceOfSatisfying(
              RegistryException.class, e -> assertThat(e.status()).isEqualTo(code))
          .isNotInstanceOf(RegistryUnavailableException.class);
    }
    status.set(401);
    assertThatThrownBy(() -> client.pullBundle("edgegw/stack", "1.0.0"))
        .hasMessageContaining("requires a login");
  }

  @Test
  void badRepositoryNamesAreRefusedBeforeAnyRequest() {
    assertThatThrownBy(() -> client.pullBundle("../etc", "1.0.0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'../etc' is not a repository name");
    assertThatThrownBy(() -> client.pullBundle("edgegw/stack", "../../x"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
