package io.edgegw.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgegw.testsupport.CloudApplication;
import io.edgegw.testsupport.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole stack on podman in CI, brought up exactly as the README's run command does ({@code
 * bin/gateway up} = {@code podman/stack.sh up}; issue #7's end-to-end test): the images built
 * (local Debian bases, cached), first-boot provisioning, the release (a local TLS registry, the
 * images pushed, the bundle built, signed and pushed) and the host's packaged ota-agent installing
 * that signed bundle on its first boot, health gate included; then every service healthy by its
 * image health check and running its image pinned by digest from the registry, telemetry from the
 * simulated plant at the TLS cloud stand-in, an alarm of the plant's rules at the cloud, a restart
 * command from the cloud ({@code gwctl restart} through uplink and the stack's bus to the agent,
 * which restarts the rules container), and a clean {@code purge} that leaves no container, volume,
 * network, agent, registry or registry image behind. Prints the timings.
 *
 * <p>Needs root, podman, podman-compose, netavark, aardvark-dns, debootstrap, docker-registry and
 * curl (bin/gateway test installs them), and the services, gwctl and the ota-agent packaged (the
 * reactor does that first): about 4 minutes with the base images cached, 6 without.
 */
class GatewayStackIT {

  private static final List<String> SERVICES = List.of("bridge", "buffer", "rules", "uplink");
  private static final String GATEWAY = "gw-stack-it";

  @TempDir Path temp;

  /** The settings of the stack under test (compose/gateway.yaml's GW_* variables). */
  private final Map<String, String> env = new HashMap<>();

