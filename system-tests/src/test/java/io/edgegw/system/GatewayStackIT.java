package io.edgegw.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgegw.gwctl.Gwctl;
import io.edgegw.testsupport.CloudApplication;
import io.edgegw.testsupport.FreePorts;
import io.edgegw.testsupport.ServiceProcess;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole stack on podman in CI, as a gateway runs it (issue #7's end-to-end test): the images
 * built (local Debian bases, cached), first-boot provisioning, {@code podman-compose up} of
 * compose/gateway.yaml with the demo plant and the TLS cloud stand-in, all four services healthy by
 * their image health checks, telemetry from the simulated plant at the cloud broker, an alarm of
 * the plant's rules at the cloud, a restart command from the cloud ({@code gwctl restart} through
 * uplink and the stack's bus to the host's packaged ota-agent, which restarts the rules container),
 * and a clean {@code down} that leaves no container, volume or network. Prints the timings.
 *
 * <p>Needs root, podman, podman-compose, netavark, aardvark-dns and debootstrap (bin/gateway test
 * installs them), and the services and the ota-agent packaged (the reactor does that first): about
 * 4 minutes with the base images cached, 6 without.
 */
class GatewayStackIT {

  private static final List<String> SERVICES = List.of("bridge", "buffer", "rules", "uplink");
  private static final String GATEWAY = "gw-stack-it";

  @TempDir Path temp;

  /** The settings of the stack under test (compose/gateway.yaml's GW_* variables). */
  private final Map<String, String> env = new HashMap<>();

  @Test
  void dataFlowsAnAlarmFiresAndARestartCommandWorks() throws Exception {
    Path root = Script.root();
    Path secrets = temp.resolve("secrets");
    Path config = temp.resolve("config");
    Files.createDirectories(config);
    Files.writeString(
        config.resolve("devices.yaml"),
        Files.readString(root.resolve("bin/plant-devices.yaml"))
            .replace("host: 127.0.0.1", "host: plant"));
    Files.copy(root.resolve("bin/plant-rules.yaml"), config.resolve("rules.yaml"));
    Script.provision(secrets, "--gateway-id", GATEWAY, "--demo-cloud").assertSucceeded();

    String project = "edgegw-it-" + UUID.randomUUID().toString().substring(0, 8);
    int cloudPort = FreePorts.loopback();
    env.put("CONTAINERS_CONF", root.resolve("podman/containers.conf").toString());
    env.put("GW_SECRETS", secrets.toString());
    env.put("GW_CONFIG", config.toString());
    env.put("GW_STACK_DIR", root.resolve("compose").toString());
    env.put("GW_MOSQUITTO_IMAGE", "localhost/edgegw/mosquitto:bookworm");
    env.put("GW_DB_IMAGE", "localhost/edgegw/postgres:15");
    env.put("GW_BUS_PORT", String.valueOf(FreePorts.loopback()));
    env.put("GW_BRIDGE_PORT", String.valueOf(FreePorts.loopback()));
    env.put("GW_BUFFER_PORT", String.valueOf(FreePorts.loopback()));
    env.put("GW_UPLINK_PORT", String.valueOf(FreePorts.loopback()));
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

    List<String> compose =
        List.of(
            "podman-compose",
            "-p",
            project,
            "-f",
            "compose/gateway.yaml",
            "-f",
            "compose/demo.yaml");
    List<String> volumesBefore = volumes();
    CloudApplication cloud = null;
    ServiceProcess agent = null;
    try {
      start = System.nanoTime();
      run(compose, "up", "-d").assertSucceeded();
      seconds.put("compose_up_s", since(start));
      await("all four services healthy")
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> SERVICES.stream().allMatch(s -> healthy(project, s)));
      seconds.put("startup_s", since(start));

      // The cloud side, with a client certificate of the demo CA (the gateway's own): everything
      // the gateway sends. Connected before the tank reaches its alarm level (about 70 s after the
      // plant starts); what the uplink sent before is in its outbox, not lost, but a clean session
      // sees only what arrives while it is connected.
      await("the cloud stand-in healthy")
          .atMost(Duration.ofMinutes(1))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> healthy(project, "cloud"));
      cloud =
          CloudApplication.connect(
              secrets.resolve("demo-cloud/ca.crt"),
              secrets.resolve("uplink.crt"),
              secrets.resolve("uplink.key"),
              "stack-it-cloud",
              cloudPort,
              "edgegw/" + GATEWAY + "/#");
      CloudApplication app = cloud;
      String telemetry =
          await("telemetry of the simulated plant at the cloud")
              .atMost(Duration.ofMinutes(2))
              .pollInterval(Duration.ofMillis(500))
              .until(() -> payloadOn(app, "/telemetry", "\"q\":\"GOOD\""), p -> p != null);
      seconds.put("first_cloud_telemetry_s", since(start));
      assertThat(telemetry)
          .contains("\"gateway\":\"" + GATEWAY + "\"")
          .containsPattern("\"device\":\"(boiler|tank|meter)\"");

