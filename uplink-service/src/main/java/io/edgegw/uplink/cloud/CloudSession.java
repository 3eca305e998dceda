package io.edgegw.uplink.cloud;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.datatypes.MqttTopic;
import com.hivemq.client.mqtt.datatypes.MqttTopicFilter;
import com.hivemq.client.mqtt.exceptions.ConnectionFailedException;
import com.hivemq.client.mqtt.lifecycle.MqttClientConnectedContext;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedContext;
import com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserPropertiesBuilder;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.lifecycle.Mqtt5ClientConnectedContext;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishBuilder;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.edgegw.uplink.UplinkConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import javax.net.ssl.SSLException;
import org.jboss.logging.Logger;

/**
 * The MQTT session with the cloud broker, over TLS that is always verified: the broker's chain
 * against {@code uplink.cloud.tls.ca-file} only, its validity, and the host name; TLS 1.2 or later.
 * The gateway authenticates with its certificate (mTLS), a password, or both. HiveMQ client types
 * stay in this package.
 *
 * <p>The session reconnects by itself, with {@link ReconnectBackoff exponential backoff and
 * jitter}. Its last will sets {@code {prefix}/{gatewayId}/status} to OFFLINE, retained, QoS 1;
 * after every connection it publishes ONLINE there, retained, and subscribes again to every filter
 * given to {@link #subscribe} (a clean session: the broker keeps nothing for it while it is away).
 *
 * <p>When a connection attempt fails, {@link #lastError()} says why in words an operator can act on
 * (an untrusted or expired certificate, a host name mismatch, a missing client certificate, a
 * refused login); it is logged once per distinct cause, not on every retry.
 */
