package io.edgegw.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway public key infrastructure for TLS tests: certificate authorities, server certificates
 * for chosen names and validity (so an expired one can be made), and client certificates, written
 * as PEM files into a fresh temporary directory that {@link #close()} deletes.
 *
 * <p>Keys are EC P-256; private keys are unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY}) with mode
 * 0600, as the gateway keeps its own. Certificates carry the extensions OpenSSL and the JDK check:
 * basic constraints, key usage, extended key usage, subject and authority key identifiers.
 *
 * <pre>{@code
 * try (TestPki pki = TestPki.create()) {
 *   TestPki.Issued server = pki.server("127.0.0.1");
 *   TestPki.Issued client = pki.client("gw-1");
 *   MosquittoBroker.builder().tls(pki.ca().certFile(), server.certFile(), server.keyFile(), true);
 * }
 * }</pre>
 */
public final class TestPki implements AutoCloseable {

  /** Validity of certificates issued without an explicit one: from an hour ago for a day. */
  public static final Duration DEFAULT_VALIDITY = Duration.ofDays(1);

  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|.*:.*");
  private static final String SIGNATURE = "SHA256withECDSA";
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * A certificate authority.
   *
   * @param certFile its certificate, PEM
   * @param certificate the same certificate, parsed
   * @param privateKey its signing key (not written to disk)
   */
  public record Authority(Path certFile, X509Certificate certificate, PrivateKey privateKey) {}

  /**
   * An issued end-entity certificate.
   *
   * @param certFile the certificate, PEM
   * @param keyFile its private key, PKCS#8 PEM, mode 0600
   * @param certificate the certificate, parsed
   */
  public record Issued(Path certFile, Path keyFile, X509Certificate certificate) {}

  private final ScratchDirectory scratch;
  private final AtomicInteger sequence = new AtomicInteger();
  private final Authority ca;

  private TestPki(ScratchDirectory scratch) {
    this.scratch = scratch;
    this.ca = authority("Test Cloud CA");
  }

  /** Creates the directory and the main CA, {@link #ca()}. */
  public static TestPki create() {
    ScratchDirectory scratch = ScratchDirectory.create("test-pki-");
    try {
      return new TestPki(scratch);
    } catch (RuntimeException e) {
      scratch.close();
      throw e;
    }
  }

  /** The directory holding the files. */
  public Path directory() {
    return scratch.path();
  }

  /** The main CA, which {@link #server(String...)} and {@link #client(String)} use. */
  public Authority ca() {
    return ca;
  }

  /** A new self-signed CA, unrelated to every other; valid from an hour ago for ten years. */
  public Authority authority(String commonName) {
    KeyPair keys = newKeyPair();
    Instant now = Instant.now();
    X500Name subject = name(commonName);
    X509Certificate certificate =
        sign(
            subject,
            keys.getPublic(),
            subject,
            keys.getPublic(),
            keys.getPrivate(),
            now.minus(Duration.ofHours(1)),
            now.plus(Duration.ofDays(3650)),
            builder -> {
              builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
              builder.addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            });
    Path certFile = scratch.resolve(fileStem(commonName) + "-ca.pem");
    writePem(certFile, "CERTIFICATE", encoded(certificate));
    return new Authority(certFile, certificate, keys.getPrivate());
  }

  /**
   * A server certificate from {@link #ca()} for these names, valid from an hour ago for {@link
   * #DEFAULT_VALIDITY}. A name that is an IP literal becomes an IP address entry of the subject
   * alternative name, any other a DNS entry.
   */
  public Issued server(String... names) {
    Instant now = Instant.now();
    return server(ca, List.of(names), now.minus(Duration.ofHours(1)), now.plus(DEFAULT_VALIDITY));
  }

