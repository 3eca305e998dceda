package io.edgegw.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole stack on podman, as a gateway runs it: the images built (local Debian bases, cached),
 * first-boot provisioning, {@code podman-compose up} of compose/gateway.yaml with the demo plant
 * and the TLS cloud stand-in, all four services healthy by their image health checks, telemetry
 * from the simulated plant arriving at the cloud broker, and a clean {@code down}. Prints the
 * timings.
 *
 * <p>Needs root, podman, podman-compose, netavark, aardvark-dns, debootstrap and mosquitto-clients,
 * and the four services packaged; runs only with {@code -Dgw.stack.it=true} (about 2 minutes with
 * the base images cached, 4 without).
 */
@EnabledIfSystemProperty(named = "gw.stack.it", matches = "true")
class GatewayStackIT {

  private static final List<String> SERVICES = List.of("bridge", "buffer", "rules", "uplink");
  private static final String GATEWAY = "gw-stack-it";

  @TempDir Path temp;

  /** The settings of the stack under test (compose/gateway.yaml's GW_* variables). */
  private final Map<String, String> env = new HashMap<>();

  @Test
  void dataFlowsFromTheSimulatedPlantToTheCloud() throws IOException {
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
    try {
      start = System.nanoTime();
      run(compose, "up", "-d").assertSucceeded();
      seconds.put("compose_up_s", since(start));
      await("all four services healthy")
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> SERVICES.stream().allMatch(s -> healthy(project, s)));
      seconds.put("startup_s", since(start));

      // A reader on the cloud side, with a client certificate of the demo CA (the gateway's own).
      Script.Result cloud =
          Script.run(
              List.of(
                  "mosquitto_sub",
                  "-h",
                  "127.0.0.1",
                  "-p",
                  String.valueOf(cloudPort),
                  "--cafile",
                  secrets.resolve("demo-cloud/ca.crt").toString(),
                  "--cert",
                  secrets.resolve("uplink.crt").toString(),
                  "--key",
                  secrets.resolve("uplink.key").toString(),
                  "-i",
                  "stack-it-reader",
                  "-t",
                  "edgegw/" + GATEWAY + "/telemetry",
                  "-C",
                  "3",
                  "-W",
                  "60"),
              root,
              Map.of(),
              Duration.ofSeconds(90));
      seconds.put("first_cloud_telemetry_s", since(start));
      assertThat(cloud.exitCode()).as(cloud.stderr()).isZero();
      assertThat(cloud.stdout())
          .contains("\"gateway\":\"" + GATEWAY + "\"")
          .containsPattern("\"device\":\"(boiler|tank|meter)\"")
          .contains("\"q\":\"GOOD\"");
    } finally {
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
