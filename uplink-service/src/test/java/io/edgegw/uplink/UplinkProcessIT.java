package io.edgegw.uplink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.edgegw.testsupport.BusObserver;
import io.edgegw.testsupport.CloudApplication;
import io.edgegw.testsupport.ModbusTcpSimulator;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.TestPki;
import io.edgegw.uplink.outbox.CloudMessage;
import io.edgegw.uplink.outbox.MessageCodec;
import io.edgegw.uplink.outbox.TestOutbox;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The packaged uplink-service as a child process, with a real PostgreSQL migrated by
 * buffer-service's Flyway script, a local Mosquitto, and a TLS Mosquitto standing in for the cloud
 * (mTLS, certificates from {@link TestPki}). The "cloud application" is an MQTT 5 client with its
 * own certificate and a persistent session, so it misses nothing across a broker restart; it keeps
 * every message, and the test deduplicates by key as a cloud would.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class UplinkProcessIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final Duration OFFLINE_AFTER = UplinkLaunch.OFFLINE_AFTER;
  static final String ROOT = "edgegw/gw-1";
  static final PayloadCodec CODEC = new PayloadCodec();
  static final MessageCodec MESSAGES = new MessageCodec(Integer.MAX_VALUE);
  static final ObjectMapper JSON = new ObjectMapper();

  static TestPki pki;
  static PostgresServer pg;
  static DataSource ds;
  static MosquittoBroker local;
  static MosquittoBroker cloud;
  static CloudApplication cloudApp;
  static BusObserver operator;
  static ServiceProcess uplink;
  static TestPki.Issued gateway;
  static ModbusTcpSimulator tank;
  static ServiceProcess bridge;
  static final List<String> committed = new ArrayList<>();
  static long t = 1_780_000_000_000L;

  @BeforeAll
  static void start() throws Exception {
    pki = TestPki.create();
    TestPki.Issued server = pki.server("127.0.0.1");
    gateway = pki.client("gw-1");
    TestPki.Issued app = pki.client("cloud-app");
    pg = PostgresServer.start();
    ds = TestOutbox.create(pg);
    local =
        MosquittoBroker.builder()
            .withUser("uplink")
            .withUser("bridge")
            .withUser("operator")
            .start();
    cloud =
        MosquittoBroker.builder()
            .tls(pki.ca().certFile(), server.certFile(), server.keyFile(), true)
            .start();
    cloudApp = CloudApplication.connect(pki, app, "cloud-app", cloud.port(), ROOT + "/#", true);
    operator =
        new BusObserver(
            local.port(), "operator", local.password("operator"), "it-operator", "gw/v1/#");

    // Committed before uplink runs: its backfill lane sends these.
    commit(4);
    commit(6);

    tank = ModbusTcpSimulator.start(1);
    tank.setCoil(0, true);
    bridge =
        ServiceProcess.builder("bridge-service", UplinkLaunch.jar("bridge.app.jar"))
            .heap("128m")
            .property("bridge.bus.port", String.valueOf(local.port()))
            .property("bridge.devices-file", devices(tank.port()).toString())
            .secret("BRIDGE_BUS_PASSWORD", local.password("bridge"))
            .clearEnvironmentPrefix("BRIDGE_")
            .start();
    uplink =
        UplinkLaunch.uplink(pki, gateway, cloud, local, pg, ds)
            .property("uplink.commands.reply-timeout", "5s")
            .start();
    uplink.awaitReady();
    bridge.awaitReady();
  }

  static Path devices(int port) throws Exception {
    Path dir = Files.createTempDirectory(pki.directory(), "bridge");
    return Files.writeString(
        dir.resolve("devices.yaml"),
        """
        version: 1
        pollGroups:
          fast: 200ms
        devices:
          - id: tank
            tcp: { host: 127.0.0.1, port: %d }
            unitId: 1
            timeout: 1s
            tags:
              - { name: inlet, table: coil, address: 0, type: bool, writable: true, deadband: 0, heartbeat: 1s }
        """
            .formatted(port));
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c :
        new AutoCloseable[] {cloudApp, uplink, bridge, tank, operator, cloud, local, pg, pki}) {
      if (c != null) {
        c.close();
      }
    }
  }

  /** Commits {@code n} samples of two series in one transaction, as buffer-service does. */
  static long commit(int n) throws Exception {
    List<TestOutbox.Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String tag = i % 2 == 0 ? "a" : "b";
      rows.add(new TestOutbox.Row("plc", tag, t, i));
      committed.add("plc/" + tag + "@" + t);
      if (i % 2 == 1) {
        t += 1000;
      }
    }
    t += 1000;
    return TestOutbox.commit(ds, rows, List.of());
  }

  /** The samples of the telemetry the cloud holds, one message per key (the cloud's dedup). */
  static List<String> cloudSamples() {
    Map<String, CloudMessage.Telemetry> byKey = new LinkedHashMap<>();
    for (CloudApplication.Received r : cloudApp.received()) {
      if (r.topic().equals(ROOT + "/telemetry")) {
        CloudMessage.Telemetry m = MESSAGES.decodeTelemetry(r.payload(), r.contentType());
        byKey.putIfAbsent(m.key(), m);
      }
    }
    List<String> out = new ArrayList<>();
    for (CloudMessage.Telemetry m : byKey.values()) {
      for (CloudMessage.Sample s : m.samples()) {
        out.add(s.device() + "/" + s.tag() + "@" + s.t());
      }
    }
    return out;
  }

  static Status uplinkStatus() {
    List<BusObserver.Received> statuses = operator.on(Topics.status("uplink"));
    return statuses.isEmpty() ? null : statuses.getLast().as(Status.class);
  }

  static String link() {
    Status s = uplinkStatus();
    return s == null ? null : String.valueOf(s.detail().get("link"));
  }

  static void awaitEverySampleOnceByKey() {
    await("every committed sample at the cloud, once by key")
        .atMost(WAIT)
        .untilAsserted(() ->
            assertThat(cloudSamples())
                .doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(committed));
  }

  @Test
  @Order(1)
  void committedRowsReachTheCloudOnceByKeyAndTheOutboxPositionAdvances() throws Exception {
    long live = commit(2);
    long last = commit(8);
    awaitEverySampleOnceByKey();
    await("the live position stored")
        .atMost(WAIT)
        .until(() ->
            TestOutbox.scalar(
                    ds,
                    "SELECT ingest_seq FROM outbox_position WHERE consumer = 'cloud'"
                        + " AND lane = 'live'")
                >= last);
    assertThat(live).isLessThan(last);
    assertThat(
            TestOutbox.scalar(
                ds,
                "SELECT count(*) FROM sample s WHERE NOT EXISTS (SELECT 1 FROM outbox_delivered d"
                    + " WHERE d.consumer = 'cloud' AND s.ingest_seq BETWEEN d.from_seq"
                    + " AND d.to_seq)"))
        .isZero();
    await("the acknowledged samples counted")
        .atMost(WAIT)
        .until(() -> uplink.metric("uplink_samples_acked_total") >= committed.size());
  }

  @Test
  @Order(2)
  void anOutageShowsOfflineAndAfterItEveryRowArrivesAndTheOutageIsReported() throws Exception {
    await("link ONLINE").atMost(WAIT).until(() -> "ONLINE".equals(link()));
    assertThat(uplinkStatus().state()).isEqualTo(Status.State.ONLINE);
    assertThat(uplinkStatus().detail()).containsEntry("backlogRows", 0);

    cloud.stop();
    long stopped = System.nanoTime();
    commit(6);
    commit(4);
    await("link OFFLINE")
        .atMost(OFFLINE_AFTER.plusSeconds(7))
        .until(() -> "OFFLINE".equals(link()));
    assertThat(Duration.ofNanos(System.nanoTime() - stopped)).isGreaterThan(Duration.ofSeconds(2));
    Status offline = uplinkStatus();
    assertThat(offline.state()).isEqualTo(Status.State.DEGRADED);
    await("the backlog counted")
        .atMost(WAIT)
        .until(() -> ((Number) uplinkStatus().detail().get("backlogRows")).longValue() == 10);
    assertThat(uplink.metric("uplink_link_state", Map.of("state", "OFFLINE"))).isEqualTo(1.0);
    assertThat(uplink.healthStatus()).isEqualTo(200);

    cloud.resume();
    commit(2);
    awaitEverySampleOnceByKey();
    await("link ONLINE again").atMost(WAIT).until(() -> "ONLINE".equals(link()));
    await("the outage reported to the cloud")
        .atMost(WAIT)
        .untilAsserted(() ->
            assertThat(cloudApp.received()).anyMatch(r -> r.topic().equals(ROOT + "/outage")));
    JsonNode outage =
        JSON.readTree(
            cloudApp.received().stream()
                .filter(r -> r.topic().equals(ROOT + "/outage"))
                .findFirst()
                .orElseThrow()
                .payload());
    assertThat(outage.get("gateway").asText()).isEqualTo("gw-1");
    assertThat(outage.get("end").asLong()).isGreaterThan(outage.get("start").asLong());
    assertThat(outage.get("backlogAtEnd").asLong()).isGreaterThanOrEqualTo(10);
  }

  @Test
  @Order(3)
  void aCloudCommandIsRelayedAndItsLocalReplyReturnsAndAnUnknownVerbIsRefused() throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    Command ack = Command.of("c-1", "rules", "ack", Map.of("alarmId", "tank-high"), deadline);
    cloudApp.publish(ROOT + "/cmd/rules/ack", CODEC.encode(ack));
    await("the command on the local bus")
        .atMost(WAIT)
        .until(() -> !operator.on(Topics.command("rules", "ack")).isEmpty());
    Command relayed = operator.on(Topics.command("rules", "ack")).getLast().as(Command.class);
    assertThat(relayed.id()).isEqualTo("c-1");
    assertThat(relayed.args()).containsEntry("alarmId", "tank-high");
    operator.publish(
        relayed.replyTo(),
        CODEC.encode(
            CommandResult.ok("c-1", System.currentTimeMillis(), Map.of("acknowledged", true))));
    CommandResult reply = awaitReply("c-1");
    assertThat(reply.ok()).isTrue();
    assertThat(reply.result()).containsEntry("acknowledged", true);

    Command bogus = Command.of("c-2", "rules", "explode", Map.of(), deadline);
    cloudApp.publish(ROOT + "/cmd/rules/explode", CODEC.encode(bogus));
    CommandResult refused = awaitReply("c-2");
    assertThat(refused.ok()).isFalse();
    assertThat(refused.reason()).contains("unknown target or verb 'rules/explode'");
    assertThat(operator.received()).noneMatch(r -> r.topic().endsWith("/explode"));
  }

  @Test
  @Order(4)
  void aCloudWriteReachesTheSimulatorThroughTheBridgeAndTheBridgesResultReturns() throws Exception {
    assertThat(tank.coil(0)).isTrue();
    Command write =
        Command.of(
            "w-1",
            "bridge",
            "write",
            Map.of("device", "tank", "tag", "inlet", "value", false),
            System.currentTimeMillis() + 60_000);
    cloudApp.publish(ROOT + "/cmd/bridge/write", CODEC.encode(write));
    CommandResult result = awaitReply("w-1");
    assertThat(result.ok()).as(result.reason()).isTrue();
    assertThat(tank.coil(0)).isFalse();
  }

  @Test
  @Order(5)
  void noSecretReachesTheLog() throws Exception {
    String log = uplink.log();
    assertThat(log).as("the service's log").contains("cloud link");
    assertThat(log).doesNotContain(local.password("uplink")).doesNotContain(pg.password());
    for (String line : Files.readAllLines(gateway.keyFile())) {
      if (!line.startsWith("-----") && line.length() > 16) {
        assertThat(log).as("the gateway's private key").doesNotContain(line);
      }
    }
  }

  /**
   * A cloud that hangs rather than goes away (a frozen host, {@code podman pause}): the TLS session
   * stays open and nothing is acknowledged. The link shows OFFLINE after {@code offline.after}, and
   * its backlog counts what waits, while the session is still up (keep-alive 30 s): the live lane's
   * unacknowledged commits are part of it. Found by the backfill recording (bench/stack.sh), where
   * the backlog stayed 0 for a minute while the link was OFFLINE.
   */
  @Test
  @Order(6)
  void aFrozenCloudShowsOfflineWithTheBacklogThatWaits() throws Exception {
    await("link ONLINE").atMost(WAIT).until(() -> "ONLINE".equals(link()));
    cloud.freeze();
    try {
      long frozen = System.nanoTime();
      commit(6);
      commit(4);
      await("link OFFLINE")
          .atMost(OFFLINE_AFTER.plusSeconds(7))
          .until(() -> "OFFLINE".equals(link()));
      await("the backlog counted while the session is still up")
          .atMost(Duration.ofSeconds(8))
          .until(() -> ((Number) uplinkStatus().detail().get("backlogRows")).longValue() >= 10);
      assertThat(Duration.ofNanos(System.nanoTime() - frozen))
          .as("within the keep-alive, before the client gives the session up")
          .isLessThan(Duration.ofSeconds(25));
      assertThat(uplink.metric("uplink_backlog_rows")).isGreaterThanOrEqualTo(10.0);
    } finally {
      cloud.thaw();
    }
    awaitEverySampleOnceByKey();
    await("link ONLINE again").atMost(WAIT).until(() -> "ONLINE".equals(link()));
  }

  static CommandResult awaitReply(String id) {
    await("the reply to " + id)
        .atMost(WAIT)
        .until(() ->
            cloudApp.received().stream().anyMatch(r -> r.topic().equals(ROOT + "/reply/" + id)));
    byte[] payload =
        cloudApp.received().stream()
            .filter(r -> r.topic().equals(ROOT + "/reply/" + id))
            .findFirst()
            .orElseThrow()
            .payload();
    try {
      return CODEC.decode(payload, CommandResult.class);
    } catch (Exception e) {
      throw new AssertionError(new String(payload, StandardCharsets.UTF_8), e);
    }
  }
}