  /**
   * A server certificate (extended key usage serverAuth) with these subject alternative names.
   *
   * @param issuer the signing CA
   * @param names DNS names and IP literals, at least one; the first is also the common name
   * @param notBefore start of validity
   * @param notAfter end of validity; in the past for an expired certificate
   */
  public Issued server(Authority issuer, List<String> names, Instant notBefore, Instant notAfter) {
    if (names.isEmpty()) {
      throw new IllegalArgumentException("a server certificate needs at least one name");
    }
    List<GeneralName> altNames = new ArrayList<>();
    for (String name : names) {
      altNames.add(
          IP_LITERAL.matcher(name).matches()
              ? new GeneralName(GeneralName.iPAddress, new DEROctetString(ipAddress(name)))
              : new GeneralName(GeneralName.dNSName, name));
    }
    return issue(
        issuer,
        names.getFirst(),
        "server",
        notBefore,
        notAfter,
        KeyPurposeId.id_kp_serverAuth,
        new GeneralNames(altNames.toArray(GeneralName[]::new)));
  }

  /** A client certificate from {@link #ca()} with this common name, valid for a day. */
  public Issued client(String commonName) {
    return client(ca, commonName);
  }

  /** A client certificate (extended key usage clientAuth) from this CA, valid for a day. */
  public Issued client(Authority issuer, String commonName) {
    Instant now = Instant.now();
    return issue(
        issuer,
        commonName,
        "client",
        now.minus(Duration.ofHours(1)),
        now.plus(DEFAULT_VALIDITY),
        KeyPurposeId.id_kp_clientAuth,
        null);
  }

  /** Deletes the directory and every file in it. */
  @Override
  public void close() {
    scratch.close();
  }

  private Issued issue(
      Authority issuer,
      String commonName,
      String role,
      Instant notBefore,
      Instant notAfter,
      KeyPurposeId purpose,
      GeneralNames altNames) {
    if (!notAfter.isAfter(notBefore)) {
      throw new IllegalArgumentException(
          "notAfter " + notAfter + " must be after notBefore " + notBefore);
    }
    KeyPair keys = newKeyPair();
    X509Certificate certificate =
        sign(
            name(commonName),
            keys.getPublic(),
            X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded()),
            issuer.certificate().getPublicKey(),
            issuer.privateKey(),
            notBefore,
            notAfter,
            builder -> {
              builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
              builder.addExtension(
                  Extension.keyUsage,
                  true,
                  new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
              builder.addExtension(
                  Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
              if (altNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, altNames);
              }
            });
    String stem = role + "-" + sequence.incrementAndGet() + "-" + fileStem(commonName);
    Path certFile = scratch.resolve(stem + ".pem");
    Path keyFile = scratch.resolve(stem + ".key");
    writePem(certFile, "CERTIFICATE", encoded(certificate));
    writePem(keyFile, "PRIVATE KEY", keys.getPrivate().getEncoded());
    try {
      Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot restrict " + keyFile + " to mode 0600", e);
    }
    return new Issued(certFile, keyFile, certificate);
  }

  private interface Extensions {
    void add(X509v3CertificateBuilder builder) throws CertIOException;
  }

  private static X509Certificate sign(
      X500Name subject,
      PublicKey subjectKey,
      X500Name issuer,
      PublicKey issuerKey,
      PrivateKey signingKey,
      Instant notBefore,
      Instant notAfter,
      Extensions extensions) {
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              issuer,
              new BigInteger(63, RANDOM).add(BigInteger.ONE),
              Date.from(notBefore),
              Date.from(notAfter),
              subject,
              subjectKey);
      builder.addExtension(
          Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(subjectKey));
      builder.addExtension(
          Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(issuerKey));
      extensions.add(builder);
      return new JcaX509CertificateConverter()
          .getCertificate(builder.build(new JcaContentSignerBuilder(SIGNATURE).build(signingKey)));
    } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
      throw new IllegalStateException("cannot sign a certificate for " + subject, e);
    }
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate EC P-256 keys", e);
    }
  }

  private static X500Name name(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.CN, commonName)
        .addRDN(BCStyle.O, "edgegw tests")
        .build();
  }

  private static byte[] ipAddress(String literal) {
    try {
      return InetAddress.getByName(literal).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: " + literal, e);
    }
  }

  private static byte[] encoded(X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encode " + certificate.getSubjectX500Principal(), e);
    }
  }

  private static String fileStem(String name) {
    return name.replaceAll("[^A-Za-z0-9.-]+", "_");
  }

  private static void writePem(Path file, String type, byte[] der) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    String pem = "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    try {
      Files.writeString(file, pem, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
