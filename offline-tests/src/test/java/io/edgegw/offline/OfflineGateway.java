package io.edgegw.offline;

import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.edgegw.testsupport.BusObserver;
import io.edgegw.testsupport.CloudApplication;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The gateway of the offline scenarios, on loopback: PostgreSQL (the edge store, migrated by the
 * packaged buffer-service), the local Mosquitto, a TLS Mosquitto standing in for the cloud (mTLS,
 * {@link TestPki}) that a scenario cuts and restores, and the packaged buffer, rules and uplink as
 * child JVMs. The plant is {@link PlantData} on the bus, published as the bridge publishes.
 *
 * <p>Two cloud clients: the "cloud application" with a persistent session, which misses nothing and
 * is where every sample is counted; and a meter with a clean session, which gets each message as
 * the broker forwards it and never a burst queued while it was away, so its arrival times give the
 * backfill rate and the live latency.
 */
final class OfflineGateway implements AutoCloseable {
  static final String GATEWAY = "gw-off";
  static final String ROOT = "edgegw/" + GATEWAY;

  /** {@code uplink.offline.after}. */
  static final int OFFLINE_AFTER_S = 3;

  /** {@code uplink.backfill.messages-per-second}. */
  static final int RATE = 100;

  /** {@code uplink.backfill.samples-per-message}. */
  static final int BACKFILL_SAMPLES = 2_000;

  /** {@code buffer.store.quota}. */
  static final long QUOTA_BYTES = 2L << 30;

  static final String RULES =
      """
      version: 1
      rules:
        - id: d0-high
          severity: CRITICAL
          message: "d0 t0 {value} above {limit}"
          threshold: { device: d0, tag: t0, hi: 90, hysteresis: 5 }
      """;

  final TestPki pki;
  final PostgresServer pg;
  final MosquittoBroker local;
  final MosquittoBroker cloud;
  final ServiceProcess buffer;
  final ServiceProcess rules;
  final ServiceProcess uplink;
  final BusObserver plant;
  final BusObserver statuses;
  final BusObserver alarms;
  final CloudApplication cloudApp;
  final CloudApplication meter;
  private final List<AutoCloseable> opened;

  private OfflineGateway(List<AutoCloseable> opened, Object[] parts) {
    this.opened = opened;
    int i = 0;
    pki = (TestPki) parts[i++];
    pg = (PostgresServer) parts[i++];
    local = (MosquittoBroker) parts[i++];
    cloud = (MosquittoBroker) parts[i++];
    buffer = (ServiceProcess) parts[i++];
    rules = (ServiceProcess) parts[i++];
    uplink = (ServiceProcess) parts[i++];
    plant = (BusObserver) parts[i++];
    statuses = (BusObserver) parts[i++];
    alarms = (BusObserver) parts[i++];
    cloudApp = (CloudApplication) parts[i++];
    meter = (CloudApplication) parts[i];
  }

