package io.edgegw.gwctl.fleet;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.PayloadException;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.TestPki;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A gateway as the cloud broker sees it (uplink's relay and the ota-agent behind it): a retained
 * ONLINE status, commands on {@code edgegw/{id}/cmd/#}, progress and a final reply on {@code
 * edgegw/{id}/reply/{commandId}}. Its behaviour is set by the test.
 */
final class SimulatedGateway implements AutoCloseable {

  enum Behaviour {
    OK,
    FAIL,
    SILENT
  }

  final String id;
  final List<Command> received = new CopyOnWriteArrayList<>();
  volatile Behaviour behaviour = Behaviour.OK;
  private final Mqtt5AsyncClient client;
  private final PayloadCodec codec = new PayloadCodec();

  SimulatedGateway(String id, MosquittoBroker broker, TestPki pki) throws Exception {
    this.id = id;
    TestPki.Issued cert = pki.client(id);
    client =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("sim-" + id)
            .serverHost("127.0.0.1")
            .serverPort(broker.port())
            .sslConfig(
                MqttClientSslConfig.builder()
                    .trustManagerFactory(ClientTls.trust(pki.ca().certFile()))
                    .keyManagerFactory(ClientTls.keys(cert.certFile(), cert.keyFile()))
                    .build())
            .buildAsync();
    client.connect().get(10, TimeUnit.SECONDS);
    client
        .subscribeWith()
        .topicFilter("edgegw/" + id + "/cmd/#")
        .qos(MqttQos.AT_LEAST_ONCE)
        .callback(p -> handle(p.getPayloadAsBytes()))
        .send()
        .get(10, TimeUnit.SECONDS);
    String status =
        "{\"v\":1,\"gatewayId\":\""
            + id
            + "\",\"state\":\"ONLINE\",\"t\":"
            + System.currentTimeMillis()
            + "}";
    client
        .publishWith()
        .topic("edgegw/" + id + "/status")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .payload(status.getBytes(StandardCharsets.UTF_8))
        .send()
        .get(10, TimeUnit.SECONDS);
  }

  private void handle(byte[] payload) {
    Command c;
    try {
      c = codec.decode(payload, Command.class);
    } catch (PayloadException e) {
      throw new IllegalStateException("gwctl sent a payload that is not a Command", e);
    }
    received.add(c);
    String topic = "edgegw/" + id + "/reply/" + c.id();
    switch (behaviour) {
      case OK -> {
        reply(
            topic,
            CommandResult.ok(
                c.id(), System.currentTimeMillis(), Map.of("step", "downloading", "final", false)));
        reply(
            topic,
            CommandResult.ok(
                c.id(), System.currentTimeMillis(), Map.of("installed", "1.2.0", "final", true)));
      }
      case FAIL -> {
        reply(
            topic,
            CommandResult.ok(
                c.id(), System.currentTimeMillis(), Map.of("step", "health-gate", "final", false)));
        reply(
            topic,
            new CommandResult(
                CommandResult.SCHEMA_VERSION,
                c.id(),
                false,
                "health gate: bridge not ready within 3m; rolled back to 1.1.0",
                System.currentTimeMillis(),
                Map.of("final", true)));
      }
      case SILENT -> {}
    }
  }

  private void reply(String topic, CommandResult result) {
    client
        .publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(codec.encode(result))
        .send();
  }

  @Override
  public void close() throws ExecutionException, TimeoutException {
    try {
      client.disconnect().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