      // Local logic: the tank fills at 0.6 %/s from 40 %; above 80 % with its inlet open the rules
      // raise tank-filling-high, and the event travels rules -> buffer -> uplink -> cloud.
      String alarm =
          await("an alarm of the plant's rules at the cloud")
              .atMost(Duration.ofMinutes(4))
              .pollInterval(Duration.ofSeconds(1))
              .until(() -> payloadOn(app, "/alarm", "\"alarmId\":\"tank-"), p -> p != null);
      seconds.put("first_cloud_alarm_s", since(start));
      assertThat(alarm).contains("\"gateway\":\"" + GATEWAY + "\"").contains("\"transition\"");

      // A restart command, as the handover's "restart a gateway remotely": gwctl -> the cloud
      // broker -> uplink (in its container) -> the stack's bus -> the host's ota-agent -> podman.
      String rules = project + "_rules_1";
      String startedBefore = startedAt(rules);
      agent = startAgent(root, secrets, project);
      Run restart =
          gwctl(
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
      assertThat(startedAt(rules)).as("rules container started again").isNotEqualTo(startedBefore);
      await("rules healthy after its restart")
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> healthy(project, "rules"));
      seconds.put("restart_s", since(start));
    } finally {
      if (agent != null) {
        agent.close();
      }
      if (cloud != null) {
        cloud.close();
      }
      start = System.nanoTime();
      Script.Result down = run(compose, "down");
      seconds.put("compose_down_s", since(start));
      List<String> leftovers = new ArrayList<>();
      for (String kind : List.of("volume", "network")) {
        for (String name :
            kind.equals("volume")
                ? List.of("db-data", "mosquitto-data")
                : List.of("ot", "bus", "it", "mgmt")) {
          Script.Result removed =
              Script.run(
                  List.of("podman", kind, "rm", project + "_" + name),
                  root,
                  env,
                  Duration.ofSeconds(30));
          if (removed.exitCode() != 0) {
            leftovers.add(kind + " " + project + "_" + name + ": " + removed.stderr().strip());
          }
        }
      }
      List<String> volumesAfter = new ArrayList<>(volumes());
      volumesAfter.removeAll(volumesBefore);
      if (!volumesAfter.isEmpty()) {
        leftovers.add("volumes " + volumesAfter);
      }
      System.out.println("stack timings " + seconds + "\n" + built.stdout());
      down.assertSucceeded();
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
          .as("containers left after down")
          .isBlank();
    }
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

  /** When a container last started, as podman reports it. */
  private String startedAt(String container) {
    return Script.run(
            List.of("podman", "inspect", "--format", "{{.State.StartedAt}}", container),
            Script.root(),
            env,
            Duration.ofSeconds(30))
        .assertSucceeded()
        .stdout()
        .strip();
  }

  /**
   * The packaged ota-agent as the host runs it, outside the stack: on the stack's bus with its
   * provisioned password, managing the Compose project under test. Its registry and trust anchor
   * are never used here (no update is deployed), but the agent wants them.
   */
  private ServiceProcess startAgent(Path root, Path secrets, String project) throws IOException {
    Path work = temp.resolve("ota");
    Files.createDirectories(work);
    Run keys =
        gwctl("keys", "generate", "--out", work.resolve("keys").toString(), "--name", "release");
    assertThat(keys.exit()).as(keys.err()).isZero();
    ServiceProcess agent =
        ServiceProcess.builder(
                "ota-agent",
                Path.of(
                    System.getProperty(
                        "ota.app.jar", "../ota-agent/target/quarkus-app/quarkus-run.jar")))
            .property("ota.state-dir", work.resolve("state").toString())
            .property("ota.registry.url", "https://127.0.0.1:1")
            .property("ota.trust.keys", work.resolve("keys/release.pub").toString())
            .property("ota.stack.project", project)
            .property(
                "ota.stack.containers-conf", root.resolve("podman/containers.conf").toString())
            .property("ota.bus.port", env.get("GW_BUS_PORT"))
            .property("ota.web.token-file", work.resolve("no-token").toString())
            .secret(
                "OTA_BUS_PASSWORD", Files.readString(secrets.resolve("bus-ota.password")).strip())
            .start();
    agent.awaitReady(Duration.ofMinutes(1));
    return agent;
  }

  record Run(int exit, String out, String err) {}

  /** gwctl in-process, through its picocli entry. */
  private static Run gwctl(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Gwctl.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private Script.Result run(List<String> compose, String... command) {
    List<String> full = new ArrayList<>(compose);
    full.addAll(List.of(command));
    return Script.run(full, Script.root(), env, Duration.ofMinutes(5));
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
