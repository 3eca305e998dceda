package io.edgegw.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;

class TestPkiTest {

  @Test
  void serverCertificateCarriesTheNamesAndIsSignedByTheCa() throws Exception {
    try (TestPki pki = TestPki.create()) {
      TestPki.Issued server = pki.server("127.0.0.1", "cloud.example");
      X509Certificate certificate = readCertificate(server.certFile());

      assertThat(certificate).isEqualTo(server.certificate());
      assertThat(certificate.getSubjectAlternativeNames())
          .containsExactlyInAnyOrder(List.of(7, "127.0.0.1"), List.of(2, "cloud.example"));
      assertThat(certificate.getSubjectX500Principal().getName()).contains("CN=127.0.0.1");
      assertThat(certificate.getIssuerX500Principal())
          .isEqualTo(pki.ca().certificate().getSubjectX500Principal());
      assertThat(certificate.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
      assertThat(certificate.getBasicConstraints()).isEqualTo(-1);
      certificate.verify(readCertificate(pki.ca().certFile()).getPublicKey());
      certificate.checkValidity();
    }
  }

  @Test
  void caIsSelfSignedAndMayIssue() throws Exception {
    try (TestPki pki = TestPki.create()) {
      X509Certificate ca = readCertificate(pki.ca().certFile());
      ca.verify(ca.getPublicKey());
      assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
      assertThat(ca.getKeyUsage()[5]).as("keyCertSign").isTrue();
      assertThat(ca.getSubjectX500Principal()).isEqualTo(ca.getIssuerX500Principal());
    }
  }

  @Test
  void anotherAuthorityIsUnrelated() throws Exception {
    try (TestPki pki = TestPki.create()) {
      TestPki.Authority other = pki.authority("Other CA");
      TestPki.Issued server = pki.server(other, List.of("127.0.0.1"), past(1), future(1));

      assertThat(other.certificate().getPublicKey())
          .isNotEqualTo(pki.ca().certificate().getPublicKey());
      server.certificate().verify(other.certificate().getPublicKey());
      assertThatThrownBy(() -> server.certificate().verify(pki.ca().certificate().getPublicKey()))
          .isInstanceOf(SignatureException.class);
    }
  }

  @Test
  void expiredCertificateHasTheChosenValidity() throws Exception {
    try (TestPki pki = TestPki.create()) {
      Instant notBefore = past(48);
      Instant notAfter = past(24);
      TestPki.Issued expired = pki.server(pki.ca(), List.of("127.0.0.1"), notBefore, notAfter);
      X509Certificate certificate = readCertificate(expired.certFile());

      assertThat(certificate.getNotAfter()).isEqualTo(Date.from(notAfter));
      assertThat(certificate.getNotBefore()).isEqualTo(Date.from(notBefore));
      assertThatThrownBy(certificate::checkValidity)
          .isInstanceOf(CertificateExpiredException.class);
      assertThatThrownBy(() -> pki.server(pki.ca(), List.of("x"), notAfter, notBefore))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("must be after");
    }
  }

  @Test
  void clientKeyIsPrivatePkcs8MatchingItsCertificate() throws Exception {
    try (TestPki pki = TestPki.create()) {
      TestPki.Issued client = pki.client("gw-1");
      X509Certificate certificate = readCertificate(client.certFile());
      PrivateKey key = readPkcs8(client.keyFile());

      assertThat(Files.getPosixFilePermissions(client.keyFile()))
          .isEqualTo(PosixFilePermissions.fromString("rw-------"));
      assertThat(certificate.getSubjectX500Principal().getName()).contains("CN=gw-1");
      assertThat(certificate.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
      assertThat(certificate.getSubjectAlternativeNames()).isNull();
      certificate.verify(pki.ca().certificate().getPublicKey());

      byte[] data = "proof of possession".getBytes();
      Signature signer = Signature.getInstance("SHA256withECDSA");
      signer.initSign(key);
      signer.update(data);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance("SHA256withECDSA");
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(data);
      assertThat(verifier.verify(signature)).isTrue();
    }
  }

  @Test
  void closeDeletesTheFiles() {
    Path directory;
    try (TestPki pki = TestPki.create()) {
      directory = pki.directory();
      pki.client("gw-1");
      assertThat(directory).isDirectory();
    }
    assertThat(directory).doesNotExist();
  }

  private static Instant past(int hours) {
    return Instant.now().minus(Duration.ofHours(hours)).truncatedTo(ChronoUnit.SECONDS);
  }

  private static Instant future(int hours) {
    return Instant.now().plus(Duration.ofHours(hours));
  }

  static X509Certificate readCertificate(Path file) throws IOException, GeneralSecurityException {
    try (InputStream in = Files.newInputStream(file)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  static PrivateKey readPkcs8(Path file) throws IOException, GeneralSecurityException {
    String pem = Files.readString(file);
    assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----\n");
    String base64 =
        pem.replace("-----BEGIN PRIVATE KEY-----", "")
            .replace("-----END PRIVATE KEY-----", "")
            .replaceAll("\\s", "");
    return KeyFactory.getInstance("EC")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
  }
}
