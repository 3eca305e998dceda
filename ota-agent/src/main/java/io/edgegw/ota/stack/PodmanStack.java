package io.edgegw.ota.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The stack run by podman-compose as one Compose project. Images are pulled by digest with TLS
 * verified, against a configured CA directory ({@code --cert-dir}) for a local registry; there is
 * no way to turn verification off here.
 */
public final class PodmanStack implements Stack {
  private static final String PROJECT_LABEL = "io.podman.compose.project";
  private static final String SERVICE_LABEL = "com.docker.compose.service";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ProcessRunner runner;
  private final String podman;
  private final String podmanCompose;
  private final String project;
  private final Optional<Path> certDir;

  /**
   * @param runner runs the programs (with CONTAINERS_CONF in its environment)
   * @param podman the podman program
   * @param podmanCompose the podman-compose program
   * @param project the Compose project name
   * @param certDir directory with the registry's {@code ca.crt}, when it is a private CA
   */
  public PodmanStack(
      ProcessRunner runner,
      String podman,
      String podmanCompose,
      String project,
      Optional<Path> certDir) {
    this.runner = runner;
    this.podman = podman;
    this.podmanCompose = podmanCompose;
    this.project = project;
    this.certDir = certDir;
  }

  @Override
  public void pull(List<String> images) throws IOException {
    for (String image : images) {
      List<String> command = new ArrayList<>(List.of(podman, "pull", "--quiet"));
      certDir.ifPresent(d -> command.add("--cert-dir=" + d));
      command.add(image);
      runner.run(command, null);
    }
  }

  @Override
  public void up(Path composeFile) throws IOException {
    // podman-compose 1.0.3 labels every container with the same config hash, so "up" alone would
    // keep old containers; --force-recreate replaces them with the new file's.
    String output =
        runner.run(
            List.of(
                podmanCompose,
                "-p",
                project,
                "-f",
                composeFile.getFileName().toString(),
                "up",
                "-d",
                "--force-recreate"),
            composeFile.getParent());
    // podman-compose 1.0.3 exits 0 even when a container failed to start; it prints each podman
    // call and then its "exit code: N". Its own cleanup calls fail harmlessly, so only the
    // "podman run" calls count.
    Optional<String> failed = failedRun(output);
    if (failed.isPresent()) {
      throw new IOException(
          "podman-compose up of " + composeFile + " failed: " + failed.get() + "\n" + tail(output));
    }
  }

  /** The first {@code podman run} whose exit code is not 0, with that code. */
  static Optional<String> failedRun(String output) {
    String run = null;
    for (String line : output.lines().toList()) {
      if (line.startsWith("podman run ")) {
        run = line;
      } else if (run != null && line.startsWith("exit code: ")) {
        if (!line.equals("exit code: 0")) {
          return Optional.of(run.substring(0, Math.min(run.length(), 200)) + " ended with " + line);
        }
        run = null;
      }
    }
    return Optional.empty();
  }

  private static String tail(String output) {
    String s = output.strip();
    return s.length() <= 1500 ? s : "..." + s.substring(s.length() - 1500);
  }

  @Override
  public void down(Path composeFile) throws IOException {
    runner.run(
        List.of(podmanCompose, "-p", project, "-f", composeFile.getFileName().toString(), "down"),
        composeFile.getParent());
  }

  @Override
  public void restart(String service) throws IOException {
    List<String> ids = containers(Optional.of(service));
    if (ids.isEmpty()) {
      throw new IOException("no container of service '" + service + "' in project " + project);
    }
    List<String> command = new ArrayList<>(List.of(podman, "restart"));
    command.addAll(ids);
    runner.run(command, null);
  }

  @Override
  public void restartAll() throws IOException {
    List<String> ids = containers(Optional.empty());
    if (ids.isEmpty()) {
      throw new IOException("no container in project " + project);
    }
    List<String> command = new ArrayList<>(List.of(podman, "restart"));
    command.addAll(ids);
    runner.run(command, null);
  }

  @Override
  public Map<String, Boolean> services() throws IOException {
    String out =
        runner.run(
            List.of(
                podman,
                "ps",
                "-a",
                "--filter",
                "label=" + PROJECT_LABEL + "=" + project,
                "--format",
                "json"),
            null);
    Map<String, Boolean> services = new TreeMap<>();
    for (JsonNode c : JSON.readTree(out)) {
      String service = c.path("Labels").path(SERVICE_LABEL).asText("");
      if (!service.isEmpty()) {
        boolean running = "running".equalsIgnoreCase(c.path("State").asText());
        services.merge(service, running, Boolean::logicalAnd);
      }
    }
    return services;
  }

  private List<String> containers(Optional<String> service) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                podman, "ps", "-a", "-q", "--filter", "label=" + PROJECT_LABEL + "=" + project));
    service.ifPresent(s -> command.addAll(List.of("--filter", "label=" + SERVICE_LABEL + "=" + s)));
    return runner.run(command, null).lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
  }
}
