package io.edgegw.bridge.publish;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * The bridge's MQTT session for telemetry and status, with PUBACK-confirmed QoS 1 publishes,
 * automatic reconnect and a retained last will. HiveMQ client types stay in this class.
 *
 * <p>Why not the SmallRye MQTT sink for telemetry: it acknowledges a message once it is written to
 * the socket, not when the broker's PUBACK arrives, so a broker restart could lose batches the
 * bridge already counted as sent. Commands still arrive through SmallRye Reactive Messaging.
 */
final class BusLink implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(BusLink.class);

  private final Mqtt3AsyncClient client;
  private final AtomicBoolean connected = new AtomicBoolean();
  private final Runnable onConnected;
  private final Duration keepAlive;

  BusLink(
      String host,
      int port,
      String clientId,
      String username,
      String password,
      Duration keepAlive,
      String willTopic,
      byte[] willPayload,
      Runnable onConnected) {
    this.onConnected = onConnected;
    this.keepAlive = keepAlive;
    this.client =
        MqttClient.builder()
            .useMqttVersion3()
            .identifier(clientId)
            .serverHost(host)
            .serverPort(port)
            .automaticReconnect()
            .initialDelay(200, TimeUnit.MILLISECONDS)
            .maxDelay(5, TimeUnit.SECONDS)
            .applyAutomaticReconnect()
            .addConnectedListener(c -> {
              connected.set(true);
              LOG.infof("connected to the local bus at %s:%d", host, port);
              this.onConnected.run();
            })
            .addDisconnectedListener(c -> {
              if (connected.getAndSet(false)) {
                LOG.warnf("lost the local bus: %s", c.getCause().getMessage());
              }
            })
            .simpleAuth()
            .username(username)
            .password(password.getBytes(StandardCharsets.UTF_8))
            .applySimpleAuth()
            .willPublish()
            .topic(willTopic)
            .qos(MqttQos.AT_LEAST_ONCE)
            .retain(true)
            .payload(willPayload)
            .applyWillPublish()
            .buildAsync();
  }

  /** Starts connecting; reconnects on its own afterwards. */
  void start() {
    client
        .connectWith()
        .cleanSession(true)
        .keepAlive((int) Math.max(1, Math.min(65535, keepAlive.toSeconds())))
        .send()
        .whenComplete((ack, err) -> {
          if (err != null) {
            LOG.warnf("local bus not reachable yet (%s); retrying", err.getMessage());
          }
        });
  }

  /** Whether the session is up. */
  boolean isConnected() {
    return connected.get();
  }

  /** Publishes at QoS 1; the future completes when the broker's PUBACK arrived. */
  CompletableFuture<?> publish(Outgoing message) {
    return client
        .publishWith()
        .topic(message.topic())
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(message.retain())
        .payload(message.payload())
        .send();
  }

  @Override
  public void close() {
    try {
      client.disconnect().get(2, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Closing anyway; an unclean close makes the broker publish the last will, which is right.
      LOG.debugf("disconnect: %s", e.toString());
    }
  }
}