  @Test
  void upInstallsTheSignedBundleThroughTheAgentDataFlowsAnAlarmFiresAndARestartWorks()
      throws Exception {
    Path root = Script.root();
    Path run = temp.resolve("run");
    Path secrets = run.resolve("secrets");
    String project = "edgegw-it-" + UUID.randomUUID().toString().substring(0, 8);
    int cloudPort = FreePorts.loopback();
    env.put("CONTAINERS_CONF", root.resolve("podman/containers.conf").toString());
    env.put("GW_PROJECT", project);
    env.put("GW_RUN_DIR", run.toString());
    env.put("GW_RELEASE_DIR", temp.resolve("release").toString());
    env.put("GW_GATEWAY_ID", GATEWAY);
    env.put("GW_BUS_PORT", String.valueOf(FreePorts.loopback()));
    env.put("GW_BRIDGE_PORT", String.valueOf(FreePorts.loopback()));
    env.put("GW_BUFFER_PORT", String.valueOf(FreePorts.loopback()));
    env.put("GW_UPLINK_PORT", String.valueOf(FreePorts.loopback()));
    env.put("GW_OTA_PORT", String.valueOf(FreePorts.loopback()));
    env.put("GW_REGISTRY_PORT", String.valueOf(FreePorts.loopback()));
    env.put("GW_DEMO_CLOUD_PORT", String.valueOf(cloudPort));
    env.put(
        "GW_PLANT_CLASSPATH",
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    env.put("JAVA_HOME", System.getProperty("java.home"));
    Map<String, Double> seconds = new LinkedHashMap<>();

    long start = System.nanoTime();
    Script.run(
            List.of(root.resolve("podman/base-images.sh").toString()),
            root,
            env,
            Duration.ofMinutes(10))
        .assertSucceeded();
    seconds.put("base_images_s", since(start));
    start = System.nanoTime();
    Script.Result built =
        Script.run(
                List.of(
                    root.resolve("podman/build-images.sh").toString(),
                    "--local-base",
                    "--skip-package"),
                root,
                env,
                Duration.ofMinutes(10))
            .assertSucceeded();
    seconds.put("images_s", since(start));
    // The service images run as a non-root user and carry their own health check.
    String version =
        Files.readString(root.resolve("pom.xml")).split("<version>", 2)[1].split("<")[0];
    for (String service : SERVICES) {
      String image = "localhost/edgegw/" + service + ":" + version;
      assertThat(inspectImage(image, "{{.Config.User}}"))
          .as(image + " user")
          .isEqualTo("10001:10001");
      assertThat(inspectImage(image, "{{.Config.Healthcheck}}"))
          .as(image + " HEALTHCHECK")
          .contains("/opt/app/ready");
    }

    List<String> volumesBefore = volumes();
    CloudApplication cloud = null;
    try {
      // `up` as the README runs it (bin/gateway up = podman/stack.sh up): provisioning, the
      // release (local TLS registry, images, the bundle built, signed and pushed), and the host's
      // ota-agent installing that bundle on its first boot, health gate included.
      long upStart = System.nanoTime();
      CompletableFuture<Script.Result> up =
          CompletableFuture.supplyAsync(() ->
              Script.run(
                  List.of(root.resolve("podman/stack.sh").toString(), "up"),
                  root,
                  env,
                  Duration.ofMinutes(12)));
      // The cloud side, with a client certificate of the demo CA (the gateway's own), connected as
      // soon as the agent has started the cloud stand-in: before the tank reaches its alarm level
      // (about 70 s after the plant starts). A clean session sees only what arrives while it is
      // connected.
      await("the cloud stand-in started by the agent")
          .atMost(Duration.ofMinutes(8))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> up.isDone() || healthy(project, "cloud"));
      assertThat(healthy(project, "cloud")).as(describe(up)).isTrue();
      cloud =
          CloudApplication.connect(
              secrets.resolve("demo-cloud/ca.crt"),
              secrets.resolve("uplink.crt"),
              secrets.resolve("uplink.key"),
              "stack-it-cloud",
              cloudPort,
              "edgegw/" + GATEWAY + "/#");
      Script.Result upResult = up.get(12, TimeUnit.MINUTES);
      seconds.put("up_s", since(upStart));
      upResult.assertSucceeded();
      assertThat(upResult.stderr()).contains("installed and health-gated");
      assertThat(SERVICES).allMatch(service -> healthy(project, service));
      // What runs is the bundle: every image pinned by digest in the release's registry.
      String registry = "127.0.0.1:" + env.get("GW_REGISTRY_PORT") + "/edgegw/";
      for (String service : SERVICES) {
        assertThat(inspect(project + "_" + service + "_1", "{{.ImageName}}"))
            .as(service + "'s image")
            .startsWith(registry)
            .contains("@sha256:");
      }
      assertThat(Files.readString(run.resolve("ota/installed.json")))
          .contains("\"commandId\" : \"first-boot-");
      // The runtime diagnostics of the security checklist (docs/security.md) on the running stack:
      // the items this host can show (LUKS, SSH, forwarding and vendor services depend on the
      // host).
      String checks =
          Script.run(
                  List.of(
                      root.resolve("podman/check-host.sh").toString(), secrets.toString(), project),
                  root,
                  env,
                  Duration.ofMinutes(1))
              .stdout();
      assertThat(checks)
          .containsPattern("PASS +secrets ")
          .containsPattern("PASS +ot/it separation ")
          .containsPattern("PASS +bus internal ")
          .containsPattern("PASS +bus: no anonymous ");

      CloudApplication app = cloud;
      String telemetry =
          await("telemetry of the simulated plant at the cloud")
              .atMost(Duration.ofMinutes(2))
              .pollInterval(Duration.ofMillis(500))
              .until(() -> payloadOn(app, "/telemetry", "\"q\":\"GOOD\""), p -> p != null);
      seconds.put("first_cloud_telemetry_s", since(upStart));
      assertThat(telemetry)
          .contains("\"gateway\":\"" + GATEWAY + "\"")
          .containsPattern("\"device\":\"(boiler|tank|meter)\"");

      // Local logic: the tank fills at 0.6 %/s from 40 %; above 80 % with its inlet open the rules
      // raise tank-filling-high (above 90 %, tank-high), and the event travels rules -> buffer ->
      // uplink -> cloud.
      String alarm =
          await("an alarm of the plant's rules at the cloud")
              .atMost(Duration.ofMinutes(4))
              .pollInterval(Duration.ofSeconds(1))
              .until(() -> payloadOn(app, "/alarm", "\"alarmId\":\"tank-"), p -> p != null);
      seconds.put("first_cloud_alarm_s", since(upStart));
      assertThat(alarm).contains("\"gateway\":\"" + GATEWAY + "\"").contains("\"transition\"");

      // A restart command, as the handover's "restart a gateway remotely": gwctl -> the cloud
      // broker -> uplink (in its container) -> the stack's bus -> the host's ota-agent that `up`
      // started -> podman.
      String rules = project + "_rules_1";
      String startedBefore = inspect(rules, "{{.State.StartedAt}}");
      start = System.nanoTime();
      GwctlRun restart =
          GwctlRun.of(
              "restart",
              "--gateway",
              GATEWAY,
              "--service",
              "rules",
              "--timeout",
              "PT90S",
              "--broker",
              "ssl://127.0.0.1:" + cloudPort,
              "--ca",
              secrets.resolve("demo-cloud/ca.crt").toString(),
              "--cert",
              secrets.resolve("uplink.crt").toString(),
              "--key",
              secrets.resolve("uplink.key").toString());
      assertThat(restart.exit()).as(restart.out() + restart.err()).isZero();
      assertThat(inspect(rules, "{{.State.StartedAt}}"))
          .as("rules container started again")
          .isNotEqualTo(startedBefore);
      await("rules healthy after its restart")
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> healthy(project, "rules"));
      seconds.put("restart_s", since(start));
    } finally {
      if (cloud != null) {
        cloud.close();
      }
      start = System.nanoTime();
      Script.Result purge =
          Script.run(
              List.of(root.resolve("podman/stack.sh").toString(), "purge"),
              root,
              env,
              Duration.ofMinutes(5));
      seconds.put("purge_s", since(start));
      System.out.println("stack timings " + seconds + "\n" + built.stdout());
      purge.assertSucceeded();
      List<String> leftovers = new ArrayList<>();
      List<String> volumesAfter = new ArrayList<>(volumes());
      volumesAfter.removeAll(volumesBefore);
      if (!volumesAfter.isEmpty()) {
        leftovers.add("volumes " + volumesAfter);
      }
      Script.run(
              List.of("podman", "network", "ls", "--format", "{{.Name}}"),
              root,
              env,
              Duration.ofSeconds(30))
          .stdout()
          .lines()
          .filter(n -> n.startsWith(project + "_"))
          .forEach(n -> leftovers.add("network " + n));
      // The names the release tagged for the registry, and those the agent's pulls by digest added
      // (on the same images, where `podman images` does not list them).
      String registry = "127.0.0.1:" + env.get("GW_REGISTRY_PORT") + "/";
      Script.run(
              List.of(
                  "bash",
                  "-c",
                  "podman images -q | sort -u | xargs -r podman image inspect --format"
                      + " '{{range .RepoTags}}{{println .}}{{end}}{{range .RepoDigests}}{{println"
                      + " .}}{{end}}'"),
              root,
              env,
              Duration.ofSeconds(30))
          .stdout()
          .lines()
          .filter(r -> r.startsWith(registry))
          .forEach(r -> leftovers.add("image name " + r));
      if (Files.exists(run.resolve("ota-agent.pid"))) {
        leftovers.add("the agent's pid file");
      }
      if (Files.exists(temp.resolve("release/registry/pid"))) {
        leftovers.add("the registry's pid file");
      }
      assertThat(leftovers).as("clean teardown").isEmpty();
      assertThat(
              Script.run(
                      List.of(
                          "podman",
                          "ps",
                          "-aq",
                          "--filter",
                          "label=io.podman.compose.project=" + project),
                      root,
                      env,
                      Duration.ofSeconds(30))
                  .stdout())
          .as("containers left after purge")
          .isBlank();
    }
  }

  private static String describe(CompletableFuture<Script.Result> up) {
    if (!up.isDone()) {
      return "up still running";
    }
    Script.Result r = up.join();
    return "up ended with " + r.exitCode() + ":\n" + r.stderr();
  }

  /**
   * The newest payload on a topic ending in {@code suffix} that matches {@code pattern}, or null.
   */
  private static String payloadOn(CloudApplication app, String suffix, String pattern) {
    List<CloudApplication.Received> received = app.received();
    for (int i = received.size() - 1; i >= 0; i--) {
      CloudApplication.Received r = received.get(i);
      if (r.topic().endsWith(suffix)) {
        String text = decode(r);
        if (java.util.regex.Pattern.compile(pattern).matcher(text).find()) {
          return text;
        }
      }
    }
    return null;
  }

  /** A cloud message's JSON: uplink gzips backfill payloads (application/json+gzip). */
  private static String decode(CloudApplication.Received r) {
    try {
      byte[] body =
          "application/json+gzip".equals(r.contentType())
              ? new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(r.payload()))
                  .readAllBytes()
              : r.payload();
      return new String(body, java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A podman image inspect field. */
  private String inspectImage(String image, String format) {
    return Script.run(
            List.of("podman", "image", "inspect", "--format", format, image),
            Script.root(),
            env,
            Duration.ofSeconds(30))
        .assertSucceeded()
        .stdout()
        .strip();
  }

  /** A podman inspect field of a container. */
  private String inspect(String container, String format) {
    return Script.run(
            List.of("podman", "inspect", "--format", format, container),
            Script.root(),
            env,
            Duration.ofSeconds(30))
        .assertSucceeded()
        .stdout()
        .strip();
  }

  /** The names of all podman volumes on this host. */
  private List<String> volumes() {
    return Script.run(
            List.of("podman", "volume", "ls", "-q"), Script.root(), env, Duration.ofSeconds(30))
        .assertSucceeded()
        .stdout()
        .lines()
        .toList();
  }

  /** The service's image health check (podman runs it; without systemd it has no timer). */
  private static boolean healthy(String project, String service) {
    return Script.run(
                List.of("podman", "healthcheck", "run", project + "_" + service + "_1"),
                Script.root(),
                Map.of(
                    "CONTAINERS_CONF", Script.root().resolve("podman/containers.conf").toString()),
                Duration.ofSeconds(30))
            .exitCode()
        == 0;
  }

  private static double since(long start) {
    return Math.round((System.nanoTime() - start) / 1e8) / 10.0;
  }
}
