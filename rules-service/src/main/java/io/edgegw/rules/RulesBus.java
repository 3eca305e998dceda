package io.edgegw.rules;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.Mqtt3Subscribe;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.Mqtt3Subscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.jboss.logging.Logger;

/**
 * The rules' MQTT session on the local bus (MQTT 3.1.1, clean session: rules act on live data; what
 * they must remember across a restart is in the retained alarm states). Every message arrives on
 * the client's thread, in the order the broker sent it, at {@code handler}; HiveMQ client types
 * stay in this class.
 */
final class RulesBus implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(RulesBus.class);

  /** Connection settings. */
  record Settings(
      String host,
      int port,
      String clientId,
      String username,
      String password,
      Duration keepAlive) {

    @Override
    public String toString() {
      return "Settings[" + username + "@" + host + ":" + port + ", clientId=" + clientId + "]";
    }
  }

  private final Mqtt3AsyncClient client;
  private final Settings settings;
  private final AtomicBoolean connected = new AtomicBoolean();

  RulesBus(
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
        MqttGlobalPublishFilter.ALL,
        p -> handler.accept(p.getTopic().toString(), p.getPayloadAsBytes()));
  }

  /** Starts connecting; reconnects on its own afterwards. */
  void start() {
    client
        .connectWith()
        .cleanSession(true)
        .keepAlive((int) Math.max(1, Math.min(65535, settings.keepAlive().toSeconds())))
        .send()
        .whenComplete((ack, err) -> {
          if (err != null) {
            LOG.warnf("local bus not reachable yet (%s); retrying", err.getMessage());
          }
        });
  }

  /** Subscribes at QoS 1; completes on the SUBACK, failing if the broker refused a filter. */
  CompletableFuture<Void> subscribe(List<String> filters) {
    List<Mqtt3Subscription> subscriptions =
        filters.stream()
            .map(f -> Mqtt3Subscription.builder().topicFilter(f).qos(MqttQos.AT_LEAST_ONCE).build())
            .toList();
    return client
        .subscribe(Mqtt3Subscribe.builder().addSubscriptions(subscriptions).build())
        .thenAccept(ack -> {
          if (ack.getReturnCodes().stream().anyMatch(c -> c.isError())) {
            throw new IllegalStateException(
                "the broker refused a subscription of " + filters + ": " + ack.getReturnCodes());
          }
        });
  }

  /** Unsubscribes; failures only logged (a later reconnect drops the subscription anyway). */
  void unsubscribe(List<String> filters) {
    var builder = client.unsubscribeWith().addTopicFilter(filters.getFirst());
    for (String f : filters.subList(1, filters.size())) {
      builder = builder.addTopicFilter(f);
    }
    builder
        .send()
        .whenComplete((x, err) -> {
          if (err != null) {
            LOG.debugf("unsubscribe %s: %s", filters, err.getMessage());
          }
        });
  }

  /** Publishes at QoS 1; the future completes on the broker's PUBACK. */
  CompletableFuture<?> publish(String topic, byte[] payload, boolean retain) {
    return client
        .publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(retain)
        .payload(payload)
        .send();
  }

  boolean isConnected() {
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
