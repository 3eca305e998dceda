package io.edgegw.ota.handover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgegw.bundle.Bundle;
import io.edgegw.bundle.BundleManifest;
import io.edgegw.bundle.BundleSigner;
import io.edgegw.bundle.Keys;
import io.edgegw.bundle.RegistryClient;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Topics;
import io.edgegw.gwctl.Gwctl;
import io.edgegw.ota.podman.TestImages;
import io.edgegw.ota.podman.TlsRegistry;
import io.edgegw.testsupport.BusObserver;
import io.edgegw.testsupport.CloudApplication;
import io.edgegw.testsupport.FreePorts;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.TestPki;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The handover path end to end, as a customer's operator uses it: {@code gwctl} (in-process, its
 * picocli entry) -> a TLS cloud broker (Mosquitto, mTLS with {@link TestPki} certificates) -> the
 * packaged uplink-service -> the local Mosquitto with the production ACL of {@code
 * podman/provision.sh} -> the packaged ota-agent -> podman, a real TLS docker-registry, and
 * progress, results and the gateway health coming back the same way. One stack serves the checks,
 * in order: a deploy, a refused command, a restart, the status.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class HandoverProcessIT {
  private static final Duration PODMAN_WAIT = Duration.ofSeconds(120);
  private static final PayloadCodec CODEC = new PayloadCodec();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GATEWAY = "gw-handover";
  private static final String PREFIX = "edgegw";
  private static final String BUNDLES = "edgegw/bundle";

  @TempDir static Path work;
  static Path containersConf;
  static TestPki pki;
  static TlsRegistry registry;
  static RegistryClient registryClient;
  static PostgresServer pg;
  static MosquittoBroker local;
  static MosquittoBroker cloud;
  static BusObserver bus;
  static CloudApplication cloudApp;
  static ServiceProcess agent;
  static ServiceProcess uplink;
  static BundleSigner signer;
  static String project;
  static String image1;
  static String image2;
  static int webPort;
  static List<String> brokerArgs;
  static final HttpClient http = HttpClient.newHttpClient();

  record Run(int exit, String out, String err) {
    String all() {
      return "exit " + exit + "\n" + out + err;
    }
  }

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
    signer = new BundleSigner(Keys.generate(work.resolve("keys"), "release"));
    project = "handover" + UUID.randomUUID().toString().substring(0, 8);
    webPort = FreePorts.loopback();

    pg = PostgresServer.start();
    String store = outboxDatabase(pg);
    local =
        MosquittoBroker.builder()
            .withUser("uplink")
            .withUser("ota")
            .withUser("operator")
            .aclFile(productionAcl())
            .start();
    TestPki.Issued server = pki.server("127.0.0.1");
    cloud =
        MosquittoBroker.builder()
            .tls(pki.ca().certFile(), server.certFile(), server.keyFile(), true)
            .start();
    bus =
        new BusObserver(
            local.port(), "operator", local.password("operator"), "handover-observer", "gw/v1/#");
    cloudApp =
        CloudApplication.connect(
            pki,
            pki.client("cloud-app"),
            "handover-cloud-app",
            cloud.port(),
            PREFIX + "/" + GATEWAY + "/#",
            false);

    agent =
        ServiceProcess.builder(
                "ota-agent",
                Path.of(System.getProperty("ota.app.jar", "target/quarkus-app/quarkus-run.jar")))
            .heap("128m")
            .property("ota.state-dir", work.resolve("state").toString())
            .property("ota.registry.url", registry.url())
            .property("ota.registry.ca-file", registry.caFile().toString())
            .property("ota.trust.keys", work.resolve("keys/release.pub").toString())
            .property("ota.stack.project", project)
            .property("ota.stack.containers-conf", containersConf.toString())
            .property("ota.health-gate.window", "2s")
            .property("ota.health-gate.timeout", "20s")
            .property("ota.health-gate.interval", "250ms")
            .property("ota.health.interval", "1s")
            // Never the host's reboot: a trace file, which must not appear (the command is
            // refused).
            .property("ota.reboot.command", "/usr/bin/touch," + work.resolve("rebooted"))
            .property("ota.bus.port", String.valueOf(local.port()))
            .property("ota.web.token-file", work.resolve("no-token").toString())
            .secret("OTA_BUS_PASSWORD", local.password("ota"))
            .clearEnvironmentPrefix("OTA_")
            .start();
    TestPki.Issued gatewayCert = pki.client(GATEWAY);
    uplink =
        ServiceProcess.builder("uplink-service", appJar("uplink.app.jar"))
            .heap("128m")
            .property("uplink.gateway-id", GATEWAY)
            .property("uplink.cloud.host", "127.0.0.1")
            .property("uplink.cloud.port", String.valueOf(cloud.port()))
            .property("uplink.cloud.tls.ca-file", pki.ca().certFile().toString())
            .property("uplink.cloud.tls.cert-file", gatewayCert.certFile().toString())
            .property("uplink.cloud.tls.key-file", gatewayCert.keyFile().toString())
            .property("uplink.cloud.reconnect.initial-delay", "200ms")
            .property("uplink.cloud.reconnect.max-delay", "1s")
            .property("uplink.status.interval", "1s")
            .property("uplink.bus.port", String.valueOf(local.port()))
            .property("quarkus.datasource.jdbc.url", pg.jdbcUrl(store))
            .property("quarkus.datasource.username", pg.username())
            .secret("QUARKUS_DATASOURCE_PASSWORD", pg.password())
            .secret("UPLINK_BUS_PASSWORD", local.password("uplink"))
            .clearEnvironmentPrefix("UPLINK_")
            .start();
    TestPki.Issued operator = pki.client("gwctl-operator");
    brokerArgs =
        List.of(
            "--broker", "ssl://127.0.0.1:" + cloud.port(),
            "--ca", pki.ca().certFile().toString(),
            "--cert", operator.certFile().toString(),
            "--key", operator.keyFile().toString(),
            "--prefix", PREFIX);
    agent.awaitReady();
    uplink.awaitReady();
    // uplink's retained birth status on the cloud: the gateway is known there
    await("the gateway's status on the cloud broker")
        .atMost(Duration.ofSeconds(30))
        .until(() -> !cloudApp.received().isEmpty());

    // The gateway as delivered: v1, installed on the local bus (not the path under test).
    push("1.0.0", bundle("1.0.0", image1));
    String id = "commissioning-" + UUID.randomUUID();
    bus.publish(
        Topics.command("ota", "deploy"),
        CODEC.encode(
            Command.of(
                id,
                "ota",
                "deploy",
                Map.of("repository", BUNDLES, "reference", "1.0.0"),
                System.currentTimeMillis() + 600_000)));
    CommandResult installed =
        await().atMost(PODMAN_WAIT).until(() -> finalReply(id), Optional::isPresent).orElseThrow();
    assertThat(installed.ok()).as(installed.reason()).isTrue();
    assertThat(served()).contains("1.0.0");
  }

  @AfterAll
  static void tearDown() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {uplink, agent}) {
      closeQuietly(c);
    }
    if (project != null && containersConf != null) {
      String ids = "";
      try {
        ids =
            TestImages.podman(
                containersConf,
                List.of(
                    "ps", "-a", "-q", "--filter", "label=io.podman.compose.project=" + project));
      } catch (Exception e) {
        System.out.println("cleanup: " + e.getMessage());
      }
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
    for (AutoCloseable c : new AutoCloseable[] {cloudApp, bus, cloud, local, pg, registry, pki}) {
      closeQuietly(c);
    }
  }

  // ---------------------------------------------------------------- the operator's tasks

  @Test
  @Order(1)
  void deployOfASignedV2ReachesTheAgentThroughUplinkWithProgressAndRunsV2() throws Exception {
    push("2.0.0", bundle("2.0.0", image2));

    Run run =
        gwctl(
            "deploy",
            "--gateway",
            GATEWAY,
            "--repo",
            BUNDLES,
            "--ref",
            "2.0.0",
            "--timeout",
            "PT3M");

    assertThat(run.exit()).as(run.all()).isZero();
    List<String> progress = progressSteps(run.out());
    assertThat(progress).as(run.out()).isNotEmpty();
    assertThat(progress)
        .as(run.out())
        .containsSubsequence("downloading", "verifying", "pulling", "applying", "health-gate");
    assertThat(run.out())
        .contains("deploy {")
        .containsPattern(GATEWAY + " OK: \\{.*version=2\\.0\\.0")
        .contains("previous=1.0.0")
        .contains("deploy: 1 ok, 0 failed, 0 skipped");
    // it came through uplink: the agent's command on the local bus is gwctl's
    assertThat(bus.on(Topics.command("ota", "deploy")))
        .extracting(r -> r.as(Command.class).id())
        .anyMatch(cmdId -> cmdId.startsWith("gwctl-"));
    // podman runs v2: the container of the compose project is from image2 and serves 2.0.0
    String container = containerId();
    assertThat(podman("inspect", "--format", "{{.State.Running}} {{.ImageName}}", container))
        .isEqualTo("true " + image2);
    assertThat(served()).contains("2.0.0");
  }

  @Test
  @Order(2)
  void aCommandUplinkDoesNotAllowIsRefusedWithTheReasonAndNeverReachesTheAgent() {
    Run run = gwctl("restart", "--gateway", GATEWAY, "--host", "--timeout", "PT30S");

    assertThat(run.exit()).as(run.all()).isEqualTo(Gwctl.FLEET_FAILED);
    assertThat(run.out())
        .as(run.all())
        .contains(GATEWAY + " FAILED: unknown target or verb 'ota/reboot'; this gateway relays")
        .contains("reboot {} to 1 gateway(s)")
        .contains("reboot: 0 ok, 1 failed, 0 skipped");
    assertThat(run.err()).startsWith("gwctl: reboot: 0 ok, 1 failed").hasLineCount(1);
    assertThat(bus.on(Topics.command("ota", "reboot"))).as("relayed to the local bus").isEmpty();
    assertThat(work.resolve("rebooted")).as("the agent's reboot command ran").doesNotExist();
  }

  @Test
  @Order(3)
  void restartOfOneServiceGoesTheSameWay() throws Exception {
    String container = containerId();
    String startedBefore = podman("inspect", "--format", "{{.State.StartedAt}}", container);

    Run run = gwctl("restart", "--gateway", GATEWAY, "--service", "web", "--timeout", "PT1M");

    assertThat(run.exit()).as(run.all()).isZero();
    assertThat(run.out())
        .contains(GATEWAY + " OK: {restarted=web}")
        .contains("restart: 1 ok, 0 failed, 0 skipped");
    assertThat(podman("inspect", "--format", "{{.State.StartedAt}}", containerId()))
        .isNotEqualTo(startedBefore);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(served()).contains("2.0.0"));
    // The refused reboot of check 2 went to the cloud before this restart: had uplink relayed it,
    // it would be on the bus before the restart.
    assertThat(bus.on(Topics.command("ota", "restart"))).isNotEmpty();
    assertThat(bus.on(Topics.command("ota", "reboot"))).isEmpty();
    assertThat(work.resolve("rebooted")).doesNotExist();
  }

  @Test
  @Order(4)
  void statusShowsTheGatewayHealthRelayedByUplinkWithTheInstalledBundle() {
    // The cloud's retained health topic holds the agent's aggregate as the agent sent it.
    await("v2 in the gateway health on the cloud")
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> {
          JsonNode health = cloudHealth().orElseThrow();
          assertThat(health.path("component").asText()).isEqualTo("gateway");
          JsonNode detail = health.path("detail");
          assertThat(detail.path("bundle").path("version").asText()).isEqualTo("2.0.0");
          assertThat(detail.path("bundle").path("digest").asText()).startsWith("sha256:");
          assertThat(detail.path("services").path("uplink").path("state").asText())
              .isEqualTo("ONLINE");
          assertThat(detail.path("host").path("memoryTotalBytes").asLong()).isPositive();
        });

    // What the operator sees: gwctl status reads the retained status and health.
    await("gwctl status with the installed bundle")
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> {
          Run run = gwctl("status", "--gateway", GATEWAY);
          assertThat(run.exit()).as(run.all()).isZero();
          assertThat(run.out())
              .as(run.all())
              .containsPattern(GATEWAY + "  ONLINE  since .*  bundleVersion=2\\.0\\.0")
              .contains("bundleDigest=sha256:")
              .contains("1 gateway(s), 0 unknown");
        });
  }

  // ---------------------------------------------------------------- helpers

  /** Runs gwctl in-process against the cloud broker, as an operator would from a shell. */
  private static Run gwctl(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(brokerArgs);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Gwctl.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(all.toArray(String[]::new));
    Run run = new Run(exit, out.toString(), err.toString());
    System.out.println("$ gwctl " + String.join(" ", args) + "\n" + run.all());
    return run;
  }

  /** The steps of gwctl's progress lines ({@code " <gateway> ... <step>"}), in order. */
  private static List<String> progressSteps(String out) {
    Matcher m =
        Pattern.compile("(?m)^  " + Pattern.quote(GATEWAY) + " \\.\\.\\. (\\S+)$").matcher(out);
    List<String> steps = new ArrayList<>();
    while (m.find()) {
      steps.add(m.group(1));
    }
    return steps;
  }

  private static Optional<JsonNode> cloudHealth() throws Exception {
    String topic = PREFIX + "/" + GATEWAY + "/health";
    List<CloudApplication.Received> on =
        cloudApp.received().stream().filter(r -> r.topic().equals(topic)).toList();
    return on.isEmpty() ? Optional.empty() : Optional.of(JSON.readTree(on.getLast().payload()));
  }

  private static Optional<CommandResult> finalReply(String id) {
    return bus.on(Topics.reply(id)).stream()
        .map(r -> r.as(CommandResult.class))
        .filter(r -> !Boolean.FALSE.equals(r.result().get("final")))
        .findFirst();
  }

  /** A database for uplink's outbox reads and positions: buffer-service's Flyway migrations. */
  private static String outboxDatabase(PostgresServer pg) throws Exception {
    String name = "handover";
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(pg.jdbcUrl(name));
    ds.setUser(pg.username());
    ds.setPassword(pg.password());
    Path migrations =
        Path.of(
            System.getProperty(
                "buffer.migrations", "../buffer-service/src/main/resources/db/migration"));
    assertThat(migrations).as("buffer-service's Flyway migrations").isDirectory();
    Flyway.configure()
        .dataSource(ds)
        .locations("filesystem:" + migrations.toAbsolutePath())
        .load()
        .migrate();
    return name;
  }

  /** The local bus ACL that gateway provisioning writes (podman/provision.sh), as it is. */
  private static String productionAcl() throws Exception {
    Path provision = containersConf.resolveSibling("provision.sh");
    String script = Files.readString(provision);
    String start = "cat >mosquitto.acl <<'ACL'\n";
    int from = script.indexOf(start);
    int to = script.indexOf("\nACL\n", from);
    assertThat(from).as("the ACL in " + provision).isPositive();
    assertThat(to).as("the end of the ACL in " + provision).isPositive();
    String acl = script.substring(from + start.length(), to + 1);
    assertThat(acl).contains("user uplink", "user ota");
    return acl;
  }

  private static Path appJar(String property) {
    String jar = System.getProperty(property);
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException(
          property
              + " is "
              + jar
              + "; run with failsafe after packaging (mvn verify -pl ota-agent -am)");
    }
    return Path.of(jar);
  }

  private static Bundle bundle(String version, String image) throws Exception {
    String compose =
        """
        services:
          web:
            image: %s
            command: ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]
            stop_signal: SIGKILL
            ports:
              - "127.0.0.1:%d:8080"
        """
            .formatted(image, webPort);
    BundleManifest manifest =
        new BundleManifest(
            version,
            "0.1.0",
            List.of("web"),
            Map.of("web", "http://127.0.0.1:" + webPort + "/ready"),
            Instant.now());
    return signer.sign(Bundle.of(manifest, compose.getBytes(StandardCharsets.UTF_8)));
  }

  private static void push(String tag, Bundle bundle) throws Exception {
    registryClient.pushBundle(BUNDLES, tag, bundle);
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

  private static String containerId() throws Exception {
    String ids = podman("ps", "-q", "--filter", "label=io.podman.compose.project=" + project);
    assertThat(ids.lines().toList()).as("running containers of " + project).hasSize(1);
    return ids;
  }

  private static String podman(String... args) throws Exception {
    return TestImages.podman(containersConf, List.of(args)).strip();
  }

  private static void bestEffort(List<String> podmanArgs) {
    try {
      TestImages.podman(containersConf, podmanArgs);
    } catch (Exception e) {
      System.out.println("cleanup: " + e.getMessage());
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      System.out.println("cleanup: " + e);
    }
  }
}
