package io.edgegw.gwctl.fleet;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * gwctl's MQTT 5 session with the cloud broker (the only HiveMQ user in gwctl): TLS 1.2+ verified
 * against the given CA and the host name, optional mTLS, a clean session with a random client id.
 */
final class CloudLink implements AutoCloseable {

  private final Mqtt5AsyncClient client;
  private final Duration timeout;

  private CloudLink(Mqtt5AsyncClient client, Duration timeout) {
    this.client = client;
    this.timeout = timeout;
  }

  /**
   * Connects.
   *
   * @throws IOException for unreadable TLS files; {@link FleetUnavailableException} when the broker
   *     cannot be reached or refuses
   */
  static CloudLink connect(BrokerOptions options) throws IOException {
    if (!"ssl".equals(options.broker.getScheme()) || options.broker.getHost() == null) {
      throw new IllegalArgumentException(
          "--broker '" + options.broker + "' must be ssl://host:port");
    }
    if ((options.certFile == null) != (options.keyFile == null)) {
      throw new IllegalArgumentException("--cert and --key go together");
    }
    var ssl =
        MqttClientSslConfig.builder()
            .trustManagerFactory(ClientTls.trust(options.caFile))
            .protocols(List.of("TLSv1.3", "TLSv1.2"));
    if (options.certFile != null) {
      ssl = ssl.keyManagerFactory(ClientTls.keys(options.certFile, options.keyFile));
    }
    byte[] id = new byte[6];
    new SecureRandom().nextBytes(id);
    Mqtt5ClientBuilder builder =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("gwctl-" + HexFormat.of().formatHex(id))
            .serverHost(options.broker.getHost())
            .serverPort(options.broker.getPort() < 0 ? 8883 : options.broker.getPort())
            .sslConfig(ssl.build());
    if (options.username != null) {
      byte[] password =
          options.passwordFile == null
              ? null
              : Files.readString(options.passwordFile).strip().getBytes(StandardCharsets.UTF_8);
      var auth = builder.simpleAuth().username(options.username);
      builder = (password == null ? auth : auth.password(password)).applySimpleAuth();
    }
    Mqtt5AsyncClient client = builder.buildAsync();
    try {
      client
          .connectWith()
          .cleanStart(true)
          .send()
          .get(options.connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new FleetUnavailableException(
          "cannot connect to broker " + options.broker + ": " + rootMessage(e), e);
    } catch (TimeoutException e) {
      client.disconnect();
      throw new FleetUnavailableException(
          "broker "
              + options.broker
              + " did not accept a connection within "
              + options.connectTimeout,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FleetUnavailableException("interrupted while connecting", e);
    }
    return new CloudLink(client, options.connectTimeout);
  }

  /** Subscribes at QoS 1 and waits for the SUBACK; retained messages follow it. */
  void subscribe(String filter, BiConsumer<String, byte[]> handler) throws IOException {
    await(
        client
            .subscribeWith()
            .topicFilter(filter)
            .qos(MqttQos.AT_LEAST_ONCE)
            .callback(p -> handler.accept(p.getTopic().toString(), p.getPayloadAsBytes()))
            .send(),
        "subscribe to " + filter);
  }

  /** Publishes at QoS 1 and waits for the PUBACK. */
  void publish(String topic, byte[] payload) throws IOException {
    await(
        client
            .publishWith()
            .topic(topic)
            .qos(MqttQos.AT_LEAST_ONCE)
            .contentType("application/json")
            .payload(payload)
            .send(),
        "publish to " + topic);
  }

  private void await(java.util.concurrent.CompletableFuture<?> future, String what)
      throws IOException {
    try {
      future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new FleetUnavailableException(what + " failed: " + rootMessage(e), e);
    } catch (TimeoutException e) {
      throw new FleetUnavailableException(what + " got no answer within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FleetUnavailableException("interrupted: " + what, e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  @Override
  public void close() {
    try {
      client.disconnect().get(5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // the session ends with the process either way
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
