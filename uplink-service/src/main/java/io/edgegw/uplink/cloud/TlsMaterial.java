package io.edgegw.uplink.cloud;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.TrustManagerFactorySpi;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS key material of the cloud session, read from PEM files with the JDK alone: the CA
 * certificates as the only trust anchors (never the system trust store), and this gateway's
 * certificate and PKCS#8 key (EC or RSA) for mTLS.
 *
 * <p>The trust manager is the JDK's PKIX one, wrapped to remember why it refused a server, in words
 * an operator can act on; the session reads that with {@link #takeServerRefusal()}.
 */
final class TlsMaterial {

  private static final char[] NO_PASSWORD = new char[0];
  private static final String PKCS8_BEGIN = "-----BEGIN PRIVATE KEY-----";
  private static final String PKCS8_END = "-----END PRIVATE KEY-----";

  private final Path caFile;
  private final TrustManagerFactory trustManagers;
  private final KeyManagerFactory keyManagers;
  private final AtomicReference<String> serverRefusal = new AtomicReference<>();

  TlsMaterial(Path caFile, Optional<Path> certFile, Optional<Path> keyFile) {
    this.caFile = caFile;
    X509ExtendedTrustManager pkix = pkixTrustManager(caFile);
    this.trustManagers = explaining(new ExplainingTrustManager(pkix));
    this.keyManagers =
        certFile.isPresent() && keyFile.isPresent()
            ? keyManagers(certFile.get(), keyFile.get())
            : null;
  }

  TrustManagerFactory trustManagerFactory() {
    return trustManagers;
  }

  /** Null without a client certificate. */
  KeyManagerFactory keyManagerFactory() {
    return keyManagers;
  }

  /** Why the last server was refused, if it was; cleared by reading. */
  Optional<String> takeServerRefusal() {
    return Optional.ofNullable(serverRefusal.getAndSet(null));
  }

  private static X509ExtendedTrustManager pkixTrustManager(Path caFile) {
    List<X509Certificate> anchors = certificates(caFile, "uplink.cloud.tls.ca-file");
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (int i = 0; i < anchors.size(); i++) {
        store.setCertificateEntry("ca-" + i, anchors.get(i));
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(store);
      for (TrustManager manager : factory.getTrustManagers()) {
        if (manager instanceof X509ExtendedTrustManager x509) {
          return x509;
        }
      }
      throw new IllegalStateException("the JDK's PKIX trust manager factory made no X.509 manager");
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a trust store from " + caFile + ": " + e, e);
    }
  }

  private static KeyManagerFactory keyManagers(Path certFile, Path keyFile) {
    List<X509Certificate> chain = certificates(certFile, "uplink.cloud.tls.cert-file");
    PrivateKey key = privateKey(keyFile);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("gateway", key, NO_PASSWORD, chain.toArray(Certificate[]::new));
      KeyManagerFactory factory = KeyManagerFactory.getInstance("PKIX");
      factory.init(store, NO_PASSWORD);
      return factory;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException(
          "uplink.cloud.tls.key-file "
              + keyFile
              + " does not go with the certificate in uplink.cloud.tls.cert-file "
              + certFile
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** The certificates of a PEM file; at least one. */
  static List<X509Certificate> certificates(Path file, String key) {
    try (InputStream in = Files.newInputStream(file)) {
      Collection<? extends Certificate> read =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (read.isEmpty()) {
        throw new IllegalArgumentException(key + " " + file + " holds no PEM certificate");
      }
      return read.stream().map(X509Certificate.class::cast).toList();
    } catch (IOException e) {
      throw new IllegalArgumentException(key + " " + file + " cannot be read: " + e, e);
    } catch (CertificateException e) {
      throw new IllegalArgumentException(
          key + " " + file + " is not a PEM certificate file: " + e.getMessage(), e);
    }
  }

  /** An unencrypted PKCS#8 PEM key, EC or RSA. Its content never appears in a message. */
  static PrivateKey privateKey(Path file) {
    String pem;
    try {
      pem = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "uplink.cloud.tls.key-file " + file + " cannot be read: " + e.getMessage(), e);
    }
    int begin = pem.indexOf(PKCS8_BEGIN);
    int end = pem.indexOf(PKCS8_END);
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException(
          "uplink.cloud.tls.key-file "
              + file
              + " must be an unencrypted PKCS#8 PEM key ('"
              + PKCS8_BEGIN
              + "'); convert it with: openssl pkcs8 -topk8 -nocrypt -in <key> -out <key.pk8>");
    }
    byte[] der;
    try {
      der =
          Base64.getMimeDecoder().decode(pem.substring(begin + PKCS8_BEGIN.length(), end).strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "uplink.cloud.tls.key-file " + file + " has a damaged base64 body", e);
    }
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String algorithm : List.of("EC", "RSA")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (InvalidKeySpecException e) {
        // not this algorithm; try the next
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("the JDK has no " + algorithm + " key factory", e);
      }
    }
    throw new IllegalArgumentException(
        "uplink.cloud.tls.key-file " + file + " is neither an EC nor an RSA PKCS#8 key");
  }

  /** HiveMQ takes a factory; this one hands out the explaining manager. */
  private static TrustManagerFactory explaining(X509ExtendedTrustManager manager) {
    TrustManagerFactorySpi spi =
        new TrustManagerFactorySpi() {
          @Override
          protected void engineInit(KeyStore keyStore) {}

          @Override
          protected void engineInit(ManagerFactoryParameters parameters) {}

          @Override
          protected TrustManager[] engineGetTrustManagers() {
            return new TrustManager[] {manager};
          }
        };
    return new TrustManagerFactory(
        spi, new Provider("edgegw-uplink", "1", "cloud CA") {}, "PKIX") {};
  }

  /**
   * The JDK's PKIX checks, run in two steps so that a refusal can say which failed: first the chain
   * and its validity against the CA file, then the host name (the engine's endpoint identification,
   * which HiveMQ sets to HTTPS).
   */
  private final class ExplainingTrustManager extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager pkix;

    ExplainingTrustManager(X509ExtendedTrustManager pkix) {
      this.pkix = pkix;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      checkChain(chain, authType);
      try {
        pkix.checkServerTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        serverRefusal.set(hostMismatch(engine.getPeerHost(), chain[0]));
        throw e;
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      checkChain(chain, authType);
      pkix.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      // Without an engine there is no host name to check: refuse rather than skip the check.
      throw new CertificateException("the cloud session verifies the host name; no engine given");
    }

    private void checkChain(X509Certificate[] chain, String authType) throws CertificateException {
      try {
        pkix.checkServerTrusted(chain, authType);
      } catch (CertificateException e) {
        serverRefusal.set(untrusted(chain, e));
        throw e;
      }
    }

    private String untrusted(X509Certificate[] chain, CertificateException e) {
      if (chain == null || chain.length == 0) {
        return "the broker presented no certificate";
      }
      X509Certificate leaf = chain[0];
      Instant now = Instant.now();
      if (leaf.getNotAfter().toInstant().isBefore(now)) {
        return "the broker's certificate expired on "
            + leaf.getNotAfter().toInstant()
            + " ("
            + leaf.getSubjectX500Principal().getName()
            + ")";
      }
      if (leaf.getNotBefore().toInstant().isAfter(now)) {
        return "the broker's certificate is not valid before "
            + leaf.getNotBefore().toInstant()
            + "; check this gateway's clock";
      }
      return "the broker's certificate ("
          + leaf.getSubjectX500Principal().getName()
          + ", issued by "
          + leaf.getIssuerX500Principal().getName()
          + ") is not trusted by uplink.cloud.tls.ca-file "
          + caFile
          + " ("
          + e.getMessage()
          + ")";
    }

    private static String hostMismatch(String host, X509Certificate leaf) {
      String names;
      try {
        Collection<List<?>> altNames = leaf.getSubjectAlternativeNames();
        names =
            altNames == null
                ? "none"
                : altNames.stream().map(n -> String.valueOf(n.get(1))).toList().toString();
      } catch (CertificateException e) {
        names = "unreadable";
      }
      return "host name '"
          + host
          + "' does not match the certificate (its names: "
          + names
          + "); uplink.cloud.host must be one of them";
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("the cloud session is a client only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("the cloud session is a client only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("the cloud session is a client only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return pkix.getAcceptedIssuers();
    }
  }
}
