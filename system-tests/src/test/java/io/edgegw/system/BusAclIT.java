package io.edgegw.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import io.edgegw.testsupport.MosquittoBroker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local bus ACL that provisioning writes, enforced by a real Mosquitto with the provisioned
 * password file: each service may publish and receive exactly its own topics (docs/security.md,
 * ARCHITECTURE.md "Local broker"). Every user tries to publish on every probe topic (MQTT 5, so a
 * refusal is a PUBACK "not authorized"), while every user listens on {@code gw/v1/#} and the broker
 * delivers only what the user may read.
 */
class BusAclIT {

  private static final List<String> PROBES =
      List.of(
          "gw/v1/telemetry/boiler",
          "gw/v1/status/bridge",
          "gw/v1/status/buffer",
          "gw/v1/status/rules",
          "gw/v1/status/uplink",
          "gw/v1/alarm/a1",
          "gw/v1/event/alarm",
          "gw/v1/cmd/bridge/write",
          "gw/v1/cmd/rules/ack",
          "gw/v1/cmd/ota/restart",
          "gw/v1/cmd/buffer/export",
          "gw/v1/status/gateway",
          "gw/v1/status/artifacts",
          "gw/v1/reply/c1",
          "gw/v1/dlq/bridge",
          "gw/v1/dlq/buffer");

  /** What each user may publish, of the probes. */
  private static final Map<String, Set<String>> WRITES =
      Map.of(
          "bridge",
          Set.of(
              "gw/v1/telemetry/boiler",
              "gw/v1/status/bridge",
              "gw/v1/reply/c1",
              "gw/v1/dlq/bridge"),
          "buffer",
          Set.of("gw/v1/status/buffer", "gw/v1/dlq/buffer", "gw/v1/reply/c1"),
          "rules",
          Set.of(
              "gw/v1/status/rules",
              "gw/v1/alarm/a1",
              "gw/v1/event/alarm",
              "gw/v1/cmd/bridge/write",
              "gw/v1/reply/c1"),
          "uplink",
          Set.of(
              "gw/v1/cmd/bridge/write",
              "gw/v1/cmd/rules/ack",
              "gw/v1/cmd/ota/restart",
              "gw/v1/cmd/buffer/export",
              "gw/v1/status/uplink"),
          "ota",
          Set.of("gw/v1/status/gateway", "gw/v1/status/artifacts", "gw/v1/reply/c1"),
          "operator",
          Set.of(
              "gw/v1/cmd/bridge/write",
              "gw/v1/cmd/rules/ack",
              "gw/v1/cmd/ota/restart",
              "gw/v1/cmd/buffer/export"),
          "health",
          Set.of());

  /** What each user receives, of the probes; the operator reads everything. */
  private static final Map<String, Set<String>> READS =
      Map.of(
          "bridge",
          Set.of("gw/v1/cmd/bridge/write"),
          "buffer",
          Set.of("gw/v1/telemetry/boiler", "gw/v1/event/alarm", "gw/v1/cmd/buffer/export"),
          "rules",
          Set.of(
              "gw/v1/telemetry/boiler",
              "gw/v1/status/rules",
              "gw/v1/alarm/a1",
              "gw/v1/cmd/rules/ack",
              "gw/v1/reply/c1"),
          "uplink",
          Set.of("gw/v1/status/uplink", "gw/v1/status/gateway", "gw/v1/reply/c1"),
          "ota",
          Set.of(
              "gw/v1/status/bridge",
              "gw/v1/status/buffer",
              "gw/v1/status/rules",
              "gw/v1/status/uplink",
              "gw/v1/status/gateway",
              "gw/v1/status/artifacts",
              "gw/v1/cmd/ota/restart"),
          "operator",
          new TreeSet<>(PROBES));

  /**
   * For each reader, a topic it may read and a user that may write it: once the reader has that
   * marker, every probe published before it has been routed to the reader (Mosquitto routes a
   * message to all subscribers before it acknowledges it, and sends each client's messages in
   * order).
   */
  private static final Map<String, List<String>> MARKERS =
      Map.of(
          "bridge", List.of("operator", "gw/v1/cmd/bridge/marker"),
          "buffer", List.of("bridge", "gw/v1/telemetry/marker"),
          "rules", List.of("operator", "gw/v1/cmd/rules/marker"),
          "uplink", List.of("bridge", "gw/v1/reply/marker"),
          "ota", List.of("operator", "gw/v1/cmd/ota/marker"),
          "operator", List.of("operator", "gw/v1/cmd/operator/marker"));

  @TempDir Path temp;

  @Test
  void eachServiceReachesOnlyItsOwnTopics() throws IOException {
    Path secrets = temp.resolve("secrets");
    Script.provision(secrets, "--gateway-id", "gw-acl").assertSucceeded();

    try (MosquittoBroker broker =
        MosquittoBroker.builder()
            .passwordFile(secrets.resolve("mosquitto.passwd"))
            .aclFile(Files.readString(secrets.resolve("mosquitto.acl")))
            .start()) {
      Map<String, Mqtt5BlockingClient> clients = new LinkedHashMap<>();
      Map<String, Set<String>> received = new LinkedHashMap<>();
      try {
        for (String user : WRITES.keySet()) {
          Mqtt5BlockingClient client = connect(broker, user, password(secrets, user));
          clients.put(user, client);
          if (READS.containsKey(user)) {
            Set<String> topics = ConcurrentHashMap.newKeySet();
            received.put(user, topics);
            client
                .toAsync()
                .subscribeWith()
                .topicFilter("gw/v1/#")
                .qos(MqttQos.AT_LEAST_ONCE)
                .callback(p -> topics.add(p.getTopic().toString()))
                .send()
                .join();
          }
        }

        Map<String, Set<String>> published = new LinkedHashMap<>();
        for (Map.Entry<String, Mqtt5BlockingClient> user : clients.entrySet()) {
          Set<String> accepted = new TreeSet<>();
          for (String topic : PROBES) {
            if (publish(user.getValue(), topic)) {
              accepted.add(topic);
            }
          }
          published.put(user.getKey(), accepted);
        }
        for (Map.Entry<String, List<String>> marker : MARKERS.entrySet()) {
          assertThat(publish(clients.get(marker.getValue().get(0)), marker.getValue().get(1)))
              .as("marker for " + marker.getKey())
              .isTrue();
        }
        for (Map.Entry<String, List<String>> marker : MARKERS.entrySet()) {
          await("marker at " + marker.getKey())
              .atMost(Duration.ofSeconds(10))
              .until(() -> received.get(marker.getKey()).contains(marker.getValue().get(1)));
        }

        for (String user : WRITES.keySet()) {
          assertThat(published.get(user))
              .as("topics %s may publish", user)
              .containsExactlyInAnyOrderElementsOf(WRITES.get(user));
        }
        for (String user : READS.keySet()) {
          Set<String> probes = new TreeSet<>(received.get(user));
          probes.retainAll(PROBES);
          assertThat(probes)
              .as("topics %s receives", user)
              .containsExactlyInAnyOrderElementsOf(READS.get(user));
        }
        assertThat(received.get("bridge")).doesNotContain("gw/v1/cmd/rules/marker");
      } finally {
        for (Mqtt5BlockingClient client : clients.values()) {
          client.disconnect();
        }
      }
    }
  }

  @Test
  void refusesAnotherServicesPasswordAndAnonymousClients() {
    Path secrets = temp.resolve("secrets");
    Script.provision(secrets, "--gateway-id", "gw-acl").assertSucceeded();
    try (MosquittoBroker broker =
        MosquittoBroker.builder().passwordFile(secrets.resolve("mosquitto.passwd")).start()) {
      assertThatThrownBy(() -> connect(broker, "bridge", password(secrets, "buffer")))
          .isInstanceOfSatisfying(
              Mqtt5ConnAckException.class,
              e ->
                  assertThat(e.getMqttMessage().getReasonCode())
                      .isIn(
                          Mqtt5ConnAckReasonCode.NOT_AUTHORIZED,
                          Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD));
      assertThatThrownBy(() ->
              Mqtt5Client.builder()
                  .serverHost(broker.host())
                  .serverPort(broker.port())
                  .buildBlocking()
                  .connect())
          .isInstanceOf(Mqtt5ConnAckException.class);
      connect(broker, "bridge", password(secrets, "bridge")).disconnect();
    }
  }

  /** True when the broker accepted the message, false when it answered "not authorized". */
  private static boolean publish(Mqtt5BlockingClient client, String topic) {
    try {
      client
          .publishWith()
          .topic(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload("{\"v\":1}".getBytes(StandardCharsets.UTF_8))
          .send();
      return true;
    } catch (Mqtt5PubAckException e) {
      assertThat(e.getMqttMessage().getReasonCode())
          .as("PUBACK for " + topic)
          .isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
      return false;
    }
  }

  private static Mqtt5BlockingClient connect(MosquittoBroker broker, String user, String password) {
    Mqtt5BlockingClient client =
        Mqtt5Client.builder()
            .identifier("acl-" + user)
            .serverHost(broker.host())
            .serverPort(broker.port())
            .simpleAuth()
            .username(user)
            .password(password.getBytes(StandardCharsets.UTF_8))
            .applySimpleAuth()
            .buildBlocking();
    client.connect();
    return client;
  }

  private static String password(Path secrets, String user) {
    try {
      return Files.readString(secrets.resolve("bus-" + user + ".password")).strip();
    } catch (IOException e) {
      throw new AssertionError("cannot read the provisioned password of " + user, e);
    }
  }
}
