package io.edgegw.gwctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.bundle.Bundle;
import io.edgegw.bundle.BundleVerifier;
import io.edgegw.bundle.Keys;
import io.edgegw.bundle.RegistryClient;
import io.edgegw.testsupport.FreePorts;
import io.edgegw.testsupport.RegistryServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gwctl's key and bundle commands end to end, in-process, against a real {@code docker-registry}:
 * exit codes, stdout and the one-line stderr messages.
 */
class GwctlBundleIT {

  private static RegistryServer registry;
  private static RegistryClient client;
  private static String bridgeDigest;
  private static String bufferDigest;

  @TempDir Path tmp;

  /** The outcome of one in-process run. */
  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void startRegistryWithImages() throws IOException {
    registry = RegistryServer.start();
    client = new RegistryClient(registry.url());
    bridgeDigest = pushImage("edgegw/bridge-service", "1.4.0", "bridge layer");
    bufferDigest = pushImage("edgegw/buffer-service", "2.0.0", "buffer layer");
  }

  @AfterAll
  static void stopRegistry() {
    registry.close();
  }

  @Test
  void buildSignVerifyPushEndToEnd() throws Exception {
    Path keys = tmp.resolve("keys");
    Run generated = gwctl("keys", "generate", "--out", keys.toString(), "--name", "release");
    assertThat(generated.exit()).as(generated.err()).isZero();
    assertThat(generated.out()).contains("key id      sha256:");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(keys.resolve("release.key"))))
        .isEqualTo("rw-------");
    Path trust = Files.createDirectories(tmp.resolve("trust"));
    Files.copy(keys.resolve("release.pub"), trust.resolve("release.pub"));

    Path compose = writeCompose();
    Path out = tmp.resolve("bundle");
    Run built =
        gwctl(
            "bundle", "build",
            "--compose", compose.toString(),
            "--version", "1.2.0",
            "--registry", registry.url().toString(),
            "--health", "bridge=http://127.0.0.1:8081/q/health/ready",
            "--health", "buffer=status",
            "--out", out.toString());
    assertThat(built.exit()).as(built.err()).isZero();
    String pinnedCompose = Files.readString(out.resolve("compose.yaml"));
    assertThat(pinnedCompose)
        .contains(
            "image: "
                + registry.hostAndPort()
                + "/edgegw/bridge-service@"
                + bridgeDigest
                + "  # the bridge")
        .contains("image: edgegw/buffer-service@" + bufferDigest)
        .contains("# kept comment")
        .doesNotContain(":1.4.0")
        .doesNotContain(":2.0.0");
    assertThat(built.out())
        .contains("bridge: " + registry.hostAndPort() + "/edgegw/bridge-service:1.4.0 -> ");

    Run unsigned = gwctl("bundle", "verify", "--trust", trust.toString(), out.toString());
    assertThat(unsigned.exit()).isEqualTo(Gwctl.REJECTED);
    assertThat(unsigned.err()).startsWith("gwctl: UNSIGNED: ").hasLineCount(1);

    Run pushUnsigned =
        gwctl(
            "bundle",
            "push",
            "--registry",
            registry.url().toString(),
            "--repo",
            "edgegw/stack",
            out.toString());
    assertThat(pushUnsigned.exit()).isEqualTo(Gwctl.FAILED);
    assertThat(pushUnsigned.err()).contains("is not signed");

    Run signed =
        gwctl("bundle", "sign", "--key", keys.resolve("release.key").toString(), out.toString());
    assertThat(signed.exit()).as(signed.err()).isZero();
    Run verified = gwctl("bundle", "verify", "--trust", trust.toString(), out.toString());
    assertThat(verified.exit()).as(verified.err()).isZero();
    String digest = Bundle.read(out).digest();
    assertThat(verified.out()).contains("verified bundle 1.2.0 " + digest);

    Run pushed =
        gwctl(
            "bundle",
            "push",
            "--registry",
            registry.url().toString(),
            "--repo",
            "edgegw/stack",
            "--tag",
            "1.2.0",
            out.toString());
    assertThat(pushed.exit()).as(pushed.err()).isZero();
    Bundle pulled = client.pullBundle("edgegw/stack", "1.2.0");
    assertThat(new BundleVerifier(Keys.readTrustAnchors(trust)).verify(pulled).digest())
        .isEqualTo(digest);
    assertThat(pulled.manifest().healthChecks()).containsEntry("buffer", "status");
    assertThat(pushed.out())
        .contains(
            "reference "
                + registry.hostAndPort()
                + "/edgegw/stack@"
                + client.resolveDigest("edgegw/stack", "1.2.0"));

    Files.writeString(
        out.resolve("compose.yaml"), pinnedCompose.replace("# kept comment", "# changed"));
    Run tampered = gwctl("bundle", "verify", "--trust", trust.toString(), out.toString());
    assertThat(tampered.exit()).isEqualTo(Gwctl.REJECTED);
    assertThat(tampered.err()).startsWith("gwctl: TAMPERED: ").hasLineCount(1);

    Path otherTrust = tmp.resolve("other");
    gwctl("keys", "generate", "--out", otherTrust.toString());
    Files.delete(otherTrust.resolve("bundle-signing.key"));
    Files.writeString(out.resolve("compose.yaml"), pinnedCompose);
    Run untrusted = gwctl("bundle", "verify", "--trust", otherTrust.toString(), out.toString());
    assertThat(untrusted.exit()).isEqualTo(Gwctl.REJECTED);
    assertThat(untrusted.err()).startsWith("gwctl: UNTRUSTED_KEY: ");
  }

  @Test
  void usageErrorsExitWith2AndSayWhat() throws Exception {
    Run missing = gwctl("bundle", "build", "--version", "1.0.0");
    assertThat(missing.exit()).isEqualTo(Gwctl.USAGE);
    assertThat(missing.err()).contains("Missing required options").contains("--compose");

    Run badVersion =
        gwctl(
            "bundle", "build",
            "--compose", writeCompose().toString(),
            "--version", "1.2",
            "--registry", registry.url().toString(),
            "--out", tmp.resolve("b").toString());
    assertThat(badVersion.exit()).isEqualTo(Gwctl.USAGE);
    assertThat(badVersion.err()).contains("--version '1.2' is not MAJOR.MINOR.PATCH");
    assertThat(tmp.resolve("b")).doesNotExist();

    Run unknown = gwctl("bundel");
    assertThat(unknown.exit()).isEqualTo(Gwctl.USAGE);
  }

  @Test
  void failuresExitNonZeroWithOneLine() throws Exception {
    String nowhere = "http://127.0.0.1:" + FreePorts.loopback();
    Path plain =
        Files.writeString(
            tmp.resolve("plain.yaml"), "services:\n  x:\n    image: edgegw/buffer-service:2.0.0\n");
    Run down =
        gwctl(
            "bundle",
            "build",
            "--compose",
            plain.toString(),
            "--version",
            "1.0.0",
            "--registry",
            nowhere,
            "--out",
            tmp.resolve("b").toString());
    assertThat(down.exit()).as(down.err()).isEqualTo(Gwctl.UNAVAILABLE);
    assertThat(down.err())
        .startsWith("gwctl: ")
        .contains("cannot connect to registry")
        .hasLineCount(1);

    Path foreign =
        Files.writeString(
            tmp.resolve("foreign.yaml"), "services:\n  x:\n    image: quay.io/acme/x:1\n");
    Run other =
        gwctl(
            "bundle", "build",
            "--compose", foreign.toString(),
            "--version", "1.0.0",
            "--registry", registry.url().toString(),
            "--out", tmp.resolve("c").toString());
    assertThat(other.exit()).as(other.err()).isEqualTo(Gwctl.FAILED);
    assertThat(other.err()).contains("image quay.io/acme/x:1 is in registry quay.io");

    Path unknownTag =
        Files.writeString(
            tmp.resolve("tag.yaml"), "services:\n  x:\n    image: edgegw/bridge-service:9.9.9\n");
    Run notFound =
        gwctl(
            "bundle", "build",
            "--compose", unknownTag.toString(),
            "--version", "1.0.0",
            "--registry", registry.url().toString(),
            "--out", tmp.resolve("d").toString());
    assertThat(notFound.exit()).as(notFound.err()).isEqualTo(Gwctl.FAILED);
    assertThat(notFound.err()).contains("edgegw/bridge-service:9.9.9").contains("404");

    Run noKey =
        gwctl("bundle", "sign", "--key", tmp.resolve("absent.key").toString(), tmp.toString());
    assertThat(noKey.exit()).as(noKey.err()).isEqualTo(Gwctl.FAILED);
    assertThat(noKey.err()).contains("absent.key");
  }

  private Path writeCompose() throws IOException {
    return Files.writeString(
        tmp.resolve("compose-" + System.nanoTime() + ".yaml"),
        """
        # kept comment
        services:
          bridge:
            image: %s/edgegw/bridge-service:1.4.0  # the bridge
          buffer:
            image: edgegw/buffer-service:2.0.0
        """
            .formatted(registry.hostAndPort()));
  }

  private static Run gwctl(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Gwctl.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  /** A minimal OCI image with one layer, pushed over HTTP; returns its manifest digest. */
  private static String pushImage(String repository, String tag, String layerText)
      throws IOException {
    byte[] layer = layerText.getBytes(StandardCharsets.UTF_8);
    byte[] config =
        ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}")
            .getBytes(StandardCharsets.UTF_8);
    String manifest =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
            + client.pushBlob(repository, config)
            + "\",\"size\":"
            + config.length
            + "},"
            + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\""
            + client.pushBlob(repository, layer)
            + "\",\"size\":"
            + layer.length
            + "}]}";
    return client.putManifest(
        repository, tag, manifest.getBytes(StandardCharsets.UTF_8), RegistryClient.OCI_MANIFEST);
  }

  static List<String> lines(String text) {
    return text.lines().toList();
  }
}