public final class CloudSession implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(CloudSession.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** MQTT 5's Receive Maximum when the broker states none, and the value under 3.1.1. */
  public static final int DEFAULT_RECEIVE_MAXIMUM = 65535;

  /** Notified when the session comes up or goes down; called on the client's threads. */
  public interface Listener {
    /** Connected, birth message sent, subscriptions renewed. */
    void connected();

    /** The connection was lost or an attempt failed; {@code reason} as in {@link #lastError()}. */
    void disconnected(String reason);
  }

  private final CloudSettings settings;
  private final InstantSource clock;
  private final TlsMaterial tls;
  private final ReconnectBackoff backoff;
  private final Mqtt5AsyncClient v5;
  private final Mqtt3AsyncClient v3;
  private final Map<String, BiConsumer<String, byte[]>> subscriptions = new ConcurrentHashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean connected = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicReference<String> lastError = new AtomicReference<>();
  private volatile int receiveMaximum = DEFAULT_RECEIVE_MAXIMUM;

  /**
   * Reads the TLS material and the password file and builds the client; connects on {@link
   * #start()}.
   *
   * @throws IllegalArgumentException naming the setting and file when one cannot be read
   */
  public CloudSession(CloudSettings settings, InstantSource clock) {
    this.settings = settings;
    this.clock = clock;
    this.tls = new TlsMaterial(settings.caFile(), settings.certFile(), settings.keyFile());
    this.backoff =
        new ReconnectBackoff(
            settings.initialDelay(),
            settings.maxDelay(),
            () -> ThreadLocalRandom.current().nextDouble());
    byte[] password = settings.passwordFile().map(CloudSession::readPassword).orElse(null);
    MqttClientSslConfig ssl =
        MqttClientSslConfig.builder()
            .trustManagerFactory(tls.trustManagerFactory())
            .keyManagerFactory(tls.keyManagerFactory())
            .protocols(settings.tlsProtocols())
            // No hostnameVerifier: without one, HiveMQ (1.3.10) sets the engine's endpoint
            // identification to HTTPS, so the JDK checks the host name inside the handshake,
            // against the subject alternative names. Setting a verifier would replace that check.
            .build();
    byte[] offline = status("OFFLINE");
    if (settings.protocol() == UplinkConfig.Protocol.MQTT_5) {
      var builder =
          MqttClient.builder()
              .useMqttVersion5()
              .identifier(settings.clientId())
              .serverHost(settings.host())
              .serverPort(settings.port())
              .sslConfig(ssl)
              .addConnectedListener(this::onConnected)
              .addDisconnectedListener(this::onDisconnected)
              .willPublish()
              .topic(settings.statusTopic())
              .qos(MqttQos.AT_LEAST_ONCE)
              .retain(true)
              .contentType("application/json")
              .payload(offline)
              .applyWillPublish();
      if (settings.username().isPresent()) {
        var auth = builder.simpleAuth().username(settings.username().get());
        builder = (password == null ? auth : auth.password(password)).applySimpleAuth();
      }
      this.v5 = builder.buildAsync();
      this.v3 = null;
      v5.publishes(MqttGlobalPublishFilter.SUBSCRIBED, p -> dispatch(p.getTopic(), p));
    } else {
      var builder =
          MqttClient.builder()
              .useMqttVersion3()
              .identifier(settings.clientId())
              .serverHost(settings.host())
              .serverPort(settings.port())
              .sslConfig(ssl)
              .addConnectedListener(this::onConnected)
              .addDisconnectedListener(this::onDisconnected)
              .willPublish()
              .topic(settings.statusTopic())
              .qos(MqttQos.AT_LEAST_ONCE)
              .retain(true)
              .payload(offline)
              .applyWillPublish();
      if (settings.username().isPresent()) {
        var auth = builder.simpleAuth().username(settings.username().get());
        builder = (password == null ? auth : auth.password(password)).applySimpleAuth();
      }
      this.v3 = builder.buildAsync();
      this.v5 = null;
      v3.publishes(MqttGlobalPublishFilter.SUBSCRIBED, p -> dispatch(p.getTopic(), p));
    }
  }

  /** Adds a listener; add them before {@link #start()} to see the first connection. */
  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /** Starts connecting; failures are retried with backoff until {@link #close()}. */
  public void start() {
    LOG.infof(
        "connecting to the cloud at %s:%d (%s, client id %s, %s)",
        settings.host(),
        settings.port(),
        settings.protocol(),
        settings.clientId(),
        settings.certFile().isPresent() ? "client certificate" : "password");
    connect();
  }

  private void connect() {
    int keepAlive = (int) settings.keepAlive().toSeconds();
    CompletableFuture<?> attempt =
        v5 != null
            ? v5.connectWith().cleanStart(true).keepAlive(keepAlive).send()
            : v3.connectWith().cleanSession(true).keepAlive(keepAlive).send();
    // A failed attempt also reaches onDisconnected, which schedules the next one.
    attempt.whenComplete((ack, err) -> {});
  }

  /** True while connected (after the CONNACK, until the connection is lost). */
  public boolean isConnected() {
    return connected.get();
  }

  /** Why the last connection attempt failed or the last connection was lost, if it was. */
  public Optional<String> lastError() {
    return Optional.ofNullable(lastError.get());
  }

  /**
   * The broker's Receive Maximum from the last CONNACK (MQTT 5): how many QoS 1 messages may await
   * a PUBACK. {@value #DEFAULT_RECEIVE_MAXIMUM} when the broker states none, and under MQTT 3.1.1.
   */
  public int receiveMaximum() {
    return receiveMaximum;
  }

  /** The topic of this gateway's retained status. */
  public String statusTopic() {
    return settings.statusTopic();
  }

  /**
   * Publishes a message. The future completes on the PUBACK (QoS 1) or once written (QoS 0), and
   * fails if the session is down, the broker refuses the message (an MQTT 5 reason code), or the
   * connection is lost before the PUBACK.
   */
  public CompletableFuture<Void> publish(CloudMessage message) {
    MqttQos qos = message.atLeastOnce() ? MqttQos.AT_LEAST_ONCE : MqttQos.AT_MOST_ONCE;
    if (v5 != null) {
      Mqtt5PublishBuilder.Send.Complete<CompletableFuture<Mqtt5PublishResult>> builder =
          v5.publishWith()
              .topic(message.topic())
              .qos(qos)
              .retain(message.retain())
              .payload(message.payload());
      if (message.contentType().isPresent()) {
        builder = builder.contentType(message.contentType().get());
      }
      if (!message.userProperties().isEmpty()) {
        Mqtt5UserPropertiesBuilder properties = Mqtt5UserProperties.builder();
        message.userProperties().forEach(properties::add);
        builder = builder.userProperties(properties.build());
      }
      return builder
          .send()
          .thenAccept(result -> {
            if (result.getError().isPresent()) {
              throw new IllegalStateException(
                  "the cloud refused the message on " + message.topic(), result.getError().get());
            }
          });
    }
    return v3.publishWith()
        .topic(message.topic())
        .qos(qos)
        .retain(message.retain())
        .payload(message.payload())
        .send()
        .thenApply(p -> null);
  }

  /**
   * Subscribes at QoS 1, now if connected and again after every reconnection. Messages arrive at
   * {@code handler} on the client's thread, with their topic and payload. Completes on the SUBACK
   * (or at once when not connected), failing if the broker refused the filter.
   */
  public CompletableFuture<Void> subscribe(String filter, BiConsumer<String, byte[]> handler) {
    MqttTopicFilter.of(filter); // validates the filter
    subscriptions.put(filter, handler);
    return connected.get() ? sendSubscribe(filter) : CompletableFuture.completedFuture(null);
  }

  private CompletableFuture<Void> sendSubscribe(String filter) {
    if (v5 != null) {
      return v5.subscribeWith()
          .topicFilter(filter)
          .qos(MqttQos.AT_LEAST_ONCE)
          .send()
          .thenAccept(ack -> {
            if (ack.getReasonCodes().stream().anyMatch(c -> c.isError())) {
              throw new IllegalStateException(
                  "the cloud refused the subscription " + filter + ": " + ack.getReasonCodes());
            }
          });
    }
    return v3.subscribeWith()
        .topicFilter(filter)
        .qos(MqttQos.AT_LEAST_ONCE)
        .send()
        .thenAccept(ack -> {
          if (ack.getReturnCodes().stream().anyMatch(c -> c.isError())) {
            throw new IllegalStateException(
                "the cloud refused the subscription " + filter + ": " + ack.getReturnCodes());
          }
        });
  }

  private void dispatch(MqttTopic topic, Object publish) {
    byte[] payload =
        publish instanceof Mqtt5Publish p5
            ? p5.getPayloadAsBytes()
            : ((Mqtt3Publish) publish).getPayloadAsBytes();
    String name = topic.toString();
    for (Map.Entry<String, BiConsumer<String, byte[]>> subscription : subscriptions.entrySet()) {
      if (MqttTopicFilter.of(subscription.getKey()).matches(topic)) {
        try {
          subscription.getValue().accept(name, payload);
        } catch (RuntimeException e) {
          LOG.errorf(e, "the handler of %s failed on a message on %s", subscription.getKey(), name);
        }
      }
    }
  }

  private void onConnected(MqttClientConnectedContext context) {
    if (context instanceof Mqtt5ClientConnectedContext c5) {
      receiveMaximum = c5.getConnAck().getRestrictions().getReceiveMaximum();
    }
    connected.set(true);
    lastError.set(null);
    LOG.infof(
        "connected to the cloud at %s:%d (receive maximum %d)",
        settings.host(), settings.port(), receiveMaximum);
    publish(
            new CloudMessage(
                    settings.statusTopic(),
                    status("ONLINE"),
                    true,
                    true,
                    Optional.empty(),
                    Map.of())
                .withProperties("application/json", Map.of()))
        .whenComplete((x, err) -> {
          if (err != null) {
            LOG.warnf("the ONLINE status was not acknowledged: %s", err.getMessage());
          }
        });
    for (String filter : subscriptions.keySet()) {
      sendSubscribe(filter)
          .whenComplete((x, err) -> {
            if (err != null) {
              LOG.errorf("subscribing to %s failed: %s", filter, err.getMessage());
            }
          });
    }
    listeners.forEach(Listener::connected);
  }

  private void onDisconnected(MqttClientDisconnectedContext context) {
    boolean wasConnected = connected.getAndSet(false);
    if (closed.get() || context.getSource() == MqttDisconnectSource.USER) {
      return;
    }
    String reason = explain(context.getCause());
    String previous = lastError.getAndSet(reason);
    int attempts = context.getReconnector().getAttempts();
    var delay = backoff.delay(attempts);
    if (wasConnected) {
      LOG.warnf("lost the cloud: %s; reconnecting in %d ms", reason, delay.toMillis());
    } else if (!reason.equals(previous)) {
      LOG.errorf("cannot connect to the cloud: %s; retrying with backoff", reason);
    } else {
      LOG.debugf("cloud connection attempt %d failed: %s", attempts + 1, reason);
    }
    context.getReconnector().reconnect(true).delay(delay.toMillis(), TimeUnit.MILLISECONDS);
    listeners.forEach(l -> l.disconnected(reason));
  }

  /** Words an operator can act on; never the password or key. */
  private String explain(Throwable cause) {
    Optional<String> refusal = tls.takeServerRefusal();
    if (refusal.isPresent()) {
      return refusal.get();
    }
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof Mqtt5ConnAckException e) {
        return "the broker refused the connection: " + e.getMqttMessage().getReasonCode();
      }
      if (t instanceof Mqtt3ConnAckException e) {
        return "the broker refused the connection: " + e.getMqttMessage().getReturnCode();
      }
      if (t instanceof SSLException && t.getMessage() != null) {
        String message = t.getMessage();
        if (message.contains("certificate_required")
            || (settings.certFile().isEmpty()
                && (message.contains("handshake_failure")
                    || message.contains("bad_certificate")))) {
          return "the broker requires a client certificate (uplink.cloud.tls.cert-file): "
              + message;
        }
        if (settings.certFile().isPresent()
            && (message.contains("unknown_ca")
                || message.contains("bad_certificate")
                || message.contains("certificate_unknown")
                || message.contains("certificate_expired"))) {
          return "the broker refused this gateway's certificate (uplink.cloud.tls.cert-file "
              + settings.certFile().get()
              + "): "
              + message;
        }
        return "TLS failed: " + message;
      }
    }
    if (cause instanceof ConnectionFailedException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause == null ? "unknown cause" : String.valueOf(cause.getMessage());
  }

  private byte[] status(String state) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("v", 1);
    status.put("gatewayId", settings.gatewayId());
    status.put("state", state);
    status.put("t", clock.millis());
    try {
      return JSON.writeValueAsBytes(status);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode a status", e);
    }
  }

  private static byte[] readPassword(Path file) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      int length = bytes.length;
      // A trailing line break is how editors and `echo` leave the file, not part of the password.
      while (length > 0 && (bytes[length - 1] == '\n' || bytes[length - 1] == '\r')) {
        length--;
      }
      if (length == 0) {
        throw new IllegalArgumentException("uplink.cloud.password-file " + file + " is empty");
      }
      return Arrays.copyOf(bytes, length);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "uplink.cloud.password-file " + file + " cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * Publishes OFFLINE (a clean DISCONNECT makes the broker discard the last will), disconnects, and
   * stops reconnecting.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (connected.get()) {
      try {
        publish(
                new CloudMessage(
                        settings.statusTopic(),
                        status("OFFLINE"),
                        true,
                        true,
                        Optional.empty(),
                        Map.of())
                    .withProperties("application/json", Map.of()))
            .get(2, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warnf("the OFFLINE status was not acknowledged before closing: %s", e.toString());
      }
    }
    try {
      (v5 != null ? v5.disconnect() : v3.disconnect()).get(2, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.debugf("disconnect: %s", e.toString());
    }
    connected.set(false);
  }
}
