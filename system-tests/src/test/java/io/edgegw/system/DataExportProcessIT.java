package io.edgegw.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.PayloadException;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.contracts.Topics;
import io.edgegw.gwctl.Gwctl;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The handover's "read the last 30 days of buffered data from any single gateway", end to end:
 * samples spread over the last 30 days published on the local bus as the bridge does, stored by the
 * packaged buffer-service in a real PostgreSQL; {@code gwctl data} (in-process, through its picocli
 * entry) sends {@code buffer.export} to a real TLS Mosquitto standing in for the cloud; the
 * packaged uplink-service relays it to the local bus and the parts back. The local bus runs the ACL
 * and passwords that podman/provision.sh writes, so the buffer's export topics are allowed there
 * for real. The file gwctl writes must hold exactly the rows the store holds for the range, and
 * have come in several parts; an unknown series must end with a non-zero exit code and the reason.
 */
class DataExportProcessIT {
  private static final String GATEWAY = "gw-data";
  private static final int STEPS = 1000;
  private static final PayloadCodec CODEC = new PayloadCodec();

  private static final List<AutoCloseable> OPENED = new ArrayList<>();
  private static TestPki pki;
  private static PostgresServer pg;
  private static MosquittoBroker cloud;
  private static CloudApplication watcher;
  private static final List<String> PROBES = new ArrayList<>();
  private static List<String> brokerArgs;

  @TempDir static Path temp;

  @BeforeAll
  static void startGateway() throws Exception {
    Path secrets = temp.resolve("secrets");
    Script.provision(secrets, "--gateway-id", GATEWAY).assertSucceeded();
    pki = open(TestPki.create());
    TestPki.Issued server = pki.server("127.0.0.1");
    TestPki.Issued gatewayCert = pki.client(GATEWAY);
    pg = open(PostgresServer.start());
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE gateway");
    }
    MosquittoBroker local =
        open(
            MosquittoBroker.builder()
                .passwordFile(secrets.resolve("mosquitto.passwd"))
                .aclFile(Files.readString(secrets.resolve("mosquitto.acl")))
                .start());
    cloud =
        open(
            MosquittoBroker.builder()
                .tls(pki.ca().certFile(), server.certFile(), server.keyFile(), true)
                .start());
    ServiceProcess buffer =
        open(
            ServiceProcess.builder("buffer-service", jar("buffer-service"))
                .heap("160m")
                .property("quarkus.datasource.jdbc.url", pg.jdbcUrl("gateway"))
                .property("quarkus.datasource.username", pg.username())
                .property("buffer.bus.port", String.valueOf(local.port()))
                .property("buffer.devices-file", temp.resolve("no-devices.yaml").toString())
                .property("buffer.export.part-rows", "500")
                .secret("QUARKUS_DATASOURCE_PASSWORD", pg.password())
                .secret("BUFFER_BUS_PASSWORD", password(secrets, "buffer"))
                .clearEnvironmentPrefix("BUFFER_")
                .start());
    buffer.awaitReady();
    ServiceProcess uplink =
        open(
            ServiceProcess.builder("uplink-service", jar("uplink-service"))
                .heap("128m")
                .property("uplink.gateway-id", GATEWAY)
                .property("uplink.cloud.host", "127.0.0.1")
                .property("uplink.cloud.port", String.valueOf(cloud.port()))
                .property("uplink.cloud.tls.ca-file", pki.ca().certFile().toString())
                .property("uplink.cloud.tls.cert-file", gatewayCert.certFile().toString())
                .property("uplink.cloud.tls.key-file", gatewayCert.keyFile().toString())
                .property("uplink.cloud.reconnect.initial-delay", "200ms")
                .property("uplink.cloud.reconnect.max-delay", "1s")
                .property("uplink.bus.port", String.valueOf(local.port()))
                .property("quarkus.datasource.jdbc.url", pg.jdbcUrl("gateway"))
                .property("quarkus.datasource.username", pg.username())
                .secret("QUARKUS_DATASOURCE_PASSWORD", pg.password())
                .secret("UPLINK_BUS_PASSWORD", password(secrets, "uplink"))
                .clearEnvironmentPrefix("UPLINK_")
                .start());
    uplink.awaitReady();

    publishThirtyDays(local, password(secrets, "bridge"));
    await("the store holds every sample")
        .atMost(Duration.ofSeconds(30))
        .until(() -> scalar("SELECT count(*) FROM sample") == 3L * STEPS);

