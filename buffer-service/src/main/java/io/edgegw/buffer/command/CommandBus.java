package io.edgegw.buffer.command;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import io.edgegw.buffer.ingest.BusIngest;
import io.edgegw.contracts.Topics;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.jboss.logging.Logger;

/**
 * The buffer's second session on the local bus, for its commands ({@code gw/v1/cmd/buffer/+}) and
 * their replies. Separate from the ingest session on purpose: that one blocks its network thread
 * while the store catches up (its flow control), and holds a persistent session, whereas a command
 * that arrives while the buffer is down is answered by the relay's timeout and must not run later.
 * So this one is a clean session under its own client id. MQTT 3.1.1 for the reason given in {@link
 * BusIngest}.
 */
public final class CommandBus implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(CommandBus.class);

  private final Mqtt3AsyncClient client;
  private final BusIngest.Settings settings;
  private final AtomicBoolean connected = new AtomicBoolean();

  /**
   * @param settings the bus settings; {@code clientId} is this session's own
   * @param handler gets (topic, payload) of each command, on the client's thread: it must return
   *     quickly
   */
  public CommandBus(BusIngest.Settings settings, BiConsumer<String, byte[]> handler) {
    this.settings = settings;
    this.client =
        MqttClient.builder()
            .useMqttVersion3()
            .identifier(settings.clientId())
            .serverHost(settings.host())
            .serverPort(settings.port())
            .automaticReconnect()
            .initialDelay(200, TimeUnit.MILLISECONDS)
            .maxDelay(5, TimeUnit.SECONDS)
            .applyAutomaticReconnect()
            .addConnectedListener(c -> onConnected())
            .addDisconnectedListener(c -> {
              if (connected.getAndSet(false)) {
                LOG.warnf("command session lost the local bus: %s", c.getCause().getMessage());
              }
            })
            .simpleAuth()
            .username(settings.username())
            .password(settings.password().getBytes(StandardCharsets.UTF_8))
            .applySimpleAuth()
            .buildAsync();
    client.publishes(
        MqttGlobalPublishFilter.SUBSCRIBED,
        p -> handler.accept(p.getTopic().toString(), p.getPayloadAsBytes()));
  }

  /** Starts connecting; reconnects on its own afterwards. */
  public void start() {
    client
        .connectWith()
        .cleanSession(true)
        .keepAlive((int) Math.max(1, Math.min(65535, settings.keepAlive().toSeconds())))
        .send()
        .whenComplete((ack, err) -> {
          if (err != null) {
            LOG.warnf(
                "command session: local bus not reachable yet (%s); retrying", err.getMessage());
          }
        });
  }

  private void onConnected() {
    connected.set(true);
    // A clean session: subscribe on every connection.
    client
        .subscribeWith()
        .topicFilter(Topics.commandsTo(ExportCommands.COMPONENT))
        .qos(MqttQos.AT_LEAST_ONCE)
        .send()
        .whenComplete((ack, err) -> {
          if (err != null) {
            LOG.errorf("command subscription refused: %s", err.getMessage());
          } else {
            LOG.infof("listening for commands on %s", Topics.commandsTo(ExportCommands.COMPONENT));
          }
        });
  }

  /** Whether the session is up. */
  public boolean isConnected() {
    return connected.get();
  }

  /** Publishes at QoS 1; the future completes on the broker's PUBACK. */
  public CompletableFuture<?> publish(String topic, byte[] payload) {
    return client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
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
