package io.edgegw.testsupport;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * A "cloud application" for process tests: an MQTT 5 client of the TLS cloud broker with its own
 * certificate (from {@link TestPki}), subscribed at QoS 1, that keeps every message it receives
 * with its arrival time. With a persistent session it misses nothing across a broker restart (what
 * was queued for it arrives in a burst when it is back); with a clean session it sees only what
 * arrives while it is connected, at the time it is forwarded.
 */
public final class CloudApplication implements AutoCloseable {

  /** One message as it arrived; {@code properties} are its MQTT 5 user properties. */
  public record Received(
      String topic,
      byte[] payload,
      String contentType,
      Map<String, String> properties,
      long atNanos) {}

  private final Mqtt5AsyncClient client;
  private final List<Received> received = new CopyOnWriteArrayList<>();

  private CloudApplication(Mqtt5AsyncClient client) {
    this.client = client;
  }

  /**
   * Connects with {@code cert} as {@code clientId} and subscribes to {@code topicFilter}.
   *
   * @param persistent a session that outlives a disconnection (10 minutes), or a clean one
   */
  public static CloudApplication connect(
      TestPki pki,
      TestPki.Issued cert,
      String clientId,
      int port,
      String topicFilter,
      boolean persistent)
      throws Exception {
    return connect(
        pki.ca().certificate(),
        cert.certificate(),
        cert.keyFile(),
        clientId,
        port,
        topicFilter,
        persistent);
  }

  /**
   * Connects with the PEM files of a provisioned gateway's stand-in cloud (a CA certificate, a
   * client certificate and its PKCS#8 EC key) and subscribes to {@code topicFilter}, with a clean
   * session.
   */
  public static CloudApplication connect(
      Path caFile, Path certFile, Path keyFile, String clientId, int port, String topicFilter)
      throws Exception {
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    X509Certificate ca;
    X509Certificate cert;
    try (InputStream in = Files.newInputStream(caFile)) {
      ca = (X509Certificate) x509.generateCertificate(in);
    }
    try (InputStream in = Files.newInputStream(certFile)) {
      cert = (X509Certificate) x509.generateCertificate(in);
    }
    return connect(ca, cert, keyFile, clientId, port, topicFilter, false);
  }

  private static CloudApplication connect(
      X509Certificate ca,
      X509Certificate cert,
      Path keyFile,
      String clientId,
      int port,
      String topicFilter,
      boolean persistent)
      throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    String pem = Files.readString(keyFile);
    byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").strip());
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    char[] none = "it".toCharArray();
    keys.setKeyEntry(
        "app",
        KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der)),
        none,
        new Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, none);
    Mqtt5AsyncClient client =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier(clientId)
            .serverHost("127.0.0.1")
            .serverPort(port)
            .sslConfig(
                MqttClientSslConfig.builder()
                    .trustManagerFactory(tmf)
                    .keyManagerFactory(kmf)
                    .build())
            .automaticReconnect()
            .initialDelay(100, TimeUnit.MILLISECONDS)
            .maxDelay(1, TimeUnit.SECONDS)
            .applyAutomaticReconnect()
            .buildAsync();
    CloudApplication app = new CloudApplication(client);
    client.publishes(MqttGlobalPublishFilter.ALL, app::keep);
    client
        .connectWith()
        .cleanStart(!persistent)
        .sessionExpiryInterval(persistent ? 600 : 0)
        .send()
        .get(15, TimeUnit.SECONDS);
    client
        .subscribeWith()
        .topicFilter(topicFilter)
        .qos(MqttQos.AT_LEAST_ONCE)
        .send()
        .get(15, TimeUnit.SECONDS);
    return app;
  }

  private void keep(Mqtt5Publish p) {
    long now = System.nanoTime();
    Map<String, String> properties = new LinkedHashMap<>();
    p.getUserProperties()
        .asList()
        .forEach(u -> properties.put(u.getName().toString(), u.getValue().toString()));
    received.add(
        new Received(
            p.getTopic().toString(),
            p.getPayloadAsBytes(),
            p.getContentType().map(Object::toString).orElse(null),
            properties,
            now));
  }

  /** Everything received so far, in order of arrival. */
  public List<Received> received() {
    return received;
  }

  /** Publishes at QoS 1 and waits for the broker's acknowledgement. */
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
  public void close() throws Exception {
    client.disconnect().get(5, TimeUnit.SECONDS);
  }
}
