package io.edgegw.ota.podman;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgegw.bundle.Bundle;
import io.edgegw.bundle.BundleManifest;
import io.edgegw.bundle.BundleSigner;
import io.edgegw.bundle.Keys;
import io.edgegw.bundle.RegistryClient;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.edgegw.testsupport.BusObserver;
import io.edgegw.testsupport.FreePorts;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.TestPki;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged ota-agent against real podman, podman-compose, a real TLS docker-registry and a real
 * Mosquitto: updates, rollback on a failed health gate, rejected bundles, registry outage, a kill
 * mid-update, and restart by command. The scenarios build on each other (the installed bundle
 * carries over), so they run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OtaUpdateProcessIT {
  private static final Duration PODMAN_WAIT = Duration.ofSeconds(120);
  private static final PayloadCodec CODEC = new PayloadCodec();
  private static final String BUNDLES = "edgegw/bundle";

  @TempDir static Path work;
  static Path containersConf;
  static TestPki pki;
  static TlsRegistry registry;
  static RegistryClient registryClient;
  static MosquittoBroker broker;
  static BusObserver bus;
  static ServiceProcess agent;
  static BundleSigner signer;
  static BundleSigner stranger;
  static String project;
  static String image1;
  static String image2;
  static int webPort;
  static HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void setUp() throws Exception {
    containersConf =
        Path.of(System.getProperty("ota.containers.conf", "../podman/containers.conf"))
            .toAbsolutePath()
            .normalize();
    assertThat(containersConf).as("podman/containers.conf of the project").isRegularFile();
    pki = TestPki.create();
    registry = new TlsRegistry(pki, Files.createDirectories(work.resolve("registry")));
    registryClient =
        new RegistryClient(
            URI.create(registry.url()),
            HttpClient.newBuilder().sslContext(registry.ssl()).build(),
            Duration.ofSeconds(30));
    image1 = TestImages.buildAndPush(containersConf, registry, work, "edgegw/web", "1.0.0");
    image2 = TestImages.buildAndPush(containersConf, registry, work, "edgegw/web", "2.0.0");

    KeyPair trusted = Keys.generate(work.resolve("keys"), "release");
    signer = new BundleSigner(trusted);
    stranger = new BundleSigner(Keys.generate());
    project = "otait" + UUID.randomUUID().toString().substring(0, 8);
    webPort = FreePorts.loopback();

    broker = MosquittoBroker.builder().withUser("ota").withUser("test").start();
    bus =
        new BusObserver(broker.port(), "test", broker.password("test"), "test-observer", "gw/v1/#");
    agent =
        ServiceProcess.builder(
                "ota-agent",
                Path.of(System.getProperty("ota.app.jar", "target/quarkus-app/quarkus-run.jar")))
            .heap("128m")
            .property("ota.state-dir", work.resolve("state").toString())
            .property("ota.registry.url", registry.url())
            .property("ota.registry.ca-file", registry.caFile().toString())
            .property("ota.registry.retry-initial", "200ms")
            .property("ota.registry.retry-max", "1s")
            .property("ota.trust.keys", work.resolve("keys/release.pub").toString())
            .property("ota.stack.project", project)
            .property("ota.stack.containers-conf", containersConf.toString())
            .property("ota.health-gate.window", "3s")
            .property("ota.health-gate.timeout", "20s")
            .property("ota.health-gate.interval", "250ms")
            .property("ota.health.interval", "1s")
            .property("ota.bus.port", String.valueOf(broker.port()))
            .property("ota.web.token-file", work.resolve("no-token").toString())
            // The host reboot command, as configured on a real gateway (systemctl reboot): here
            // a trace file, so that the test sees it ran and the host does not reboot.
            .property("ota.reboot.command", "/usr/bin/touch," + work.resolve("rebooted"))
            .secret("OTA_BUS_PASSWORD", broker.password("ota"))
            .clearEnvironmentPrefix("OTA_")
            .start();
    agent.awaitReady();
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (agent != null) {
      agent.close();
    }
    if (project != null) {
      // Whatever the agent left running: the test project's containers, network and images.
      String ids =
          TestImages.podman(
              containersConf,
              List.of("ps", "-a", "-q", "--filter", "label=io.podman.compose.project=" + project));
      for (String id : ids.lines().filter(l -> !l.isBlank()).toList()) {
        bestEffort(List.of("rm", "-f", id.strip()));
      }
      bestEffort(List.of("network", "rm", "-f", project + "_default"));
    }
    for (String image : new String[] {image1, image2}) {
      if (image != null) {
        bestEffort(List.of("rmi", "-f", image));
      }
    }
    if (bus != null) {
      bus.close();
    }
    if (broker != null) {
      broker.close();
    }
    if (registry != null) {
      registry.close();
    }
    if (pki != null) {
      pki.close();
    }
  }

  // ---------------------------------------------------------------- scenarios

  @Test
  @Order(1)
  void firstInstallOfV1() throws Exception {
    push("1.0.0", bundle("1.0.0", image1, "/www", signer));
    CommandResult r = deploy("1.0.0");
    assertThat(r.ok()).as(r.reason()).isTrue();
    assertThat(r.result()).containsEntry("version", "1.0.0");
    assertThat(served()).contains("1.0.0");
    assertThat(installedVersion()).isEqualTo("1.0.0");
  }

  @Test
  @Order(2)
  void goodUpdateFromV1ToV2() throws Exception {
    push("2.0.0", bundle("2.0.0", image2, "/www", signer));
    String id = send("deploy", Map.of("repository", BUNDLES, "reference", "2.0.0"));
    CommandResult r = finalReply(id);
    assertThat(r.ok()).as(r.reason()).isTrue();
    assertThat(r.result()).containsEntry("version", "2.0.0").containsEntry("previous", "1.0.0");
    assertThat(served()).contains("2.0.0");
    // progress came before the result, step by step
    assertThat(steps(id))
        .containsSubsequence("downloading", "verifying", "pulling", "applying", "health-gate");
    assertThat(installedVersion()).isEqualTo("2.0.0");
    // The agent's retained status showed the update's steps and ends with its result.
    assertThat(bus.on(Topics.status("ota")))
        .extracting(m -> m.as(Status.class).detail())
        .anySatisfy(
            d -> assertThat(d).containsEntry("command", id).containsEntry("step", "applying"));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() ->
            assertThat(bus.on(Topics.status("ota")).getLast().as(Status.class).detail())
                .containsEntry("lastCommand", id)
                .containsEntry("lastOk", true)
                .containsEntry("bundleVersion", "2.0.0"));
  }

  @Test
  @Order(3)
  void unhealthyV3RollsBackToV2() throws Exception {
    // v3 serves an empty directory: its health check URL answers 404.
    push("3.0.0", bundle("3.0.0", image2, "/empty", signer));
    CommandResult r = deploy("3.0.0");
    assertThat(r.ok()).isFalse();
    assertThat(r.reason())
        .contains("health gate failed for 3.0.0")
        .contains("rolled back to 2.0.0");
    assertThat(r.result())
        .containsEntry("rolledBackTo", "2.0.0")
        .containsEntry("rollbackHealthy", true);
    assertThat(served()).contains("2.0.0");
    assertThat(installedVersion()).isEqualTo("2.0.0");
  }

  @Test
  @Order(4)
  void rejectedBundlesChangeNothing() throws Exception {
    String before = containerId();
    Bundle good = bundle("4.0.0", image1, "/www", signer);
    // tampered: compose changed after signing
    Bundle tampered =
        Bundle.fromFiles(
            good.manifestJson(),
            new String(good.compose(), StandardCharsets.UTF_8)
                .replace("/www", "/www/../www")
                .getBytes(StandardCharsets.UTF_8),
            good.signature(),
            "test");
    push("4.0.0-tampered", tampered);
    push("4.0.0-stranger", bundle("4.0.0", image1, "/www", stranger));
    push("0.9.0", bundle("0.9.0", image1, "/www", signer));
    push("4.0.0-unsigned", good.unsigned());
    pushTraversal("4.0.0-traversal", good);

    assertRejected("4.0.0-tampered", "TAMPERED");
    assertRejected("4.0.0-stranger", "UNTRUSTED_KEY");
    assertRejected("0.9.0", "DOWNGRADE");
    assertRejected("4.0.0-unsigned", "UNSIGNED");
    assertRejected("4.0.0-traversal", "PATH_TRAVERSAL");
    assertThat(containerId()).as("the running container was not touched").isEqualTo(before);
    assertThat(served()).contains("2.0.0");
    assertThat(installedVersion()).isEqualTo("2.0.0");
  }

  @Test
  @Order(5)
  void registryDownRetriesAndChangesNothingThenRollbackToV1Succeeds() throws Exception {
    String before = containerId();
    registry.stop();
    String id = send("deploy", Map.of("repository", BUNDLES, "reference", "1.0.0"));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> steps(id).stream().filter("waiting-for-registry"::equals).count() >= 3);
    assertThat(containerId()).isEqualTo(before);
    assertThat(served()).contains("2.0.0");
    assertThat(finalReplyNow(id)).isEmpty();
    registry.start();
    CommandResult r = finalReply(id);
    // 1.0.0 is older than 2.0.0 but was installed here before: the rollback exception
    assertThat(r.ok()).as(r.reason()).isTrue();
    assertThat(served()).contains("1.0.0");
    assertThat(installedVersion()).isEqualTo("1.0.0");
  }

  @Test
  @Order(6)
  void agentKilledDuringTheHealthGateFinishesTheUpdateOnRestart() throws Exception {
    String id = send("deploy", Map.of("repository", BUNDLES, "reference", "2.0.0"));
    await().atMost(PODMAN_WAIT).until(() -> steps(id).contains("health-gate"));
    agent.kill();
    assertThat(Files.exists(work.resolve("state/journal.json"))).isTrue();
    agent.start();
    agent.awaitReady();
    CommandResult r = finalReply(id);
    assertThat(r.ok()).as(r.reason()).isTrue();
    assertThat(served()).contains("2.0.0");
    assertThat(installedVersion()).isEqualTo("2.0.0");
    assertThat(Files.exists(work.resolve("state/journal.json"))).isFalse();
  }

  @Test
  @Order(7)
  void agentKilledWhileApplyingRollsBackOnRestart() throws Exception {
    push("5.0.0", bundle("5.0.0", image1, "/www", signer));
    String id = send("deploy", Map.of("repository", BUNDLES, "reference", "5.0.0"));
    await().atMost(PODMAN_WAIT).until(() -> steps(id).contains("applying"));
    agent.kill();
    agent.start();
    agent.awaitReady();
    CommandResult r = finalReply(id);
    assertThat(r.ok()).isFalse();
    assertThat(r.reason())
        .contains("the agent stopped while applying 5.0.0")
        .contains("rolled back to 2.0.0");
    assertThat(served()).contains("2.0.0");
    assertThat(installedVersion()).isEqualTo("2.0.0");
  }

  @Test
  @Order(8)
  void restartByCommand() throws Exception {
    String startedBefore = startedAt();
    String id = send("restart", Map.of("service", "web"));
    CommandResult r = finalReply(id);
    assertThat(r.ok()).as(r.reason()).isTrue();
    assertThat(r.result()).containsEntry("restarted", "web");
    assertThat(startedAt()).isNotEqualTo(startedBefore);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(served()).contains("2.0.0"));

    String unknown = send("restart", Map.of("service", "nosuch"));
    CommandResult refused = finalReply(unknown);
    assertThat(refused.ok()).isFalse();
    assertThat(refused.reason()).contains("no container of service 'nosuch'");

    // Without a service: the whole stack.
    String startedBeforeStack = startedAt();
    CommandResult stack = finalReply(send("restart", Map.of()));
    assertThat(stack.ok()).as(stack.reason()).isTrue();
    assertThat(stack.result()).containsEntry("restarted", "stack");
    assertThat(startedAt()).isNotEqualTo(startedBeforeStack);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(served()).contains("2.0.0"));
  }

  @Test
  @Order(10)
  void rebootRunsTheConfiguredHostCommand() throws Exception {
    Path trace = work.resolve("rebooted");
    assertThat(trace).doesNotExist();
    CommandResult r = finalReply(send("reboot", Map.of()));
    assertThat(r.ok()).as(r.reason()).isTrue();
    assertThat(r.result()).containsEntry("rebooting", true);
    assertThat(trace).as("the configured reboot command ran").exists();
  }

  @Test
  @Order(9)
  void gatewayHealthIsPublished() {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> {
          List<BusObserver.Received> reports = bus.on(Topics.status("gateway"));
          assertThat(reports).isNotEmpty();
          Status s = reports.getLast().as(Status.class);
          assertThat(s.detail()).containsKeys("host", "services", "bundle");
          @SuppressWarnings("unchecked")
          Map<String, Object> bundle = (Map<String, Object>) s.detail().get("bundle");
          assertThat(bundle).containsEntry("version", "2.0.0");
          @SuppressWarnings("unchecked")
          Map<String, Object> host = (Map<String, Object>) s.detail().get("host");
          assertThat(((Number) host.get("memoryTotalBytes")).longValue()).isPositive();
          assertThat(((Number) host.get("diskTotalBytes")).longValue()).isPositive();
        });
  }

  // ---------------------------------------------------------------- helpers

  private static void bestEffort(List<String> podmanArgs) {
    try {
      TestImages.podman(containersConf, podmanArgs);
    } catch (Exception e) {
      System.out.println("cleanup: " + e.getMessage());
    }
  }

  private static Bundle bundle(String version, String image, String root, BundleSigner by)
      throws Exception {
    String compose =
        """
        services:
          web:
            image: %s
            command: ["/bin/httpd", "-f", "-p", "8080", "-h", "%s"]
            stop_signal: SIGKILL
            ports:
              - "127.0.0.1:%d:8080"
        """
            .formatted(image, root, webPort);
    BundleManifest manifest =
        new BundleManifest(
            version,
            "0.1.0",
            List.of("web"),
            Map.of("web", "http://127.0.0.1:" + webPort + "/ready"),
            Instant.now());
    return by.sign(Bundle.of(manifest, compose.getBytes(StandardCharsets.UTF_8)));
  }

  private static void push(String tag, Bundle bundle) throws Exception {
    registryClient.pushBundle(BUNDLES, tag, bundle);
  }

  /** A registry manifest whose layer title walks out of the bundle directory. */
  private static void pushTraversal(String tag, Bundle bundle) throws Exception {
    String empty = registryClient.pushBlob(BUNDLES, "{}".getBytes(StandardCharsets.UTF_8));
    StringBuilder layers = new StringBuilder();
    for (Map.Entry<String, byte[]> f : bundle.files().entrySet()) {
      String title = f.getKey().equals(Bundle.COMPOSE) ? "../../compose.yaml" : f.getKey();
      String digest = registryClient.pushBlob(BUNDLES, f.getValue());
      if (!layers.isEmpty()) {
        layers.append(',');
      }
      layers.append(
          """
          {"mediaType":"%s","digest":"%s","size":%d,"annotations":{"org.opencontainers.image.title":"%s"}}\
          """
              .formatted(mediaType(f.getKey()), digest, f.getValue().length, title));
    }
    String manifest =
        """
        {"schemaVersion":2,"mediaType":"%s","artifactType":"%s",
         "config":{"mediaType":"%s","digest":"%s","size":2},"layers":[%s]}\
        """
            .formatted(
                RegistryClient.OCI_MANIFEST,
                RegistryClient.BUNDLE_ARTIFACT_TYPE,
                RegistryClient.EMPTY_CONFIG,
                empty,
                layers);
    registryClient.putManifest(
        BUNDLES, tag, manifest.getBytes(StandardCharsets.UTF_8), RegistryClient.OCI_MANIFEST);
  }

  private static String mediaType(String file) {
    return switch (file) {
      case Bundle.MANIFEST -> RegistryClient.MANIFEST_MEDIA_TYPE;
      case Bundle.COMPOSE -> RegistryClient.COMPOSE_MEDIA_TYPE;
      default -> RegistryClient.SIGNATURE_MEDIA_TYPE;
    };
  }

  private static void assertRejected(String reference, String reason) throws Exception {
    CommandResult r = deploy(reference);
    assertThat(r.ok()).as("deploy of " + reference).isFalse();
    assertThat(r.result()).as(r.reason()).containsEntry("code", reason);
    assertThat(r.reason()).contains("nothing changed");
  }

  private static CommandResult deploy(String reference) throws Exception {
    return finalReply(send("deploy", Map.of("repository", BUNDLES, "reference", reference)));
  }

  private static String send(String verb, Map<String, Object> args) throws Exception {
    String id = verb + "-" + UUID.randomUUID();
    Command c = Command.of(id, "ota", verb, args, System.currentTimeMillis() + 600_000);
    bus.publish(Topics.command("ota", verb), CODEC.encode(c));
    return id;
  }

  private static List<CommandResult> replies(String id) {
    return bus.on(Topics.reply(id)).stream().map(r -> r.as(CommandResult.class)).toList();
  }

  private static List<String> steps(String id) {
    return replies(id).stream()
        .filter(r -> Boolean.FALSE.equals(r.result().get("final")))
        .map(r -> String.valueOf(r.result().get("step")))
        .toList();
  }

  private static Optional<CommandResult> finalReplyNow(String id) {
    return replies(id).stream()
        .filter(r -> !Boolean.FALSE.equals(r.result().get("final")))
        .findFirst();
  }

  private static CommandResult finalReply(String id) {
    return await()
        .atMost(PODMAN_WAIT)
        .until(() -> finalReplyNow(id), Optional::isPresent)
        .orElseThrow();
  }

  private static String served() {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webPort + "/version"))
                  .timeout(Duration.ofSeconds(3))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() + " " + r.body();
    } catch (Exception e) {
      return "no answer: " + e;
    }
  }

  private static String installedVersion() throws Exception {
    String json = Files.readString(work.resolve("state/installed.json"));
    return new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(json)
        .path("current")
        .path("version")
        .asText();
  }

  private static String containerId() throws Exception {
    return TestImages.podman(
            containersConf,
            List.of("ps", "-q", "--filter", "label=io.podman.compose.project=" + project))
        .strip();
  }

  private static String startedAt() throws Exception {
    return TestImages.podman(
            containersConf, List.of("inspect", "--format", "{{.State.StartedAt}}", containerId()))
        .strip();
  }
}