    TestPki.Issued operator = pki.client("operator");
    watcher =
        open(
            CloudApplication.connect(
                pki,
                operator,
                "it-watcher",
                cloud.port(),
                "edgegw/" + GATEWAY + "/reply/#",
                false));
    awaitRelay();
    brokerArgs =
        List.of(
            "--broker", "ssl://127.0.0.1:" + cloud.port(),
            "--ca", pki.ca().certFile().toString(),
            "--cert", operator.certFile().toString(),
            "--key", operator.keyFile().toString());
  }

  @AfterAll
  static void stopGateway() throws Exception {
    for (AutoCloseable c : OPENED.reversed()) {
      c.close();
    }
  }

  private static <T extends AutoCloseable> T open(T c) {
    OPENED.add(c);
    return c;
  }

  /** Three series, STEPS samples each, evenly over the last 29.5 days, as the bridge sends them. */
  private static void publishThirtyDays(MosquittoBroker local, String bridgePassword)
      throws Exception {
    long now = System.currentTimeMillis();
    long span = Duration.ofHours(29 * 24 + 12).toMillis();
    long start = now - span;
    try (BusObserver bridge =
        new BusObserver(
            local.port(), "bridge", bridgePassword, "it-bridge", "gw/v1/cmd/bridge/#")) {
      long seq = 0;
      for (int from = 0; from < STEPS; from += 100) {
        List<Sample> plc = new ArrayList<>();
        List<Sample> meter = new ArrayList<>();
        for (int i = from; i < from + 100; i++) {
          long t = start + span * i / STEPS;
          plc.add(new Sample("temp", t, 20.0 + (i % 40) * 0.25, Quality.GOOD));
          plc.add(new Sample("run", t, i % 3 == 0, Quality.GOOD));
          meter.add(new Sample("energy", t + 7, 1000.5 + i, Quality.GOOD));
        }
        bridge.publish(Topics.telemetry("plc"), CODEC.encode(SampleBatch.of("plc", seq, plc, 0)));
        bridge.publish(
            Topics.telemetry("meter"), CODEC.encode(SampleBatch.of("meter", seq, meter, 0)));
        seq++;
      }
    }
  }

  /**
   * Waits until uplink's relay answers commands from the cloud (it subscribes once connected): a
   * probe the relay refuses (a verb it does not relay) comes back with its refusal.
   */
  private static void awaitRelay() {
    await("uplink relays commands")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> {
          // Each poll checks the previous probe and sends the next: the first probe may well
          // arrive before the relay has subscribed.
          List<String> answered = List.copyOf(replies().keySet());
          if (PROBES.stream().anyMatch(answered::contains)) {
            return true;
          }
          String id = "probe-" + UUID.randomUUID();
          PROBES.add(id);
          watcher.publish(
              "edgegw/" + GATEWAY + "/cmd/buffer/probe",
              CODEC.encode(
                  Command.of(id, "buffer", "probe", Map.of(), System.currentTimeMillis() + 5000)));
          return false;
        });
  }

  static GwctlRun gwctl(String... args) {
    List<String> all = new ArrayList<>(List.of("data", "--gateway", GATEWAY));
    all.addAll(List.of(args));
    all.addAll(brokerArgs);
    return GwctlRun.of(all.toArray(String[]::new));
  }

  @Test
  void theLastThirtyDaysArriveInPartsAndTheFileHoldsExactlyWhatTheStoreHolds() throws Exception {
    Path file = temp.resolve("gw-data-30d.csv");
    GwctlRun run = gwctl("--from", "P30D", "--chunk-rows", "500", "--output", file.toString());

    assertThat(run.exit()).as(run.err()).isZero();
    Matcher m =
        Pattern.compile(
                "gwctl data: (\\d+) rows in (\\d+) parts from "
                    + GATEWAY
                    + " \\((\\S+) \\.\\. (\\S+), 3 series\\)")
            .matcher(run.err());
    assertThat(m.find()).as(run.err()).isTrue();
    Instant from = Instant.parse(m.group(3));
    Instant to = Instant.parse(m.group(4));
    assertThat(Duration.between(from, to)).isEqualTo(Duration.ofDays(30));

    List<String> expected = storeRows(from, to);
    assertThat(expected).hasSize(3 * STEPS);
    List<String> lines = Files.readAllLines(file);
    assertThat(lines.getFirst()).isEqualTo("series,device,tag,unit,time,t,v,q");
    assertThat(lines.subList(1, lines.size())).containsExactlyElementsOf(expected);
    assertThat(Long.parseLong(m.group(1))).isEqualTo(3L * STEPS);

    // Several parts, as the cloud saw them: 500 rows each, numbered 1..6, then the result.
    assertThat(m.group(2)).isEqualTo("6");
    List<CommandResult> replies =
        replies().values().stream()
            .filter(l -> l.size() > 1 && Long.valueOf(3L * STEPS).equals(rows(l.getLast())))
            .findFirst()
            .orElseThrow();
    assertThat(replies).hasSize(7);
    for (int i = 0; i < 6; i++) {
      assertThat(replies.get(i).result())
          .containsEntry("final", false)
          .containsEntry("part", i + 1)
          .containsEntry("rows", 500);
    }
    assertThat(run.err()).contains("gwctl data: part 1, 500 rows so far");
    assertThat(run.out()).isEmpty();
  }

  /** Every gateway reply the cloud application saw, by command id, in order of arrival. */
  private static Map<String, List<CommandResult>> replies() {
    Map<String, List<CommandResult>> out = new LinkedHashMap<>();
    for (CloudApplication.Received r : watcher.received()) {
      try {
        CommandResult result = CODEC.decode(r.payload(), CommandResult.class);
        out.computeIfAbsent(result.id(), k -> new ArrayList<>()).add(result);
      } catch (PayloadException e) {
        throw new AssertionError("a reply on " + r.topic() + " is not a CommandResult", e);
      }
    }
    return out;
  }

  private static Long rows(CommandResult r) {
    return r.result().get("rows") instanceof Number n ? n.longValue() : null;
  }

  @Test
  void anUnknownSeriesEndsWithTheFleetExitCodeAndTheReasonAndNoFile() throws Exception {
    Path file = temp.resolve("unknown.csv");
    GwctlRun run = gwctl("--series", "plc/temp,plc/nope", "--output", file.toString());
    assertThat(run.exit()).isEqualTo(Gwctl.FLEET_FAILED);
    assertThat(run.err())
        .contains(
            "gwctl: "
                + GATEWAY
                + " refused or failed the export: no series plc/nope (device/tag);"
                + " nothing written");
    assertThat(file).doesNotExist();

    run = gwctl("--series", "9999");
    assertThat(run.exit()).isEqualTo(Gwctl.FLEET_FAILED);
    assertThat(run.err()).contains("no series with id 9999");
    assertThat(run.out()).isEmpty();
  }

  /** The store's rows in [from, to) as CSV lines, formatted here from SQL, not by the export. */
  private static List<String> storeRows(Instant from, Instant to) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c =
            DriverManager.getConnection(pg.jdbcUrl("gateway"), pg.username(), pg.password());
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT s.id, s.device, s.tag, s.kind, x.ts, x.value, x.quality"
                    + " FROM sample x JOIN series s ON s.id = x.series_id"
                    + " WHERE x.ts >= '"
                    + from
                    + "' AND x.ts < '"
                    + to
                    + "' ORDER BY s.device, s.tag, x.ts")) {
      while (rs.next()) {
        Instant t = rs.getTimestamp(5).toInstant();
        double v = rs.getDouble(6);
        String value =
            "boolean".equals(rs.getString(4)) ? String.valueOf(v != 0) : Double.toString(v);
        assertThat(rs.getShort(7)).as("quality GOOD").isZero();
        out.add(
            String.join(
                ",",
                String.valueOf(rs.getInt(1)),
                rs.getString(2),
                rs.getString(3),
                "",
                t.toString(),
                String.valueOf(t.toEpochMilli()),
                value,
                "GOOD"));
      }
    }
    return out;
  }

  private static long scalar(String sql) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(pg.jdbcUrl("gateway"), pg.username(), pg.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String password(Path secrets, String user) throws Exception {
    return Files.readString(secrets.resolve("bus-" + user + ".password")).strip();
  }

  /** The packaged service of a module of this repository (the reactor packages it first). */
  private static Path jar(String module) {
    Path jar = Script.root().resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          jar + " is missing; package it first (mvn verify -pl system-tests -am)");
    }
    return jar;
  }
}
