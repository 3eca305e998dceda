package io.edgegw.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class MosquittoBrokerIT {

  private static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

  @Test
  void rejectsAnonymousAndWrongPasswordsAndAcceptsGeneratedUsers() throws IOException {
    try (MosquittoBroker broker = MosquittoBroker.builder().withUser("bridge").start()) {
      assertThat(connackFor(broker, null, null)).isEqualTo(MqttProbe.NOT_AUTHORIZED);
      assertThat(connackFor(broker, broker.username(), "wrong-" + broker.password()))
          .isEqualTo(MqttProbe.NOT_AUTHORIZED);
      assertThat(connackFor(broker, "nobody", broker.password()))
          .isEqualTo(MqttProbe.NOT_AUTHORIZED);
      assertThat(connackFor(broker, "bridge", broker.password()))
          .as("one user's password must not open another's account")
          .isEqualTo(MqttProbe.NOT_AUTHORIZED);

      assertThat(connackFor(broker, broker.username(), broker.password()))
          .isEqualTo(MqttProbe.ACCEPTED);
      assertThat(connackFor(broker, "bridge", broker.password("bridge")))
          .isEqualTo(MqttProbe.ACCEPTED);
    }
  }

  @Test
  void generatesFreshPasswordsForEveryBroker() {
    try (MosquittoBroker first = MosquittoBroker.start();
        MosquittoBroker second = MosquittoBroker.start()) {
      assertThat(first.password()).hasSize(24).isNotEqualTo(second.password());
      assertThat(first.port()).isNotEqualTo(second.port());
      assertThat(first.url()).isEqualTo("tcp://127.0.0.1:" + first.port());
      assertThatThrownBy(() -> first.password("nobody"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("nobody");
    }
  }

  @Test
  void retainedMessageSurvivesRestartOnTheSamePort() throws IOException {
    try (MosquittoBroker broker = MosquittoBroker.start()) {
      int port = broker.port();
      try (MqttProbe publisher = connected(broker, "publisher")) {
        publisher.publish("gw/v1/status/bridge", "{\"v\":1,\"state\":\"online\"}", true);
      }

      broker.restart();

      assertThat(broker.port()).isEqualTo(port);
      assertThat(broker.isRunning()).isTrue();
      try (MqttProbe subscriber = connected(broker, "subscriber")) {
        assertThat(subscriber.subscribe("gw/v1/status/#")).isEqualTo(1);
        assertThat(subscriber.nextMessage())
            .isEqualTo(
                new MqttProbe.Message(
                    "gw/v1/status/bridge", "{\"v\":1,\"state\":\"online\"}", true));
      }
    }
  }

  @Test
  void killIsACrashAfterWhichTheLastAutosaveIsRecovered() throws IOException {
    try (MosquittoBroker broker = MosquittoBroker.start()) {
      Path database = broker.dataDirectory().resolve("mosquitto.db");
      Instant published;
      try (MqttProbe publisher = connected(broker, "publisher")) {
        publisher.publish("gw/v1/alarm/a1", "active", true);
        published = Instant.now(); // after the PUBACK: the message is in the broker's memory
      }
      // autosave_interval 1: the database is rewritten within about a second of the change.
      await().atMost(Duration.ofSeconds(5)).until(() -> modifiedAfter(database, published));

      broker.kill();

      assertThat(broker.isRunning()).isFalse();
      assertThat(accepts(broker.port())).isFalse();
      broker.resume();
      try (MqttProbe subscriber = connected(broker, "subscriber")) {
        subscriber.subscribe("gw/v1/alarm/#");
        assertThat(subscriber.nextMessage().payload()).isEqualTo("active");
      }
    }
  }

  @Test
  void aclFileScopesWhatAUserMayReadAndWrite() throws IOException {
    String acl =
        """
        user gateway
        topic readwrite #

        user bridge
        topic write gw/v1/telemetry/#
        topic read gw/v1/cmd/bridge/#
        """;
    try (MosquittoBroker broker =
            MosquittoBroker.builder().withUser("bridge").aclFile(acl).start();
        MqttProbe commander = connected(broker, "commander");
        MqttProbe observer = connected(broker, "observer");
        MqttProbe bridge = MqttProbe.open(broker.port(), READ_TIMEOUT)) {
      assertThat(bridge.connect("bridge", "bridge", broker.password("bridge")))
          .isEqualTo(MqttProbe.ACCEPTED);

      // Mosquitto 2.0.11 grants a subscription the ACL forbids (SUBACK 1) and withholds the
      // messages; it acknowledges a forbidden publish and drops it. Messages from one client to
      // another keep their order, so the allowed message arriving first proves the forbidden one,
      // sent before it, was dropped.
      assertThat(bridge.subscribe("gw/v1/alarm/#")).isEqualTo(1);
      assertThat(bridge.subscribe("gw/v1/cmd/bridge/#")).isEqualTo(1);
      commander.publish("gw/v1/alarm/a1", "forbidden to read", false);
      commander.publish("gw/v1/cmd/bridge/restart", "allowed to read", false);
      assertThat(bridge.nextMessage().topic()).isEqualTo("gw/v1/cmd/bridge/restart");

      assertThat(observer.subscribe("gw/v1/#")).isEqualTo(1);
      bridge.publish("gw/v1/alarm/forged", "forbidden to write", false);
      bridge.publish("gw/v1/telemetry/pump1", "allowed to write", false);
      assertThat(observer.nextMessage().topic()).isEqualTo("gw/v1/telemetry/pump1");
    }
  }

  @Test
  void restartFailsWithTheBrokersLogWhenThePortWasTaken() throws IOException {
    try (MosquittoBroker broker = MosquittoBroker.start()) {
      broker.kill();
      try (ServerSocket squatter = new ServerSocket()) {
        squatter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), broker.port()));

        assertThatThrownBy(broker::restart)
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("mosquitto exited with code")
            .hasMessageContaining("Address already in use");
      }
      assertThat(broker.isRunning()).isFalse();
    }
  }

  @Test
  void resumeRefusesARunningBroker() {
    try (MosquittoBroker broker = MosquittoBroker.start()) {
      assertThatThrownBy(broker::resume)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already running");
    }
  }

  @Test
  void closeStopsTheBrokerAndDeletesItsDirectory() {
    MosquittoBroker broker = MosquittoBroker.start();
    Path directory = broker.dataDirectory().getParent();
    assertThat(directory).isDirectory();

    broker.close();

    assertThat(broker.isRunning()).isFalse();
    assertThat(directory).doesNotExist();
    assertThat(accepts(broker.port())).isFalse();
  }

  @Test
  void logTailShowsTheBrokersLog() throws IOException {
    try (MosquittoBroker broker = MosquittoBroker.start()) {
      connackFor(broker, null, null);
      await()
          .atMost(READ_TIMEOUT)
          .untilAsserted(() -> assertThat(broker.logTail()).contains("mosquitto version"));
    }
  }

  private static int connackFor(MosquittoBroker broker, String user, String password)
      throws IOException {
    try (MqttProbe probe = MqttProbe.open(broker.port(), READ_TIMEOUT)) {
      return probe.connect("probe-" + System.nanoTime(), user, password);
    }
  }

  private static MqttProbe connected(MosquittoBroker broker, String clientId) throws IOException {
    MqttProbe probe = MqttProbe.open(broker.port(), READ_TIMEOUT);
    int code = probe.connect(clientId, broker.username(), broker.password());
    assertThat(code).as("CONNACK for %s\n%s", clientId, broker.logTail()).isZero();
    return probe;
  }

  private static boolean modifiedAfter(Path file, Instant instant) throws IOException {
    return Files.exists(file)
        && Files.getLastModifiedTime(file).compareTo(FileTime.from(instant)) > 0;
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
