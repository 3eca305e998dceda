package io.edgegw.buffer;

import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.PostgresServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * The buffer's surroundings for its Quarkus tests: a real PostgreSQL with an empty database, a real
 * Mosquitto with users for the buffer and for the test's producer and observer, a generated API
 * token in a 0600 file, and a devices.yaml that gives one tag a unit.
 */
public class StoreResource implements QuarkusTestResourceLifecycleManager {
  static PostgresServer pg;
  static MosquittoBroker broker;
  static String token;
  static Path dir;

  @Override
  public Map<String, String> start() {
    try {
      dir = Files.createTempDirectory("buffer-it");
      pg = PostgresServer.start();
      try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE gateway");
      }
      broker =
          MosquittoBroker.builder()
              .withUser("buffer")
              .withUser("producer")
              .withUser("observer")
              .start();
      byte[] raw = new byte[24];
      new SecureRandom().nextBytes(raw);
      token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
      Path tokenFile = dir.resolve("api-token");
      Files.writeString(tokenFile, token + "\n");
      Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
      Path devices = dir.resolve("devices.yaml");
      Files.writeString(
          devices,
          """
          version: 1
          devices:
            - id: plc
              tcp: { host: 127.0.0.1, port: 502 }
              tags:
                - { name: temp, table: holding, address: 0, type: float32, unit: degC }
          """);
      Map<String, String> config = new HashMap<>();
      config.put("quarkus.datasource.jdbc.url", pg.jdbcUrl("gateway"));
      config.put("quarkus.datasource.username", pg.username());
      config.put("quarkus.datasource.password", pg.password());
      config.put("buffer.bus.port", String.valueOf(broker.port()));
      config.put("buffer.bus.password", broker.password("buffer"));
      config.put("buffer.api.token-file", tokenFile.toString());
      config.put("buffer.devices-file", devices.toString());
      config.put("buffer.ingest.max-delay", "50ms");
      config.put("buffer.status.interval", "1s");
      config.put("buffer.store.maintenance-interval", "1h");
      return config;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void stop() {
    for (AutoCloseable c : new AutoCloseable[] {broker, pg}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          // Best effort: the temporary directories go with the JVM.
        }
      }
    }
  }
}