  /** Starts everything and waits until the three services are ready. */
  static OfflineGateway start() throws Exception {
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      TestPki pki = add(opened, TestPki.create());
      TestPki.Issued server = pki.server("127.0.0.1");
      TestPki.Issued gateway = pki.client(GATEWAY);
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
                  .withUser("operator")
                  .start());
      MosquittoBroker cloud =
          add(
              opened,
              MosquittoBroker.builder()
                  .tls(pki.ca().certFile(), server.certFile(), server.keyFile(), true)
                  .start());
      Path config = Files.createTempDirectory(pki.directory(), "config");
      Path devices = Files.writeString(config.resolve("devices.yaml"), PlantData.devicesYaml());
      Path rulesFile = Files.writeString(config.resolve("rules.yaml"), RULES);
      ServiceProcess buffer =
          add(
              opened,
              ServiceProcess.builder("buffer-service", jar("buffer.app.jar"))
                  .heap("160m")
                  .property("quarkus.datasource.jdbc.url", pg.jdbcUrl("gateway"))
                  .property("quarkus.datasource.username", pg.username())
                  .property("buffer.bus.port", String.valueOf(local.port()))
                  .property("buffer.devices-file", devices.toString())
                  .property("buffer.store.quota", "2G")
                  .property("buffer.store.maintenance-interval", "5s")
                  .property("buffer.status.interval", "2s")
                  .secret("QUARKUS_DATASOURCE_PASSWORD", pg.password())
                  .secret("BUFFER_BUS_PASSWORD", local.password("buffer"))
                  .clearEnvironmentPrefix("BUFFER_")
                  .start());
      buffer.awaitReady();
      ServiceProcess rules =
          add(
              opened,
              ServiceProcess.builder("rules-service", jar("rules.app.jar"))
                  .heap("128m")
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
                  .heap("128m")
                  .property("uplink.gateway-id", GATEWAY)
                  .property("uplink.cloud.host", "127.0.0.1")
                  .property("uplink.cloud.port", String.valueOf(cloud.port()))
                  .property("uplink.cloud.tls.ca-file", pki.ca().certFile().toString())
                  .property("uplink.cloud.tls.cert-file", gateway.certFile().toString())
                  .property("uplink.cloud.tls.key-file", gateway.keyFile().toString())
                  .property("uplink.cloud.reconnect.initial-delay", "200ms")
                  .property("uplink.cloud.reconnect.max-delay", "1s")
                  .property("uplink.offline.after", OFFLINE_AFTER_S + "s")
                  .property("uplink.status.interval", "1s")
                  .property("uplink.outbox.live-poll-interval", "200ms")
                  .property("uplink.backfill.messages-per-second", String.valueOf(RATE))
                  .property("uplink.backfill.samples-per-message", String.valueOf(BACKFILL_SAMPLES))
                  .property("uplink.bus.port", String.valueOf(local.port()))
                  .property("quarkus.datasource.jdbc.url", pg.jdbcUrl("gateway"))
                  .property("quarkus.datasource.username", pg.username())
                  .secret("QUARKUS_DATASOURCE_PASSWORD", pg.password())
                  .secret("UPLINK_BUS_PASSWORD", local.password("uplink"))
                  .clearEnvironmentPrefix("UPLINK_")
                  .start());
      rules.awaitReady();
      uplink.awaitReady();
      BusObserver plant =
          add(
              opened,
              new BusObserver(
                  local.port(),
                  "bridge",
                  local.password("bridge"),
                  "it-plant",
                  "gw/v1/cmd/bridge/#"));
      BusObserver statuses =
          add(
              opened,
              new BusObserver(
                  local.port(),
                  "operator",
                  local.password("operator"),
                  "it-status",
                  "gw/v1/status/+"));
      BusObserver alarms =
          add(
              opened,
              new BusObserver(
                  local.port(),
                  "operator",
                  local.password("operator"),
                  "it-alarm",
                  "gw/v1/alarm/+"));
      CloudApplication cloudApp =
          add(
              opened,
              CloudApplication.connect(
                  pki, pki.client("cloud-app"), "cloud-app", cloud.port(), ROOT + "/#", true));
      CloudApplication meter =
          add(
              opened,
              CloudApplication.connect(
                  pki, pki.client("cloud-meter"), "cloud-meter", cloud.port(), ROOT + "/#", false));
      return new OfflineGateway(
          opened,
          new Object[] {
            pki, pg, local, cloud, buffer, rules, uplink, plant, statuses, alarms, cloudApp, meter
          });
    } catch (Exception | Error e) {
      closeAll(opened);
      throw e;
    }
  }

  /** The uplink's link state as its last retained status says, or null before the first. */
  String link() {
    Status s = uplinkStatus();
    return s == null ? null : String.valueOf(s.detail().get("link"));
  }

  Status uplinkStatus() {
    List<BusObserver.Received> all = statuses.on(Topics.status("uplink"));
    return all.isEmpty() ? null : all.getLast().as(Status.class);
  }

  /** A number from the last retained status of {@code component}. */
  long statusNumber(String component, String field) {
    List<BusObserver.Received> all = statuses.on(Topics.status(component));
    if (all.isEmpty()) {
      return -1;
    }
    Object v = all.getLast().as(Status.class).detail().get(field);
    return v instanceof Number n ? n.longValue() : -1;
  }

  long scalar(String sql) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(pg.jdbcUrl("gateway"), pg.username(), pg.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static Path jar(String property) {
    String jar = System.getProperty(property);
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException(
          property
              + " is "
              + jar
              + "; run with failsafe after packaging the services (mvn verify)");
    }
    return Path.of(jar);
  }

  private static <T extends AutoCloseable> T add(List<AutoCloseable> opened, T c) {
    opened.add(c);
    return c;
  }

  private static void closeAll(List<AutoCloseable> opened) {
    List<AutoCloseable> reversed = new ArrayList<>(opened);
    Collections.reverse(reversed);
    for (AutoCloseable c : reversed) {
      try {
        c.close();
      } catch (Exception e) {
        // closing the rest matters more
      }
    }
  }

  @Override
  public void close() {
    closeAll(opened);
  }
}
