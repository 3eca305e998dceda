package io.edgegw.offline;

import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.edgegw.testsupport.BusObserver;
import io.edgegw.testsupport.CloudApplication;
import io.edgegw.testsupport.ModbusTcpSimulator;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.RegisterTable;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway of the fault suite, on loopback: everything {@link OfflineGateway} runs (PostgreSQL,
 * the local Mosquitto with persistence, a TLS Mosquitto as the cloud, the packaged buffer, rules
 * and uplink) plus the packaged bridge polling a Modbus simulator, so that all four services can be
 * killed.
 *
 * <p>Differences that the faults need:
 *
 * <ul>
 *   <li>optionally a small {@code buffer.store.quota} ({@value #QUOTA_BYTES} bytes), maintained
 *       every second and dropped {@value #DROP_STEP} at a time, so that an outage fills it;
 *   <li>a slow backfill ({@value #RATE} messages/s of {@value #BACKFILL_SAMPLES} samples), so that
 *       faults land while it runs;
 *   <li>the four services run under libfaketime with one offset file for all of them, the host
 *       clock as the services see it: {@link #stepClock} steps it forward or back while they run
 *       (their {@code InstantSource} and every wall-clock read; monotonic time is not faked, as a
 *       host clock step does not move it);
 *   <li>audit triggers in the store, installed once the buffer has migrated it: every row inserted
 *       into {@code sample} (what the buffer accepted, committed with it) goes to {@code
 *       fault_accepted}, and every row deleted from it to {@code fault_deleted} with the statement
 *       that deleted it, so the test can tell the quota's removal of unsent rows from that of
 *       delivered ones. They are the test's oracle and touch nothing the services read.
 * </ul>
 */
final class FaultGateway implements AutoCloseable {
  static final String GATEWAY = OfflineGateway.GATEWAY;
  static final String ROOT = OfflineGateway.ROOT;
  static final int OFFLINE_AFTER_S = OfflineGateway.OFFLINE_AFTER_S;
  static final int RATE = 5;
  static final int BACKFILL_SAMPLES = 500;
  static final long QUOTA_BYTES = 6L << 20;

  /** A quota that the suite never reaches. */
  static final long NO_QUOTA = 2L << 30;

  static final String DROP_STEP = "10m";

  /** The bridge's device on the Modbus simulator, and its tags. */
  static final String PLC = "plc";

  static final int PLC_TAGS = 3;

  private static final Path LIBFAKETIME =
      Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1");

  private static final String AUDIT =
      """
      CREATE TABLE fault_accepted (series_id integer, ts timestamptz, ingest_seq bigint,
        at timestamptz);
      CREATE TABLE fault_deleted (series_id integer, ts timestamptz, statement text,
        ingest_seq bigint, delivered boolean, at timestamptz, xid bigint);
      CREATE FUNCTION fault_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO fault_accepted
            VALUES (NEW.series_id, NEW.ts, NEW.ingest_seq, clock_timestamp());
        ELSE
          INSERT INTO fault_deleted VALUES (OLD.series_id, OLD.ts, left(current_query(), 40),
            OLD.ingest_seq,
            EXISTS (SELECT 1 FROM outbox_delivered d WHERE d.consumer = 'cloud'
              AND OLD.ingest_seq BETWEEN d.from_seq AND d.to_seq),
            clock_timestamp(), txid_current());
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER fault_audit AFTER INSERT OR DELETE ON sample
        FOR EACH ROW EXECUTE FUNCTION fault_audit();
      """;

  final TestPki pki;
  final PostgresServer pg;
  final MosquittoBroker local;
  final MosquittoBroker cloud;
  final ModbusTcpSimulator plc;
  final Map<String, ServiceProcess> services = new LinkedHashMap<>();
  BusObserver plant;
  BusObserver statuses;
  CloudApplication cloudApp;
  private final Path clockFile;
  final long quotaBytes;
  private final List<AutoCloseable> opened = new ArrayList<>();

  private FaultGateway(long quotaBytes) throws Exception {
    this.quotaBytes = quotaBytes;
    if (!Files.isRegularFile(LIBFAKETIME)) {
      throw new IllegalStateException(
          LIBFAKETIME
              + " is missing: the fault suite steps the services' clock with libfaketime"
              + " (Debian package libfaketime; bin/gateway test installs it)");
    }
    pki = add(TestPki.create());
    clockFile = pki.directory().resolve("clock-offset");
    writeOffset("+0");
    pg = add(PostgresServer.start());
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE gateway");
    }
    local =
        add(
            MosquittoBroker.builder()
                .withUser("bridge")
                .withUser("buffer")
                .withUser("rules")
                .withUser("uplink")
                .withUser("operator")
                .start());
    TestPki.Issued server = pki.server("127.0.0.1");
    cloud =
        add(
            MosquittoBroker.builder()
                .tls(pki.ca().certFile(), server.certFile(), server.keyFile(), true)
                .start());
    plc = add(ModbusTcpSimulator.direct(1));
    for (int t = 0; t < PLC_TAGS; t++) {
      plc.setFloat32(RegisterTable.HOLDING, 2 * t, 10 + t);
    }
  }

  /** Starts everything, waits until the four services are ready, and installs the audit. */
  static FaultGateway start(long quotaBytes) throws Exception {
    FaultGateway gw = new FaultGateway(quotaBytes);
    try {
      gw.launch();
      return gw;
    } catch (Exception | Error e) {
      gw.close();
      throw e;
    }
  }

  private void launch() throws Exception {
    TestPki.Issued gateway = pki.client(GATEWAY);
    // The cloud application subscribes first: the uplink delivers the bridge's first samples as
    // soon as it is up, and a session that does not exist yet gets nothing of them.
    cloudApp =
        add(
            CloudApplication.connect(
                pki, pki.client("cloud-app"), "cloud-app", cloud.port(), ROOT + "/#", true));
    Path config = Files.createTempDirectory(pki.directory(), "config");
    Path devices =
        Files.writeString(
            config.resolve("devices.yaml"),
            PlantData.devicesYaml().replace("  slow: 10s\n", "  slow: 10s\n  fast: 200ms\n")
                + plcDevice(plc.port()));
    Path bridgeDevices =
        Files.writeString(
            config.resolve("bridge-devices.yaml"),
            "version: 1\npollGroups:\n  fast: 200ms\ndevices:\n" + plcDevice(plc.port()));
    Path rulesFile = Files.writeString(config.resolve("rules.yaml"), OfflineGateway.RULES);
    ServiceProcess buffer =
        add(
            clocked(ServiceProcess.builder("buffer-service", OfflineGateway.jar("buffer.app.jar")))
                .heap("160m")
                .property("quarkus.datasource.jdbc.url", pg.jdbcUrl("gateway"))
                .property("quarkus.datasource.username", pg.username())
                .property("buffer.bus.port", String.valueOf(local.port()))
                .property("buffer.devices-file", devices.toString())
                .property("buffer.store.quota", String.valueOf(quotaBytes))
                .property("buffer.store.quota-drop-step", DROP_STEP)
                .property("buffer.store.maintenance-interval", "1s")
                .property("buffer.status.interval", "1s")
                .secret("QUARKUS_DATASOURCE_PASSWORD", pg.password())
                .secret("BUFFER_BUS_PASSWORD", local.password("buffer"))
                .clearEnvironmentPrefix("BUFFER_")
                .start());
    services.put("buffer", buffer);
    buffer.awaitReady();
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(AUDIT);
    }
    services.put(
        "bridge",
        add(
            clocked(ServiceProcess.builder("bridge-service", OfflineGateway.jar("bridge.app.jar")))
                .heap("128m")
                .property("bridge.bus.port", String.valueOf(local.port()))
                .property("bridge.devices-file", bridgeDevices.toString())
                .secret("BRIDGE_BUS_PASSWORD", local.password("bridge"))
                .clearEnvironmentPrefix("BRIDGE_")
                .start()));
    services.put(
        "rules",
        add(
            clocked(ServiceProcess.builder("rules-service", OfflineGateway.jar("rules.app.jar")))
                .heap("128m")
                .property("rules.bus.port", String.valueOf(local.port()))
                .property("rules.rules-file", rulesFile.toString())
                .property("rules.devices-file", devices.toString())
                .secret("RULES_BUS_PASSWORD", local.password("rules"))
                .clearEnvironmentPrefix("RULES_")
                .start()));
    services.put(
        "uplink",
        add(
            clocked(ServiceProcess.builder("uplink-service", OfflineGateway.jar("uplink.app.jar")))
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
                .start()));
    for (ServiceProcess p : services.values()) {
      p.awaitReady();
    }
    plant =
        add(
            new BusObserver(
                local.port(), "bridge", local.password("bridge"), "it-plant", "gw/v1/cmd/plant/#"));
    statuses =
        add(
            new BusObserver(
                local.port(),
                "operator",
                local.password("operator"),
                "it-status",
                "gw/v1/status/+"));
  }

  /**
   * The bridge's device. The buffer and the rules read the same entry for the series' units; the
   * bridge polls it every 200 ms and publishes each tag at least every second (heartbeat).
   */
  private static String plcDevice(int port) {
    StringBuilder y =
        new StringBuilder("  - id: " + PLC + "\n    tcp: { host: 127.0.0.1, port: " + port + " }\n")
            .append("    unitId: 1\n    timeout: 1s\n    tags:\n");
    for (int t = 0; t < PLC_TAGS; t++) {
      y.append("      - { name: p")
          .append(t)
          .append(", table: holding, address: ")
          .append(2 * t)
          .append(", type: float32, pollGroup: fast, deadband: 0, heartbeat: 1s }\n");
    }
    return y.toString();
  }

  /**
   * libfaketime reads the offset file at most once a second ({@code FAKETIME_CACHE_DURATION}), so a
   * step takes effect within a second in every service. Monotonic time and file times stay real.
   * LD_PRELOAD and the faketime settings are environment variables; {@code secret} is how the
   * builder sets one (none of them is secret).
   */
  private ServiceProcess.Builder clocked(ServiceProcess.Builder b) {
    return b.secret("LD_PRELOAD", LIBFAKETIME.toString())
        .secret("FAKETIME_TIMESTAMP_FILE", clockFile.toString())
        .secret("FAKETIME_CACHE_DURATION", "1")
        .secret("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        // Without these two, every clock read and file stat pays for libfaketime's bookkeeping:
        // a service took 6 times the CPU to start, and the suite starved the machine.
        .secret("FAKETIME_FORCE_MONOTONIC_FIX", "0")
        .secret("NO_FAKE_STAT", "1");
  }

  /**
   * Sets the services' clock to the real time plus {@code offset} (a whole number of seconds, may
   * be negative): a step of the host clock, as NTP or an operator makes it.
   */
  void stepClock(Duration offset) {
    long s = offset.toSeconds();
    writeOffset((s >= 0 ? "+" : "") + s);
  }

  private void writeOffset(String offset) {
    try {
      Path tmp = clockFile.resolveSibling("clock-offset.tmp");
      Files.writeString(tmp, offset + "\n");
      Files.move(tmp, clockFile, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  ServiceProcess service(String name) {
    return services.get(name);
  }

  /** The uplink's link state as its last retained status says, or null before the first. */
  String link() {
    List<BusObserver.Received> all = statuses.on(Topics.status("uplink"));
    return all.isEmpty()
        ? null
        : String.valueOf(all.getLast().as(Status.class).detail().get("link"));
  }

  Connection connect() throws SQLException {
    return DriverManager.getConnection(pg.jdbcUrl("gateway"), pg.username(), pg.password());
  }

  long scalar(String sql) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The first column of every row of {@code sql}. */
  List<String> strings(String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  private <T extends AutoCloseable> T add(T c) {
    opened.add(c);
    return c;
  }

  @Override
  public void close() {
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
}
