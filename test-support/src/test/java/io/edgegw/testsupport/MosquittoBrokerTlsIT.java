package io.edgegw.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MosquittoBrokerTlsIT {

  private static final Duration READ_TIMEOUT = Duration.ofSeconds(5);
  private static final char[] NO_PASSWORD = new char[0];

  private static TestPki pki;

  @BeforeAll
  static void createPki() {
    pki = TestPki.create();
  }

  @AfterAll
  static void deletePki() {
    pki.close();
  }

  @Test
  void mutualTlsAcceptsACertifiedClientAndRefusesOthers() throws Exception {
    TestPki.Issued server = pki.server("127.0.0.1");
    try (MosquittoBroker broker =
        MosquittoBroker.builder()
            .tls(pki.ca().certFile(), server.certFile(), server.keyFile(), true)
            .start()) {
      assertThat(broker.url()).isEqualTo("ssl://127.0.0.1:" + broker.port());

      try (MqttProbe probe = MqttProbe.over(tlsSocket(broker, pki.ca(), pki.client("gw-1")))) {
        // The certificate is the identity: no user name or password.
        assertThat(probe.connect("gw-1", null, null)).isEqualTo(MqttProbe.ACCEPTED);
        probe.publish("edgegw/gw-1/status", "{\"state\":\"ONLINE\"}", true);
      }

      assertThatThrownBy(
              () -> {
                try (MqttProbe probe = MqttProbe.over(tlsSocket(broker, pki.ca(), null))) {
                  probe.connect("anonymous", null, null);
                }
              })
          .as("no client certificate")
          .isInstanceOf(IOException.class);

      TestPki.Authority rogue = pki.authority("Rogue CA");
      assertThatThrownBy(
              () -> {
                try (MqttProbe probe =
                    MqttProbe.over(tlsSocket(broker, pki.ca(), pki.client(rogue, "gw-1")))) {
                  probe.connect("gw-1", null, null);
                }
              })
          .as("a client certificate from another CA")
          .isInstanceOf(IOException.class);

      assertThatThrownBy(
              () -> {
                try (MqttProbe probe = MqttProbe.open(broker.port(), READ_TIMEOUT)) {
                  probe.connect("plain", broker.username(), broker.password());
                }
              })
          .as("plain MQTT on the TLS port")
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void passwordsWorkOverTlsWithoutClientCertificates() throws Exception {
    TestPki.Issued server = pki.server("127.0.0.1");
    try (MosquittoBroker broker =
        MosquittoBroker.builder()
            .tls(pki.ca().certFile(), server.certFile(), server.keyFile(), false)
            .start()) {
      try (MqttProbe probe = MqttProbe.over(tlsSocket(broker, pki.ca(), null))) {
        assertThat(probe.connect("c1", broker.username(), broker.password()))
            .isEqualTo(MqttProbe.ACCEPTED);
      }
      try (MqttProbe probe = MqttProbe.over(tlsSocket(broker, pki.ca(), null))) {
        assertThat(probe.connect("c2", broker.username(), "wrong"))
            .isEqualTo(MqttProbe.NOT_AUTHORIZED);
      }
    }
  }

  @Test
  void restartKeepsTheTlsListener() throws Exception {
    TestPki.Issued server = pki.server("127.0.0.1");
    try (MosquittoBroker broker =
        MosquittoBroker.builder()
            .tls(pki.ca().certFile(), server.certFile(), server.keyFile(), true)
            .start()) {
      broker.restart();
      try (MqttProbe probe = MqttProbe.over(tlsSocket(broker, pki.ca(), pki.client("gw-1")))) {
        assertThat(probe.connect("gw-1", null, null)).isEqualTo(MqttProbe.ACCEPTED);
      }
    }
  }

  @Test
  void aServerFromAnotherCaIsNotTrusted() throws Exception {
    TestPki.Issued server = pki.server("127.0.0.1");
    TestPki.Authority other = pki.authority("Other CA");
    try (MosquittoBroker broker =
        MosquittoBroker.builder()
            .tls(pki.ca().certFile(), server.certFile(), server.keyFile(), false)
            .start()) {
      assertThatThrownBy(() -> tlsSocket(broker, other, null).close())
          .isInstanceOf(SSLHandshakeException.class);
    }
  }

  /** A TLS connection to the broker that trusts only {@code ca}, with an optional client key. */
  private static Socket tlsSocket(
      MosquittoBroker broker, TestPki.Authority ca, TestPki.Issued client)
      throws IOException, GeneralSecurityException {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca.certificate());
    TrustManagerFactory trustManagers =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trustManagers.init(trust);
    KeyManagerFactory keyManagers = null;
    if (client != null) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry(
          "client",
          TestPkiTest.readPkcs8(client.keyFile()),
          NO_PASSWORD,
          new Certificate[] {client.certificate()});
      keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keyManagers.init(keys, NO_PASSWORD);
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(
        keyManagers == null ? null : keyManagers.getKeyManagers(),
        trustManagers.getTrustManagers(),
        new SecureRandom());
    Socket plain = new Socket();
    plain.connect(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), broker.port()),
        (int) READ_TIMEOUT.toMillis());
    plain.setSoTimeout((int) READ_TIMEOUT.toMillis());
    SSLSocket socket =
        (SSLSocket)
            context.getSocketFactory().createSocket(plain, "127.0.0.1", broker.port(), true);
    SSLParameters parameters = socket.getSSLParameters();
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    socket.setSSLParameters(parameters);
    socket.startHandshake();
    return socket;
  }
}
