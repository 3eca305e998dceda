package io.edgegw.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * podman/provision.sh, the gateway's first-boot provisioning, run twice into a temporary directory:
 * every secret is made, every file is 0600, nothing secret is printed, and the second run keeps
 * what the first made.
 */
class ProvisioningIT {

  /** Made once and kept: their bytes must not change on a second run. */
  private static final List<String> GENERATED =
      List.of(
          "gateway-id",
          "bus-bridge.password",
          "bus-buffer.password",
          "bus-rules.password",
          "bus-uplink.password",
          "bus-ota.password",
          "bus-operator.password",
          "bus-health.password",
          "db-admin.password",
          "db-buffer.password",
          "db-uplink.password",
          "buffer-api-token",
          "ota-web-token",
          "uplink.key",
          "uplink.csr",
          "uplink.crt",
          "demo-cloud/ca.key",
          "demo-cloud/broker.key");

  /** Derived from the generated ones on every run. */
  private static final List<String> DERIVED =
      List.of(
          "mosquitto.passwd",
          "mosquitto.acl",
          "mosquitto-health",
          "bridge.properties",
          "buffer.properties",
          "rules.properties",
          "uplink.properties",
          "ota-agent.properties",
          "cloud-ca.crt");

  @TempDir Path temp;

  @Test
  void makesEverySecretOnceWithMode0600AndPrintsNone() throws Exception {
    Path secrets = temp.resolve("secrets");

    Script.Result first = Script.provision(secrets, "--gateway-id", "gw-7", "--demo-cloud");
    first.assertSucceeded();
    Map<String, byte[]> made = read(secrets, GENERATED);
    for (String file : DERIVED) {
      assertThat(secrets.resolve(file)).isNotEmptyFile();
    }

    // Passwords and the token: long, random, each different.
    List<String> passwords = new ArrayList<>();
    for (String file : GENERATED) {
      if (file.endsWith(".password") || file.endsWith("-token")) {
        String value = new String(made.get(file), StandardCharsets.UTF_8);
        assertThat(value).as(file).matches("[A-Za-z0-9]{32}");
        passwords.add(value);
      }
    }
    assertThat(passwords).doesNotHaveDuplicates().hasSize(12);

    // Each service's settings carry its own passwords.
    assertThat(secrets.resolve("bridge.properties"))
        .hasContent("bridge.bus.password=" + text(secrets, "bus-bridge.password"));
    assertThat(secrets.resolve("buffer.properties"))
        .hasContent(
            "buffer.bus.password="
                + text(secrets, "bus-buffer.password")
                + "\nquarkus.datasource.password="
                + text(secrets, "db-buffer.password"));
    assertThat(secrets.resolve("uplink.properties"))
        .hasContent(
            "uplink.gateway-id=gw-7\nuplink.bus.password="
                + text(secrets, "bus-uplink.password")
                + "\nquarkus.datasource.password="
                + text(secrets, "db-uplink.password"));

    // The uplink's key is EC P-256 in PKCS#8; its CSR names the gateway and matches the key.
    ECPrivateKey key = ecKey(secrets.resolve("uplink.key"));
    assertThat(key.getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
    PKCS10CertificationRequest csr = csr(secrets.resolve("uplink.csr"));
    assertThat(csr.getSubject().toString()).contains("CN=gw-7");
    assertThat(
            csr.isSignatureValid(
                new org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder()
                    .build(csr.getSubjectPublicKeyInfo())))
        .isTrue();

    assertModes(secrets);
    assertPrintsNoSecret(first, secrets);

    Script.Result second = Script.provision(secrets);
    second.assertSucceeded();
    Map<String, byte[]> kept = read(secrets, GENERATED);
    for (String file : GENERATED) {
      assertThat(kept.get(file)).as(file + " after a second run").isEqualTo(made.get(file));
    }
    assertModes(secrets);
    assertPrintsNoSecret(second, secrets);
  }

  @Test
  void refusesToReprovisionADirectoryForAnotherGateway() {
    Path secrets = temp.resolve("secrets");
    Script.provision(secrets, "--gateway-id", "gw-a").assertSucceeded();

    Script.Result other = Script.provision(secrets, "--gateway-id", "gw-b");

    assertThat(other.exitCode()).isNotZero();
    assertThat(other.stderr()).contains("'gw-a'").contains("'gw-b'");
  }

  @Test
  void refusesAGatewayIdThatIsNoTopicLevel() {
    Script.Result bad = Script.provision(temp.resolve("secrets"), "--gateway-id", "gw/1");

    assertThat(bad.exitCode()).isNotZero();
    assertThat(bad.stderr()).contains("'gw/1'").contains("[A-Za-z0-9_.-]");
  }

  private static void assertModes(Path secrets) throws IOException {
    assertThat(Files.getPosixFilePermissions(secrets))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    try (Stream<Path> files = Files.walk(secrets)) {
      for (Path file : files.toList()) {
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
        if (Files.isDirectory(file)) {
          assertThat(mode)
              .as(file.toString())
              .isEqualTo(PosixFilePermissions.fromString("rwx------"));
        } else {
          assertThat(mode)
              .as(file.toString())
              .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
      }
    }
  }

  /** Neither output stream holds a password, the token, or a line of a private key. */
  private static void assertPrintsNoSecret(Script.Result run, Path secrets) throws IOException {
    String output = run.stdout() + run.stderr();
    assertThat(run.stdout()).isEmpty();
    for (String file : GENERATED) {
      if (file.endsWith(".key")) {
        for (String line : Files.readAllLines(secrets.resolve(file))) {
          if (!line.startsWith("-----")) {
            assertThat(output).doesNotContain(line);
          }
        }
      } else if (file.endsWith(".password") || file.endsWith("-token")) {
        assertThat(output).as("output of " + run.command()).doesNotContain(text(secrets, file));
      }
    }
  }

  private static Map<String, byte[]> read(Path secrets, List<String> files) throws IOException {
    Map<String, byte[]> contents = new LinkedHashMap<>();
    for (String file : files) {
      assertThat(secrets.resolve(file)).as(file).isNotEmptyFile();
      contents.put(file, Files.readAllBytes(secrets.resolve(file)));
    }
    return contents;
  }

  private static String text(Path secrets, String file) {
    try {
      return Files.readString(secrets.resolve(file)).strip();
    } catch (IOException e) {
      throw new AssertionError("cannot read " + file, e);
    }
  }

  private static ECPrivateKey ecKey(Path pem) throws Exception {
    String body =
        Files.readString(pem)
            .replace("-----BEGIN PRIVATE KEY-----", "")
            .replace("-----END PRIVATE KEY-----", "")
            .replaceAll("\\s", "");
    return (ECPrivateKey)
        KeyFactory.getInstance("EC")
            .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
  }

  private static PKCS10CertificationRequest csr(Path pem) throws IOException {
    try (Reader reader = Files.newBufferedReader(pem);
        PEMParser parser = new PEMParser(reader)) {
      return (PKCS10CertificationRequest) parser.readObject();
    }
  }
}
