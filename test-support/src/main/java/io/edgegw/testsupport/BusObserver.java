package io.edgegw.testsupport;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import io.edgegw.contracts.Payload;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.PayloadException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A persistent-session QoS 1 subscriber to the local bus that records every message, so tests can
 * assert on what the bridge published, including across a broker restart.
 */
public final class BusObserver implements AutoCloseable {

  /** One received message. */
  public record Received(String topic, byte[] payload, boolean retained, long atNanos) {
    /** The payload decoded as a contract type; a payload that does not decode fails the test. */
    public <T extends Payload> T as(Class<T> type) {
      try {
        return new PayloadCodec().decode(payload, type);
      } catch (PayloadException e) {
        throw new AssertionError("published payload does not decode: " + e.getMessage(), e);
      }
    }
  }

  private final Mqtt3AsyncClient client;
  private final List<Received> received = new CopyOnWriteArrayList<>();

  /** Connects with a persistent session and subscribes to {@code filter} at QoS 1. */
  public BusObserver(int port, String user, String password, String clientId, String filter)
      throws Exception {
    client =
        MqttClient.builder()
            .useMqttVersion3()
            .identifier(clientId)
            .serverHost("127.0.0.1")
            .serverPort(port)
            .automaticReconnect()
            .initialDelay(100, TimeUnit.MILLISECONDS)
            .maxDelay(1, TimeUnit.SECONDS)
            .applyAutomaticReconnect()
            .simpleAuth()
            .username(user)
            .password(password.getBytes(StandardCharsets.UTF_8))
            .applySimpleAuth()
            .buildAsync();
    client.publishes(
        com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL,
        (Mqtt3Publish p) ->
            received.add(
                new Received(
                    p.getTopic().toString(),
                    p.getPayloadAsBytes(),
                    p.isRetain(),
                    System.nanoTime())));
    client.connectWith().cleanSession(false).send().get(10, TimeUnit.SECONDS);
    client
        .subscribeWith()
        .topicFilter(filter)
        .qos(MqttQos.AT_LEAST_ONCE)
        .send()
        .get(10, TimeUnit.SECONDS);
  }

  /** Everything received, in arrival order. */
  public List<Received> received() {
    return received;
  }

  /** What arrived on one topic. */
  public List<Received> on(String topic) {
    return received.stream().filter(r -> r.topic().equals(topic)).toList();
  }

  /** Publishes at QoS 1 and waits for the PUBACK. */
  public void publish(String topic, byte[] payload) throws Exception {
    client
        .publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(payload)
        .send()
        .get(10, TimeUnit.SECONDS);
  }

  @Override
  public void close()
      throws java.util.concurrent.ExecutionException, java.util.concurrent.TimeoutException {
    try {
      client.disconnect().get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
