package io.edgegw.gwctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.bundle.BundleVerifier;
import io.edgegw.bundle.Keys;
import io.edgegw.bundle.RegistryClient;
import io.edgegw.bundle.SignedArtifact;
import io.edgegw.testsupport.FreePorts;
import io.edgegw.testsupport.RegistryServer;
import io.edgegw.testsupport.TestPki;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gwctl artifact} in-process against a real {@code docker-registry}: a pushed artifact is
 * signed over its name, type and bytes and verifies with the release key; bad names, missing keys,
 * an unreachable registry or broker give their documented exit codes.
 */
class ArtifactCommandIT {
  private static RegistryServer registry;

  @TempDir Path tmp;

  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void startRegistry() {
    registry = RegistryServer.start();
  }

  @AfterAll
  static void stopRegistry() {
    registry.close();
  }

  @Test
  void pushSignsAndPushesAnArtifactThatVerifies() throws Exception {
    Path keys = tmp.resolve("keys");
    assertThat(gwctl("keys", "generate", "--out", keys.toString(), "--name", "release").exit())
        .isZero();
    Path file = Files.write(tmp.resolve("fw-2.1.bin"), new byte[] {1, 2, 3, 4, 5});
    Run run =
        gwctl(
            "artifact",
            "push",
            "--file",
            file.toString(),
            "--type",
            "application/x-firmware",
            "--key",
            keys.resolve("release.key").toString(),
            "--registry",
            registry.url().toString(),
            "--repo",
            "edgegw/firmware",
            "--tag",
            "2.1");
    assertThat(run.exit()).as(run.err()).isZero();

    SignedArtifact pulled =
        new RegistryClient(registry.url()).pullArtifact("edgegw/firmware", "2.1", 1024);
    assertThat(pulled.name()).isEqualTo("fw-2.1.bin");
    assertThat(pulled.mediaType()).isEqualTo("application/x-firmware");
    assertThat(pulled.content()).containsExactly(1, 2, 3, 4, 5);
    new BundleVerifier(List.of(Keys.readPublicKey(keys.resolve("release.pub")))).verify(pulled);
    assertThat(run.out())
        .contains(
            "pushed artifact fw-2.1.bin " + pulled.digest() + " (5 bytes, signed with key sha256:")
        .contains("reference " + registry.hostAndPort() + "/edgegw/firmware@sha256:");

    Run renamed =
        gwctl(
            "artifact",
            "push",
            "--file",
            file.toString(),
            "--name",
            "../evil.bin",
            "--key",
            keys.resolve("release.key").toString(),
            "--registry",
            registry.url().toString(),
            "--repo",
            "edgegw/firmware",
            "--tag",
            "bad");
    assertThat(renamed.exit()).isEqualTo(Gwctl.USAGE);
    assertThat(renamed.err()).contains("'../evil.bin' must be a file name");

    Run noKey =
        gwctl(
            "artifact",
            "push",
            "--file",
            file.toString(),
            "--key",
            tmp.resolve("none.key").toString(),
            "--registry",
            registry.url().toString(),
            "--repo",
            "edgegw/firmware",
            "--tag",
            "x");
    assertThat(noKey.exit()).isEqualTo(Gwctl.FAILED);
    assertThat(noKey.err()).startsWith("gwctl: ").hasLineCount(1);

    Run down =
        gwctl(
            "artifact",
            "push",
            "--file",
            file.toString(),
            "--key",
            keys.resolve("release.key").toString(),
            "--registry",
            "http://127.0.0.1:" + FreePorts.loopback(),
            "--repo",
            "edgegw/firmware",
            "--tag",
            "x");
    assertThat(down.exit()).as(down.err()).isEqualTo(Gwctl.UNAVAILABLE);
  }

  @Test
  void deployGoesThroughTheFleetPathAndChecksDeviceIds() throws Exception {
    try (TestPki pki = TestPki.create()) {
      String broker = "ssl://127.0.0.1:" + FreePorts.loopback();
      String ca = pki.ca().certFile().toString();
      Run badDevice =
          gwctl(
              "artifact",
              "deploy",
              "--gateway",
              "gw-a",
              "--repo",
              "edgegw/firmware",
              "--ref",
              "2.1",
              "--devices",
              "plc-1,../x",
              "--broker",
              broker,
              "--ca",
              ca);
      assertThat(badDevice.exit()).isEqualTo(Gwctl.USAGE);
      assertThat(badDevice.err()).contains("'../x' is not a device id");

      Run unreachable =
          gwctl(
              "artifact",
              "deploy",
              "--gateway",
              "gw-a",
              "--repo",
              "edgegw/firmware",
              "--ref",
              "2.1",
              "--devices",
              "plc-1",
              "--broker",
              broker,
              "--ca",
              ca);
      assertThat(unreachable.exit()).as(unreachable.err()).isEqualTo(Gwctl.UNAVAILABLE);
      assertThat(unreachable.err()).startsWith("gwctl: cannot connect to broker").hasLineCount(1);

      Run missing =
          gwctl("artifact", "deploy", "--gateway", "gw-a", "--broker", broker, "--ca", ca);
      assertThat(missing.exit()).isEqualTo(Gwctl.USAGE);
      assertThat(missing.err()).contains("--repo").contains("--ref");
    }
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
}
