package io.edgegw.ota.bus;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.jboss.logging.Logger;

/**
 * The agent's session on the local bus (MQTT 3.1.1, clean session): commands and the retained
 * statuses of the services in, replies and statuses out. It reconnects by itself and subscribes
 * again after every connection; messages arrive at the handler on the client's thread. HiveMQ
 * client types stay in this package.
 */
public final class AgentBus implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(AgentBus.class);

  /**
   * Connection settings; {@link #toString()} leaves the password out.
   *
   * @param host broker host
   * @param port broker port
   * @param clientId MQTT client id
   * @param username broker user
   * @param password broker password
   */
  public record Settings(String host, int port, String clientId, String username, String password) {
    @Override
    public String toString() {
      return "Settings[" + username + "@" + host + ":" + port + ", clientId=" + clientId + "]";
    }
  }

  private final Settings settings;
  private final Mqtt3AsyncClient client;
  private final List<String> filters = new CopyOnWriteArrayList<>();
  private final AtomicBoolean connected = new AtomicBoolean();

  /**
   * @param settings where and who
   * @param handler receives topic and payload of every message on a subscribed filter
   * @param onConnected called after every connection, once the subscriptions are sent
   * @param willTopic the last will's topic (retained, QoS 1)
   * @param willPayload the last will's payload
   */
  public AgentBus(
      Settings settings,
      BiConsumer<String, byte[]> handler,
      Runnable onConnected,
      String willTopic,
      byte[] willPayload) {
    this.settings = settings;
    this.client =
        MqttClient.builder()
            .useMqttVersion3()
            .identifier(settings.clientId())
            .serverHost(settings.host())
            .serverPort(settings.port())
            .automaticReconnect()
            .initialDelay(100, TimeUnit.MILLISECONDS)
            .maxDelay(5, TimeUnit.SECONDS)
            .applyAutomaticReconnect()
            .addConnectedListener(c -> {
              connected.set(true);
              LOG.infof("connected to the local bus at %s:%d", settings.host(), settings.port());
              filters.forEach(this::sendSubscribe);
              onConnected.run();
            })
            .addDisconnectedListener(c -> {
              if (connected.getAndSet(false)) {
                LOG.warnf("lost the local bus: %s", c.getCause().getMessage());
              }
            })
            .simpleAuth()
            .username(settings.username())
            .password(settings.password().getBytes(StandardCharsets.UTF_8))
            .applySimpleAuth()
            .willPublish()
            .topic(willTopic)
            .qos(MqttQos.AT_LEAST_ONCE)
            .retain(true)
            .payload(willPayload)
            .applyWillPublish()
            .buildAsync();
    client.publishes(
        MqttGlobalPublishFilter.SUBSCRIBED,
        p -> {
          try {
            handler.accept(p.getTopic().toString(), p.getPayloadAsBytes());
          } catch (RuntimeException e) {
            LOG.errorf(e, "handling a message on %s failed", p.getTopic());
          }
        });
  }

  /** Subscribes (QoS 1) after every connection; call before {@link #start()}. */
  public void subscribeOnConnect(String filter) {
    filters.add(filter);
  }

  /** Starts connecting; reconnects on its own afterwards. */
  public void start() {
    client
        .connectWith()
        .cleanSession(true)
        .keepAlive(30)
        .send()
        .whenComplete((ack, err) -> {
          if (err != null) {
            LOG.warnf(
                "local bus at %s:%d not reachable yet (%s); retrying",
                settings.host(), settings.port(), err.getMessage());
          }
        });
  }

  private void sendSubscribe(String filter) {
    client
        .subscribeWith()
        .topicFilter(filter)
        .qos(MqttQos.AT_LEAST_ONCE)
        .send()
        .whenComplete((ack, err) -> {
          if (err != null) {
            LOG.errorf("subscribing to %s on the local bus failed: %s", filter, err.getMessage());
          } else if (ack.getReturnCodes().stream().anyMatch(c -> c.isError())) {
            LOG.errorf("the local bus refused the subscription %s (check its ACL)", filter);
          }
        });
  }

  /** Publishes at QoS 1; the future completes on the broker's PUBACK. */
  public CompletableFuture<Void> publish(String topic, byte[] payload, boolean retain) {
    return client
        .publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(retain)
        .payload(payload)
        .send()
        .thenApply(p -> null);
  }

  /** Whether the session is up. */
  public boolean isConnected() {
    return connected.get();
  }

  @Override
  public void close() {
    try {
      client.disconnect().get(2, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.debugf("disconnect: %s", e.toString());
    }
  }
}
