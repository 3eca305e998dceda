package io.edgegw.uplink.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.TcpRelay;
import io.edgegw.testsupport.TestPki;
import io.edgegw.uplink.UplinkConfig.Protocol;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The cloud session against a real Mosquitto with TLS, certificates from {@link TestPki}. */
class CloudSessionIT {

  private static final Duration WAIT = Duration.ofSeconds(15);

  private static TestPki pki;
  private static TestPki.Issued loopbackServer;
  private static TestPki.Issued gateway;

  @BeforeAll
  static void createPki() {
    pki = TestPki.create();
    loopbackServer = pki.server("127.0.0.1");
    gateway = pki.client("gw-1");
  }

  @AfterAll
  static void deletePki() {
    pki.close();
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void mutualTlsPublishesAndReceivesAtQos1(Protocol protocol) {
    try (MosquittoBroker broker = mtlsBroker(loopbackServer);
        CloudSession session =
            new CloudSession(certified(broker.port(), protocol, "gw-1"), clock())) {
      List<String> received = Collections.synchronizedList(new ArrayList<>());
      session.subscribe(
          "edgegw/gw-1/#",
          (topic, payload) ->
              received.add(topic + " " + new String(payload, StandardCharsets.UTF_8)));
      session.start();
      await().atMost(WAIT).until(session::isConnected);

      // The birth message, retained, arrives through the subscription renewed on connecting.
      await()
          .atMost(WAIT)
          .untilAsserted(() ->
              assertThat(received)
                  .anySatisfy(m ->
                      assertThat(m)
                          .startsWith("edgegw/gw-1/status {")
                          .contains("\"gatewayId\":\"gw-1\"", "\"state\":\"ONLINE\"")));

      session
          .publish(
              CloudMessage.atLeastOnce("edgegw/gw-1/telemetry", "{\"n\":42}".getBytes())
                  .withProperties("application/json", Map.of("lane", "live")))
          .orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS)
          .join();
      await()
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(received).contains("edgegw/gw-1/telemetry {\"n\":42}"));
      assertThat(session.lastError()).isEmpty();
      // Mosquitto announces its max_inflight_messages (1000 in MosquittoBroker) under MQTT 5.
      assertThat(session.receiveMaximum())
          .isEqualTo(protocol == Protocol.MQTT_5 ? 1000 : CloudSession.DEFAULT_RECEIVE_MAXIMUM);
      // The broker's own record of the CONNECT: the protocol (Mosquitto writes p5 for MQTT 5 and
      // p2 for 3.1.1) and the configured keep-alive (5 s in certified()).
      String level = protocol == Protocol.MQTT_5 ? "p5" : "p2";
      await()
          .atMost(WAIT)
          .untilAsserted(() ->
              assertThat(broker.logTail())
                  .containsPattern("as gw-1 \\(" + level + ", c\\d, k5\\b"));
    }
  }

  @Test
  void passwordOverTlsIsAcceptedAndAWrongOneRefused() throws IOException {
    try (MosquittoBroker broker =
        MosquittoBroker.builder()
            .tls(pki.ca().certFile(), loopbackServer.certFile(), loopbackServer.keyFile(), false)
            .start()) {
      Path good = passwordFile(broker.password() + "\n");
      try (CloudSession session =
          new CloudSession(withPassword(broker, good, pki.ca().certFile()), clock())) {
        session.start();
        await().atMost(WAIT).until(session::isConnected);
        session
            .publish(CloudMessage.atLeastOnce("edgegw/gw-1/telemetry", new byte[] {1}))
            .orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS)
            .join();
      }
      Path wrong = passwordFile("not-" + broker.password());
      try (CloudSession session =
          new CloudSession(withPassword(broker, wrong, pki.ca().certFile()), clock())) {
        session.start();
        awaitError(session, "the broker refused the connection: NOT_AUTHORIZED");
        assertThat(session.lastError().orElseThrow()).doesNotContain(broker.password());
      }
    }
  }

  @Test
  void refusesABrokerNotSignedByTheConfiguredCa() {
    TestPki.Authority other = pki.authority("Other CA");
    try (MosquittoBroker broker = mtlsBroker(loopbackServer);
        CloudSession session =
            new CloudSession(
                withCa(certified(broker.port(), Protocol.MQTT_5, "gw-1"), other.certFile()),
                clock())) {
      session.start();
      awaitError(session, "is not trusted by uplink.cloud.tls.ca-file " + other.certFile());
      assertThat(session.isConnected()).isFalse();
    }
  }

  @Test
  void refusesABrokerWhoseCertificateNamesAnotherHost() {
    TestPki.Issued elsewhere = pki.server("cloud.example");
    try (MosquittoBroker broker = mtlsBroker(elsewhere);
        CloudSession session =
            new CloudSession(certified(broker.port(), Protocol.MQTT_5, "gw-1"), clock())) {
      session.start();
      awaitError(
          session,
          "host name '127.0.0.1' does not match the certificate (its names: [cloud.example])");
      assertThat(session.isConnected()).isFalse();
    }
  }

  @Test
  void refusesAnExpiredBrokerCertificate() {
    Instant notAfter =
        Instant.now().minus(Duration.ofDays(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    TestPki.Issued expired =
        pki.server(pki.ca(), List.of("127.0.0.1"), notAfter.minus(Duration.ofDays(30)), notAfter);
    try (MosquittoBroker broker = mtlsBroker(expired);
        CloudSession session =
            new CloudSession(certified(broker.port(), Protocol.MQTT_5, "gw-1"), clock())) {
      session.start();
      awaitError(session, "the broker's certificate expired on " + notAfter);
      assertThat(session.isConnected()).isFalse();
    }
  }

  @Test
  void reportsAMissingClientCertificate() throws IOException {
    try (MosquittoBroker broker = mtlsBroker(loopbackServer)) {
      Path password = passwordFile(broker.password());
      try (CloudSession session =
          new CloudSession(withPassword(broker, password, pki.ca().certFile()), clock())) {
        session.start();
        awaitError(
            session, "the broker requires a client certificate (uplink.cloud.tls.cert-file)");
        assertThat(session.isConnected()).isFalse();
      }
    }
  }

  @Test
  void lastWillSetsOfflineWhenTheConnectionDropsAndReconnectingSetsOnline() {
    try (MosquittoBroker broker = mtlsBroker(loopbackServer);
        TcpRelay link = TcpRelay.to(broker.port());
        CloudSession observer =
            new CloudSession(certified(broker.port(), Protocol.MQTT_5, "observer"), clock());
        CloudSession session =
            new CloudSession(certified(link.port(), Protocol.MQTT_5, "gw-1"), clock())) {
      List<String> states = Collections.synchronizedList(new ArrayList<>());
      observer.subscribe(
          "edgegw/gw-1/status",
          (topic, payload) -> states.add(state(new String(payload, StandardCharsets.UTF_8))));
      AtomicInteger connections = new AtomicInteger();
      session.addListener(
          new CloudSession.Listener() {
            @Override
            public void connected() {
              connections.incrementAndGet();
            }

            @Override
            public void disconnected(String reason) {}
          });
      session.start();
      await().atMost(WAIT).until(() -> connections.get() == 1);
      observer.start();
      await().atMost(WAIT).untilAsserted(() -> assertThat(states).containsExactly("ONLINE"));

      link.cut(); // no DISCONNECT: the broker sees the TCP connection reset

      await()
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(states).containsExactly("ONLINE", "OFFLINE", "ONLINE"));
      assertThat(connections).hasValue(2);
      assertThat(session.isConnected()).isTrue();
    }
  }

  @Test
  void reconnectsAfterTheBrokerRestarts() {
    try (MosquittoBroker broker = mtlsBroker(loopbackServer);
        CloudSession session =
            new CloudSession(certified(broker.port(), Protocol.MQTT_3_1_1, "gw-1"), clock())) {
      AtomicInteger connections = new AtomicInteger();
      List<String> reasons = Collections.synchronizedList(new ArrayList<>());
      session.addListener(
          new CloudSession.Listener() {
            @Override
            public void connected() {
              connections.incrementAndGet();
            }

            @Override
            public void disconnected(String reason) {
              reasons.add(reason);
            }
          });
      session.start();
      await().atMost(WAIT).until(() -> connections.get() == 1);

      broker.restart();

      await().atMost(WAIT).until(() -> connections.get() == 2 && session.isConnected());
      assertThat(reasons).isNotEmpty();
      session
          .publish(CloudMessage.atLeastOnce("edgegw/gw-1/telemetry", new byte[] {2}))
          .orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS)
          .join();
    }
  }

  private static void awaitError(CloudSession session, String expected) {
    await()
        .atMost(WAIT)
        .untilAsserted(() ->
            assertThat(session.lastError())
                .hasValueSatisfying(e -> assertThat(e).contains(expected)));
  }

  private static String state(String json) {
    int at = json.indexOf("\"state\":\"");
    return json.substring(at + 9, json.indexOf('"', at + 9));
  }

  private static MosquittoBroker mtlsBroker(TestPki.Issued server) {
    return MosquittoBroker.builder()
        .tls(pki.ca().certFile(), server.certFile(), server.keyFile(), true)
        .start();
  }

  private static CloudSettings certified(int port, Protocol protocol, String gatewayId) {
    TestPki.Issued client = gatewayId.equals("gw-1") ? gateway : pki.client(gatewayId);
    return new CloudSettings(
        gatewayId,
        "127.0.0.1",
        port,
        protocol,
        "edgegw",
        gatewayId,
        Duration.ofSeconds(5),
        pki.ca().certFile(),
        Optional.of(client.certFile()),
        Optional.of(client.keyFile()),
        List.of("TLSv1.3", "TLSv1.2"),
        Optional.empty(),
        Optional.empty(),
        Duration.ofMillis(100),
        Duration.ofSeconds(1));
  }

  private static CloudSettings withPassword(MosquittoBroker broker, Path passwordFile, Path ca) {
    return new CloudSettings(
        "gw-1",
        "127.0.0.1",
        broker.port(),
        Protocol.MQTT_5,
        "edgegw",
        "gw-1",
        Duration.ofSeconds(5),
        ca,
        Optional.empty(),
        Optional.empty(),
        List.of("TLSv1.3", "TLSv1.2"),
        Optional.of(broker.username()),
        Optional.of(passwordFile),
        Duration.ofMillis(100),
        Duration.ofSeconds(1));
  }

  private static CloudSettings withCa(CloudSettings s, Path ca) {
    return new CloudSettings(
        s.gatewayId(),
        s.host(),
        s.port(),
        s.protocol(),
        s.topicPrefix(),
        s.clientId(),
        s.keepAlive(),
        ca,
        s.certFile(),
        s.keyFile(),
        s.tlsProtocols(),
        s.username(),
        s.passwordFile(),
        s.initialDelay(),
        s.maxDelay());
  }

  private static Path passwordFile(String content) throws IOException {
    Path file = Files.createTempFile(pki.directory(), "password-", "");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(file, content);
    return file;
  }

  private static InstantSource clock() {
    return InstantSource.system();
  }
}
