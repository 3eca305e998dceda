package io.edgegw.uplink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.edgegw.testsupport.BusObserver;
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
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;

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
  static final Duration OFFLINE_AFTER = Duration.ofSeconds(3);
  static final String ROOT = "edgegw/gw-1";
  static final PayloadCodec CODEC = new PayloadCodec();
  static final MessageCodec MESSAGES = new MessageCodec(Integer.MAX_VALUE);
  static final ObjectMapper JSON = new ObjectMapper();

  /** One message the cloud application received. */
  record Received(String topic, byte[] payload, String contentType) {}

  static TestPki pki;
  static PostgresServer pg;
  static DataSource ds;
  static MosquittoBroker local;
  static MosquittoBroker cloud;
  static Mqtt5AsyncClient cloudApp;
  static final List<Received> atCloud = new CopyOnWriteArrayList<>();
  static BusObserver operator;
  static ServiceProcess uplink;
  static ModbusTcpSimulator tank;
  static ServiceProcess bridge;
  static final List<String> committed = new ArrayList<>();
  static long t = 1_780_000_000_000L;

  @BeforeAll
  static void start() throws Exception {
    pki = TestPki.create();
    TestPki.Issued server = pki.server("127.0.0.1");
    TestPki.Issued gateway = pki.client("gw-1");
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
    cloudApp = cloudApplication(app);
    operator =
        new BusObserver(
            local.port(), "operator", local.password("operator"), "it-operator", "gw/v1/#");

    // Committed before uplink runs: its backfill lane sends these.
    commit(4);
    commit(6);

    tank = ModbusTcpSimulator.start(1);
    tank.setCoil(0, true);
    bridge =
        ServiceProcess.builder("bridge-service", jar("bridge.app.jar"))
            .heap("128m")
            .property("bridge.bus.port", String.valueOf(local.port()))
            .property("bridge.devices-file", devices(tank.port()).toString())
            .secret("BRIDGE_BUS_PASSWORD", local.password("bridge"))
            .clearEnvironmentPrefix("BRIDGE_")
            .start();
    uplink =
        ServiceProcess.builder("uplink-service", jar("uplink.app.jar"))
            .heap("128m")
            .property("uplink.gateway-id", "gw-1")
            .property("uplink.cloud.host", "127.0.0.1")
            .property("uplink.cloud.port", String.valueOf(cloud.port()))
            .property("uplink.cloud.tls.ca-file", pki.ca().certFile().toString())
            .property("uplink.cloud.tls.cert-file", gateway.certFile().toString())
            .property("uplink.cloud.tls.key-file", gateway.keyFile().toString())
            .property("uplink.cloud.reconnect.initial-delay", "200ms")
            .property("uplink.cloud.reconnect.max-delay", "1s")
            .property("uplink.offline.after", OFFLINE_AFTER.toSeconds() + "s")
            .property("uplink.status.interval", "1s")
            .property("uplink.outbox.live-poll-interval", "200ms")
            .property("uplink.bus.port", String.valueOf(local.port()))
            .property("uplink.commands.reply-timeout", "5s")
            .property("quarkus.datasource.jdbc.url", ((PGSimpleDataSource) ds).getUrl())
            .property("quarkus.datasource.username", pg.username())
            .secret("QUARKUS_DATASOURCE_PASSWORD", pg.password())
            .secret("UPLINK_BUS_PASSWORD", local.password("uplink"))
            .clearEnvironmentPrefix("UPLINK_")
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
    if (cloudApp != null) {
      cloudApp.disconnect().get(5, TimeUnit.SECONDS);
    }
    for (AutoCloseable c :
        new AutoCloseable[] {uplink, bridge, tank, operator, cloud, local, pg, pki}) {
      if (c != null) {
        c.close();
      }
    }
  }

  static Path jar(String property) {
    String jar = System.getProperty(property);
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException(
          property
              + " is "
              + jar
              + "; run with failsafe after packaging both services (mvn verify -pl"
              + " bridge-service,uplink-service -am)");
    }
    return Path.of(jar);
  }

  /** An MQTT 5 client with its own certificate and a session that outlives a broker restart. */
  static Mqtt5AsyncClient cloudApplication(TestPki.Issued cert) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", pki.ca().certificate());
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    String pem = Files.readString(cert.keyFile());
    byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").strip());
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    char[] none = "it".toCharArray();
    keys.setKeyEntry(
        "app",
        KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der)),
        none,
        new Certificate[] {cert.certificate()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, none);
    Mqtt5AsyncClient client =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("cloud-app")
            .serverHost("127.0.0.1")
            .serverPort(cloud.port())
            .sslConfig(
                MqttClientSslConfig.builder()
                    .trustManagerFactory(tmf)
                    .keyManagerFactory(kmf)
                    .build())
            .automaticReconnect()
            .initialDelay(100, TimeUnit.MILLISECONDS)
            .maxDelay(1, TimeUnit.SECONDS)
            .applyAutomaticReconnect()
            .buildAsync();
    client.publishes(
        MqttGlobalPublishFilter.ALL,
        p ->
            atCloud.add(
                new Received(
                    p.getTopic().toString(),
                    p.getPayloadAsBytes(),
                    p.getContentType().map(Object::toString).orElse(null))));
    client
        .connectWith()
        .cleanStart(false)
        .sessionExpiryInterval(600)
        .send()
        .get(15, TimeUnit.SECONDS);
    client
        .subscribeWith()
        .topicFilter(ROOT + "/#")
        .qos(MqttQos.AT_LEAST_ONCE)
        .send()
        .get(15, TimeUnit.SECONDS);
    return client;
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
    for (Received r : atCloud) {
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
        .untilAsserted(() -> assertThat(atCloud).anyMatch(r -> r.topic().equals(ROOT + "/outage")));
    JsonNode outage =
        JSON.readTree(
            atCloud.stream()
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
    cloudApp
        .publishWith()
        .topic(ROOT + "/cmd/rules/ack")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(CODEC.encode(ack))
        .send()
        .get(10, TimeUnit.SECONDS);
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
    cloudApp
        .publishWith()
        .topic(ROOT + "/cmd/rules/explode")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(CODEC.encode(bogus))
        .send()
        .get(10, TimeUnit.SECONDS);
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
    cloudApp
        .publishWith()
        .topic(ROOT + "/cmd/bridge/write")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(CODEC.encode(write))
        .send()
        .get(10, TimeUnit.SECONDS);
    CommandResult result = awaitReply("w-1");
    assertThat(result.ok()).as(result.reason()).isTrue();
    assertThat(tank.coil(0)).isFalse();
  }

  static CommandResult awaitReply(String id) {
    await("the reply to " + id)
        .atMost(WAIT)
        .until(() -> atCloud.stream().anyMatch(r -> r.topic().equals(ROOT + "/reply/" + id)));
    byte[] payload =
        atCloud.stream()
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
