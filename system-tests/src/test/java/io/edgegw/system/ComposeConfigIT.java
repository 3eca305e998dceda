package io.edgegw.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * compose/gateway.yaml (and the demo additions) as podman-compose renders it: the segmentation of
 * ARCHITECTURE.md (no container on both {@code ot} and {@code it}, {@code bus} internal), the
 * hardening every service needs (health check, restart policy, memory limit), and no secret value
 * in the file or its environment, only files from the provisioned secrets directory.
 *
 * <p>podman-compose 1.0.3 has no {@code config} command; {@code --dry-run ps} prints the merged and
 * substituted model it would run (after "** merged:") and changes nothing.
 */
class ComposeConfigIT {

  private static final Pattern SECRET_NAME =
      Pattern.compile("(?i).*(password|passwd|token|secret|_key|credential).*");

  @TempDir Path temp;
  private Path secrets;

  @BeforeEach
  void provision() {
    secrets = temp.resolve("secrets");
    Script.provision(secrets, "--gateway-id", "gw-compose", "--demo-cloud").assertSucceeded();
  }

  @Test
  void noContainerIsOnBothTheOtAndTheItNetworkAndTheBusIsInternal() {
    Map<String, Object> config = render("compose/gateway.yaml", "compose/demo.yaml");

    Map<String, List<String>> byNetwork = new TreeMap<>();
    services(config)
        .forEach((name, service) -> {
          List<String> networks = networks(service);
          assertThat(networks).as("networks of " + name).isNotEmpty();
          assertThat(networks.contains("ot") && networks.contains("it"))
              .as(name + " is on both ot and it: " + networks)
              .isFalse();
          networks.forEach(n -> byNetwork.computeIfAbsent(n, k -> new ArrayList<>()).add(name));
        });
    assertThat(byNetwork.get("ot")).containsExactlyInAnyOrder("bridge", "plant");
    assertThat(byNetwork.get("it")).containsExactlyInAnyOrder("uplink", "buffer", "cloud");
    assertThat(byNetwork.get("bus"))
        .containsExactlyInAnyOrder("mosquitto", "db", "bridge", "buffer", "rules", "uplink");

    Map<String, Object> networks = map(config.get("networks"));
    assertThat(networks).containsOnlyKeys("ot", "bus", "it", "mgmt");
    assertThat(byNetwork.get("mgmt")).containsExactly("mosquitto");
    assertThat(map(networks.get("bus"))).containsEntry("internal", true);
    assertThat(networks.get("ot"))
        .satisfiesAnyOf(
            n -> assertThat(n).isNull(), n -> assertThat(map(n)).doesNotContainKey("internal"));
  }

  @Test
  void theProductionStackHasNoDemoServices() throws IOException {
    // podman-compose prints its merged model only for more than one file; the service names need
    // no substitution, so the file is read as it is.
    Map<String, Object> config =
        parse(Files.readString(Script.root().resolve("compose/gateway.yaml")));

    assertThat(services(config).keySet())
        .containsExactlyInAnyOrder("mosquitto", "db", "bridge", "buffer", "rules", "uplink");
  }

  @Test
  void everyServiceHasAHealthCheckARestartPolicyAndAMemoryLimit() {
    Map<String, Object> config = render("compose/gateway.yaml", "compose/demo.yaml");

    assertThat(services(config)).hasSize(8);
    services(config)
        .forEach((name, service) -> {
          Map<String, Object> health = map(service.get("healthcheck"));
          assertThat(health).as(name + " healthcheck").containsKeys("test", "interval");
          List<?> test = (List<?>) health.get("test");
          assertThat(test).as(name + " healthcheck test").hasSizeGreaterThan(1);
          assertThat(test.get(0)).isIn("CMD", "CMD-SHELL");
          assertThat(service.get("restart"))
              .as(name + " restart")
              .isIn("always", "unless-stopped", "on-failure");
          assertThat(String.valueOf(service.get("mem_limit")))
              .as(name + " mem_limit")
              .matches("[0-9]+[kmg]");
        });
  }

