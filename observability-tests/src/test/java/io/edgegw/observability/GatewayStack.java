package io.edgegw.observability;

import io.edgegw.testsupport.FreePorts;
import io.edgegw.testsupport.ModbusTcpSimulator;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway's four packaged services as child JVMs ({@link ServiceProcess}) with what they need,
 * all on loopback: PostgreSQL (the edge store, migrated by buffer-service), the local Mosquitto, a
 * TLS Mosquitto standing in for the cloud (mTLS, {@link TestPki}), and a Modbus TCP simulator.
 *
 * <p>The plant is chosen so that every dashboard has something to show: device {@code tank} answers
 * (its level, 95 %, is above the rule's 90 % limit, so the alarm {@code tank-high} is raised and
 * its interlock closes the inlet), and device {@code vent} points at a port where nothing listens,
 * so the bridge counts communication errors and stores COMM_FAILURE samples.
 */
final class GatewayStack implements AutoCloseable {
  static final String GATEWAY_ID = "gw-obs";

  final TestPki pki;
  final PostgresServer pg;
  final MosquittoBroker local;
  final MosquittoBroker cloud;
  final ModbusTcpSimulator tank;
  final ServiceProcess bridge;
  final ServiceProcess buffer;
  final ServiceProcess rules;
  final ServiceProcess uplink;
  private final List<AutoCloseable> opened;

  private GatewayStack(
      TestPki pki,
      PostgresServer pg,
      MosquittoBroker local,
      MosquittoBroker cloud,
      ModbusTcpSimulator tank,
      ServiceProcess bridge,
      ServiceProcess buffer,
      ServiceProcess rules,
      ServiceProcess uplink,
      List<AutoCloseable> opened) {
    this.pki = pki;
    this.pg = pg;
    this.local = local;
    this.cloud = cloud;
    this.tank = tank;
    this.bridge = bridge;
    this.buffer = buffer;
    this.rules = rules;
    this.uplink = uplink;
    this.opened = opened;
  }

  static final String RULES =
      """
      version: 1
      rules:
        - id: tank-high
          severity: CRITICAL
          message: "Tank level {value} % above {limit} %"
          threshold: { device: tank, tag: level, hi: 90, hysteresis: 5 }
          actions:
            - interlock: { device: tank, tag: inlet, value: false, timeout: 2s, retries: 1, retryDelay: 200ms }
        - id: vent-comm
          severity: WARNING
          quality: { device: vent, tag: flow }
      """;

  static String devices(int tankPort, int ventPort) {
    return """
    version: 1
    pollGroups:
      fast: 200ms
    devices:
      - id: tank
        tcp: { host: 127.0.0.1, port: %d }
        unitId: 1
        timeout: 1s
        tags:
          - { name: level, table: holding, address: 0, type: int16, unit: "%%", deadband: 0, heartbeat: 1s }
          - { name: inlet, table: coil, address: 0, type: bool, writable: true, deadband: 0, heartbeat: 1s }
      - id: vent
        tcp: { host: 127.0.0.1, port: %d }
        unitId: 1
        timeout: 300ms
        tags:
          - { name: flow, table: holding, address: 0, type: int16, deadband: 0, heartbeat: 1s }
    """
        .formatted(tankPort, ventPort);
  }

  /**
   * Starts everything and waits until the four services are ready. buffer-service traces to {@code
   * otlp} (OTLP over HTTP) with the operator's switches, the environment variables {@code
   * QUARKUS_OTEL_SDK_DISABLED=false} and {@code QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}
   * (docs/configuration.md); bridge-service is given the endpoint only, and must stay silent.
   */
  static GatewayStack start(String otlp) throws Exception {
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      TestPki pki = add(opened, TestPki.create());
      TestPki.Issued server = pki.server("127.0.0.1");
      TestPki.Issued gateway = pki.client(GATEWAY_ID);
      PostgresServer pg = add(opened, PostgresServer.start());
      try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE gateway");
      }
      MosquittoBroker local =
          add(
              opened,
              MosquittoBroker.builder()
                  .withUser("bridge")
                  .withUser("buffer")
                  .withUser("rules")
                  .withUser("uplink")
                  .start());
      MosquittoBroker cloud =
          add(
              opened,
              MosquittoBroker.builder()
                  .tls(pki.ca().certFile(), server.certFile(), server.keyFile(), true)
                  .start());
      ModbusTcpSimulator tank = add(opened, ModbusTcpSimulator.start(1));
      tank.setHolding(0, (short) 95);
      tank.setCoil(0, true);
      Path config = Files.createTempDirectory(pki.directory(), "config");
      Path devices =
          Files.writeString(
              config.resolve("devices.yaml"), devices(tank.port(), FreePorts.loopback()));
      Path rulesFile = Files.writeString(config.resolve("rules.yaml"), RULES);

