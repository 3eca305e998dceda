package io.edgegw.buffer.ingest;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import io.edgegw.contracts.DeadLetter;
import io.edgegw.contracts.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * The buffer's MQTT session on the local bus: a persistent session (fixed client id, clean session
 * off) subscribed at QoS 1 to telemetry and alarm events, with manual acknowledgement: a PUBACK
 * leaves only after the {@link IngestWriter} committed the message's rows. HiveMQ client types stay
 * in this class.
 *
 * <p>Why MQTT 3.1.1 and not 5: Mosquitto 2.0.11 (Debian 12) can send a client more unacknowledged
 * messages than the Receive Maximum the client announced, once a backlog is queued for it; the
 * HiveMQ client then closes the connection as a protocol error, the broker resends the whole
 * window, and ingest never recovers (measured by the buffer benchmark). Under 3.1.1 the window is
 * the broker's {@code max_inflight_messages}, and an excess is not a protocol error.
 *
 * <p>Why not the SmallRye MQTT connector here: its Vert.x client acknowledges a QoS 1 message when
 * it arrives, before the application has stored it, so a crash between the two would lose data the
 * broker considers delivered.
 */
public final class BusIngest implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(BusIngest.class);

  /** Connection settings. */
  public record Settings(
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
  private final MessageDecoder decoder;
  private final IngestWriter writer;
  private final InstantSource clock;

  private final AtomicBoolean connected = new AtomicBoolean();

  public BusIngest(
      Settings settings,
      MessageDecoder decoder,
      IngestWriter writer,
      InstantSource clock,
      String willTopic,
      byte[] willPayload) {
    this.settings = settings;
    this.decoder = decoder;
    this.writer = writer;
    this.clock = clock;
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
    // Registered before connecting, so that messages the broker kept in the session while the
    // buffer was away are received too.
    //
    // The callback runs on the client's network thread and blocks there while the writer's queue
    // is full. That is the flow control: the client stops reading, TCP fills up, and the broker
    // holds the rest. Mosquitto 2.0.11 does not keep to its in-flight window once a backlog is
    // queued, so without this an outage's backlog would arrive at once and fill the heap (seen in
    // the benchmark). Nothing the writer needs waits for this thread: acknowledgements and dead
    // letters are sent without waiting.
    client.publishes(MqttGlobalPublishFilter.ALL, this::onMessage, true);
  }

  /** Starts connecting; reconnects on its own afterwards. */
  public void start() {
    client
        .connectWith()
        .cleanSession(false)
        .keepAlive((int) Math.max(1, Math.min(65535, settings.keepAlive().toSeconds())))
        .send()
        .whenComplete((ack, err) -> {
          if (err != null) {
            LOG.warnf("local bus not reachable yet (%s); retrying", err.getMessage());
          } else {
            LOG.infof("session present on the broker: %s", ack.isSessionPresent());
          }
        });
  }

  private void onConnected() {
    connected.set(true);
    LOG.infof("connected to the local bus at %s:%d", settings.host(), settings.port());
    // Subscribing again is harmless with a present session and needed without one.
    client
        .subscribeWith()
        .addSubscription()
        .topicFilter(Topics.TELEMETRY_ALL)
        .qos(MqttQos.AT_LEAST_ONCE)
        .applySubscription()
        .addSubscription()
        .topicFilter(Topics.ALARM_EVENTS)
        .qos(MqttQos.AT_LEAST_ONCE)
        .applySubscription()
        .send()
        .whenComplete((ack, err) -> {
          if (err != null) {
            LOG.errorf("subscription refused: %s", err.getMessage());
          }
        });
  }

  private void onMessage(Mqtt3Publish publish) {
    byte[] payload = publish.getPayloadAsBytes();
    String topic = publish.getTopic().toString();
    Inbound message;
    try {
      message = decoder.decode(topic, payload, clock.millis(), () -> acknowledge(publish));
    } catch (RuntimeException e) {
      // The decoder reports bad input as rejections; an exception here is a defect. The message
      // still goes to the dead-letter topic and is acknowledged, so it cannot stall the session.
      LOG.errorf(e, "decoding a message on %s failed unexpectedly", topic);
      message =
          new Inbound(
              topic,
              List.of(),
              List.of(),
              List.of(
                  new Inbound.Rejection(
                      "decoder_failure",
                      DeadLetter.of(
                          MessageDecoder.COMPONENT,
                          topic,
                          "the buffer failed to decode this message: " + e,
                          clock.millis(),
                          payload))),
              -1,
              () -> acknowledge(publish));
    }
    try {
      writer.submit(message);
    } catch (InterruptedException e) {
      // Shutting down: the message stays unacknowledged and comes again after the restart.
      Thread.currentThread().interrupt();
    }
  }

  private static void acknowledge(Mqtt3Publish publish) {
    try {
      publish.acknowledge();
    } catch (IllegalStateException e) {
      // Acknowledged already, or the connection it came on is gone: the broker redelivers it and
      // the store ignores the duplicate.
      LOG.debugf("acknowledge: %s", e.getMessage());
    }
  }

  /** Whether the session is up. */
  public boolean isConnected() {
    return connected.get();
  }

  /** Publishes at QoS 1; the future completes on the broker's PUBACK. */
  public CompletableFuture<?> publish(String topic, byte[] payload, boolean retain) {
    return client
        .publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(retain)
        .payload(payload)
        .send();
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