  @Test
  void noSecretValueIsInlineOnlyProvisionedFiles() throws IOException {
    String rendered = renderText("compose/gateway.yaml", "compose/demo.yaml");
    try (Stream<Path> files = Files.walk(secrets)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String name = file.getFileName().toString();
        if (name.endsWith(".password") || name.equals("buffer-api-token")) {
          assertThat(rendered)
              .as("value of " + name)
              .doesNotContain(Files.readString(file).strip());
        }
      }
    }

    Map<String, Object> config = parse(rendered);
    services(config)
        .forEach((name, service) -> {
          Object environment = service.get("environment");
          if (environment != null) {
            map(environment)
                .forEach((key, value) -> {
                  if (SECRET_NAME.matcher(key).matches()) {
                    assertThat(
                            key.endsWith("_FILE")
                                || String.valueOf(value).startsWith("/run/secrets/"))
                        .as(name + " sets " + key + " inline, not from a secret file")
                        .isTrue();
                  }
                });
          }
          for (Object volume : list(service.get("volumes"))) {
            assertThat(String.valueOf(volume))
                .as(name + " mounts a secret as a volume")
                .doesNotContain(secrets.toString());
          }
        });
    map(config.get("secrets"))
        .forEach((name, secret) ->
            assertThat(Path.of(String.valueOf(map(secret).get("file"))))
                .as("secret " + name)
                .startsWith(secrets)
                .isRegularFile());
  }

  @Test
  void publishedPortsBindTheManagementAddressOnly() {
    Map<String, Object> config = render("compose/gateway.yaml", "compose/demo.yaml");

    TreeSet<String> published = new TreeSet<>();
    services(config)
        .forEach((name, service) -> {
          for (Object port : list(service.get("ports"))) {
            assertThat(String.valueOf(port)).as(name + " port").startsWith("127.0.0.1:");
            published.add(name);
          }
        });
    assertThat(published).containsExactly("bridge", "buffer", "cloud", "mosquitto", "uplink");
  }

  private Map<String, Object> render(String... files) {
    return parse(renderText(files));
  }

  private String renderText(String... files) {
    List<String> command =
        new ArrayList<>(List.of("podman-compose", "--dry-run", "-p", "edgegw-config-test"));
    for (String file : files) {
      command.addAll(List.of("-f", file));
    }
    command.add("ps");
    Script.Result result =
        Script.run(
                command,
                Script.root(),
                Map.of(
                    "CONTAINERS_CONF", Script.root().resolve("podman/containers.conf").toString(),
                    "GW_SECRETS", secrets.toString(),
                    "GW_CONFIG", temp.toString(),
                    "GW_STACK_DIR", Script.root().resolve("compose").toString()),
                Duration.ofSeconds(60))
            .assertSucceeded();
    String out = result.stdout();
    int start = out.indexOf("** merged:");
    int end = out.lastIndexOf("\n}");
    assertThat(start).as("podman-compose printed its merged model:\n" + out).isNotNegative();
    assertThat(end).isGreaterThan(start);
    return out.substring(start + "** merged:".length(), end + 2);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> parse(String json) {
    return (Map<String, Object>) new Yaml().load(json);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> services(Map<String, Object> config) {
    return (Map<String, Map<String, Object>>) config.get("services");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    assertThat(value).isInstanceOf(Map.class);
    return (Map<String, Object>) value;
  }

  private static List<?> list(Object value) {
    return value == null ? List.of() : (List<?>) value;
  }

  /** A service's networks, as a list or as the keys of a map. */
  private static List<String> networks(Map<String, Object> service) {
    Object networks = service.get("networks");
    if (networks instanceof Map<?, ?> m) {
      return m.keySet().stream().map(String::valueOf).toList();
    }
    return list(networks).stream().map(String::valueOf).toList();
  }
}
