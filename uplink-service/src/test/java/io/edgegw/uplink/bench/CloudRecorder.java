package io.edgegw.uplink.bench;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.edgegw.testsupport.TestPki;
import java.nio.file.Files;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * The cloud application of the benchmark: an MQTT 5 client with its own certificate on the TLS
 * broker, subscribed to the gateway's telemetry. On arrival it only stamps and keeps each message
 * (payload as received, content type, {@code lane} user property); decoding waits until the
 * measurement is over, so that it takes no CPU from the service while it runs.
 */
final class CloudRecorder implements AutoCloseable {

  /** One message as it arrived. */
  record Arrival(long nanos, String topic, byte[] payload, String contentType, String lane) {}

  private final Mqtt5AsyncClient client;
  private final ConcurrentLinkedQueue<Arrival> arrivals = new ConcurrentLinkedQueue<>();

  CloudRecorder(TestPki pki, TestPki.Issued cert, int port, String topicFilter) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", pki.ca().certificate());
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    String pem = Files.readString(cert.keyFile());
    byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").strip());
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    char[] none = "bench".toCharArray();
    keys.setKeyEntry(
        "app",
        KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der)),
        none,
        new Certificate[] {cert.certificate()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, none);
    client =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("bench-cloud-app")
            .serverHost("127.0.0.1")
            .serverPort(port)
            .sslConfig(
                MqttClientSslConfig.builder()
                    .trustManagerFactory(tmf)
                    .keyManagerFactory(kmf)
                    .build())
            .buildAsync();
    client.publishes(
        MqttGlobalPublishFilter.ALL,
        p -> {
          long now = System.nanoTime();
          String lane =
              p.getUserProperties().asList().stream()
                  .filter(u -> u.getName().toString().equals("lane"))
                  .map(u -> u.getValue().toString())
                  .findFirst()
                  .orElse(null);
          arrivals.add(
              new Arrival(
                  now,
                  p.getTopic().toString(),
                  p.getPayloadAsBytes(),
                  p.getContentType().map(Object::toString).orElse(null),
                  lane));
        });
    client.connectWith().cleanStart(true).send().get(15, TimeUnit.SECONDS);
    client
        .subscribeWith()
        .topicFilter(topicFilter)
        .qos(MqttQos.AT_LEAST_ONCE)
        .send()
        .get(15, TimeUnit.SECONDS);
  }

  /** What arrived so far, in order of arrival. */
  List<Arrival> arrivals() {
    return new ArrayList<>(arrivals);
  }

  /** Messages arrived so far on the given lane. */
  long count(String lane) {
    return arrivals.stream().filter(a -> lane.equals(a.lane())).count();
  }

  /** The first arrival on a lane, or null. */
  Arrival first(String lane) {
    return arrivals.stream().filter(a -> lane.equals(a.lane())).findFirst().orElse(null);
  }

  @Override
  public void close() throws Exception {
    client.disconnect().get(5, TimeUnit.SECONDS);
  }
}