      ServiceProcess buffer =
          add(
              opened,
              ServiceProcess.builder("buffer-service", jar("buffer.app.jar"))
                  .heap("128m")
                  .property("quarkus.datasource.jdbc.url", pg.jdbcUrl("gateway"))
                  .property("quarkus.datasource.username", pg.username())
                  .property("buffer.bus.port", String.valueOf(local.port()))
                  .property("buffer.devices-file", devices.toString())
                  .fileProperty("buffer.api.token-file", "api-token")
                  .property("buffer.ingest.max-delay", "50ms")
                  .secret("QUARKUS_DATASOURCE_PASSWORD", pg.password())
                  .secret("BUFFER_BUS_PASSWORD", local.password("buffer"))
                  .secret("QUARKUS_OTEL_SDK_DISABLED", "false")
                  .secret("QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", otlp)
                  .secret("QUARKUS_OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")
                  .secret("QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "200ms")
                  .clearEnvironmentPrefix("BUFFER_")
                  .build());
      writeToken(buffer.directory().resolve("api-token"));
      buffer.start();
      ServiceProcess bridge =
          add(
              opened,
              ServiceProcess.builder("bridge-service", jar("bridge.app.jar"))
                  .heap("96m")
                  .property("bridge.bus.port", String.valueOf(local.port()))
                  .property("bridge.devices-file", devices.toString())
                  .property("bridge.retry.initial", "200ms")
                  .property("bridge.retry.max", "1s")
                  .secret("BRIDGE_BUS_PASSWORD", local.password("bridge"))
                  .secret("QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", otlp)
                  .secret("QUARKUS_OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")
                  .secret("QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "200ms")
                  .clearEnvironmentPrefix("BRIDGE_")
                  .start());
      // The rules start once the buffer is subscribed, so it stores their first alarm events
      // (a new session on the broker gets nothing published before it subscribed), and uplink
      // reads the outbox tables, which buffer-service's migration creates.
      buffer.awaitReady();
      ServiceProcess rules =
          add(
              opened,
              ServiceProcess.builder("rules-service", jar("rules.app.jar"))
                  .heap("96m")
                  .property("rules.bus.port", String.valueOf(local.port()))
                  .property("rules.rules-file", rulesFile.toString())
                  .property("rules.devices-file", devices.toString())
                  .secret("RULES_BUS_PASSWORD", local.password("rules"))
                  .clearEnvironmentPrefix("RULES_")
                  .start());
      ServiceProcess uplink =
          add(
              opened,
              ServiceProcess.builder("uplink-service", jar("uplink.app.jar"))
                  .heap("96m")
                  .property("uplink.gateway-id", GATEWAY_ID)
                  .property("uplink.cloud.host", "127.0.0.1")
                  .property("uplink.cloud.port", String.valueOf(cloud.port()))
                  .property("uplink.cloud.tls.ca-file", pki.ca().certFile().toString())
                  .property("uplink.cloud.tls.cert-file", gateway.certFile().toString())
                  .property("uplink.cloud.tls.key-file", gateway.keyFile().toString())
                  .property("uplink.status.interval", "1s")
                  .property("uplink.outbox.live-poll-interval", "200ms")
                  .property("uplink.bus.port", String.valueOf(local.port()))
                  .property("quarkus.datasource.jdbc.url", pg.jdbcUrl("gateway"))
                  .property("quarkus.datasource.username", pg.username())
                  .secret("QUARKUS_DATASOURCE_PASSWORD", pg.password())
                  .secret("UPLINK_BUS_PASSWORD", local.password("uplink"))
                  .clearEnvironmentPrefix("UPLINK_")
                  .start());
      bridge.awaitReady();
      rules.awaitReady();
      uplink.awaitReady();
      return new GatewayStack(pki, pg, local, cloud, tank, bridge, buffer, rules, uplink, opened);
    } catch (Exception | Error e) {
      closeAll(opened);
      throw e;
    }
  }

  /** Prometheus targets: job name of the committed prometheus.yml to host:port. */
  Map<String, String> targets() {
    Map<String, String> t = new LinkedHashMap<>();
    t.put("bridge", "127.0.0.1:" + bridge.port());
    t.put("buffer", "127.0.0.1:" + buffer.port());
    t.put("rules", "127.0.0.1:" + rules.port());
    t.put("uplink", "127.0.0.1:" + uplink.port());
    return t;
  }

  /** The API token of buffer-service's query API. */
  String bufferToken() throws java.io.IOException {
    return Files.readString(buffer.directory().resolve("api-token")).strip();
  }

  /** A connection to the edge store, as the Grafana datasource has. */
  Connection store() throws SQLException {
    return DriverManager.getConnection(pg.jdbcUrl("gateway"), pg.username(), pg.password());
  }

  /** The services' log tails, for failure messages. */
  String logTails() {
    return String.join("\n", bridge.logTail(), buffer.logTail(), rules.logTail(), uplink.logTail());
  }

  private static <T extends AutoCloseable> T add(List<AutoCloseable> opened, T c) {
    opened.add(c);
    return c;
  }

  static Path jar(String property) {
    String jar = System.getProperty(property);
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException(
          property
              + " is "
              + jar
              + "; run with failsafe after packaging the services (mvn verify -pl"
              + " observability-tests -am)");
    }
    return Path.of(jar);
  }

  private static void writeToken(Path file) throws Exception {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
  }

  private static void closeAll(List<AutoCloseable> opened) {
    for (AutoCloseable c : opened.reversed()) {
      try {
        c.close();
      } catch (Exception e) {
        // keep closing the rest; the first failure of the test is what matters
      }
    }
  }

  @Override
  public void close() {
    closeAll(opened);
  }
}
