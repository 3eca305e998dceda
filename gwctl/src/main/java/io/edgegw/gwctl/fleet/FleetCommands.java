package io.edgegw.gwctl.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import io.edgegw.contracts.CommandResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The fleet commands: they travel through the cloud broker to uplink-service's command relay on
 * each gateway, which hands them to the ota-agent ({@code gw/v1/cmd/ota/{verb}}).
 */
public final class FleetCommands {

  private static final Duration DIRECTORY_QUIET = Duration.ofMillis(500);
  private static final Duration DIRECTORY_MAX = Duration.ofSeconds(5);

  private FleetCommands() {}

  /** Thrown after the summary when a fleet operation did not succeed everywhere. */
  public static final class FleetFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FleetFailedException(String message) {
      super(message);
    }
  }

  /** {@code gwctl deploy}. */
  @Command(
      name = "deploy",
      mixinStandardHelpOptions = true,
      description = {
        "Deploy a bundle from the registry to gateways, in waves: each wave's gateways update at"
            + " once; the next wave starts when all of them have answered; no wave starts once"
            + " --halt-after-failures gateways have failed.",
      })
  public static final class Deploy implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin BrokerOptions broker;

    @ArgGroup(exclusive = false, multiplicity = "1")
    Targets targets;

    @Option(
        names = "--repo",
        required = true,
        paramLabel = "R",
        description = "Bundle repository in the gateways' registry, e.g. edgegw/stack.")
    String repository;

    @Option(
        names = "--ref",
        required = true,
        paramLabel = "REF",
        description = "Bundle tag or sha256 digest (a digest pins exactly what was tested).")
    String reference;

    @Option(
        names = "--wave-size",
        defaultValue = "1",
        paramLabel = "N",
        description = "Gateways per wave (default: ${DEFAULT-VALUE}).")
    int waveSize;

    @Option(
        names = "--halt-after-failures",
        defaultValue = "1",
        paramLabel = "N",
        description =
            "Start no further wave once N gateways have failed (default: ${DEFAULT-VALUE}).")
    int haltAfterFailures;

    @Option(
        names = "--timeout",
        defaultValue = "PT15M",
        paramLabel = "DURATION",
        description =
            "How long each gateway has for the update, health gate included (ISO-8601, default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
      Map<String, Object> args = Map.of("repository", repository, "reference", reference);
      return rollout(spec, broker, targets, "deploy", args, waveSize, haltAfterFailures, timeout);
    }
  }

  /** {@code gwctl restart}. */
  @Command(
      name = "restart",
      mixinStandardHelpOptions = true,
      description = {
        "Restart one service, or the whole stack, on gateways (in waves, as deploy).",
        "With --host, reboot the gateways' hosts instead (ota.reboot): uplink relays it only when"
            + " its uplink.commands.allowed lists ota.reboot, which it does not by default."
      })
  public static final class Restart implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin BrokerOptions broker;

    @ArgGroup(exclusive = false, multiplicity = "1")
    Targets targets;

    @Option(
        names = "--service",
        paramLabel = "NAME",
        description = "The Compose service; without it the whole stack restarts.")
    String service;

    @Option(
        names = "--host",
        description = "Reboot the host (the gateway's ota.reboot.command) instead of a restart.")
    boolean host;

    @Option(
        names = "--wave-size",
        defaultValue = "1000000",
        paramLabel = "N",
        description = "Gateways per wave (default: all at once).")
    int waveSize;

    @Option(
        names = "--halt-after-failures",
        defaultValue = "1000000",
        paramLabel = "N",
        description = "Start no further wave once N gateways have failed (default: never halt).")
    int haltAfterFailures;

    @Option(
        names = "--timeout",
        defaultValue = "PT2M",
        paramLabel = "DURATION",
        description = "How long each gateway has (ISO-8601, default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
      if (host && service != null) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--host reboots the whole host; it takes no --service");
      }
      Map<String, Object> args = service == null ? Map.of() : Map.of("service", service);
      String verb = host ? "reboot" : "restart";
      return rollout(spec, broker, targets, verb, args, waveSize, haltAfterFailures, timeout);
    }
  }

  /** {@code gwctl status}. */
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Show each gateway's link state and health, as retained on the cloud broker.")
  public static final class Status implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin BrokerOptions broker;

    @ArgGroup(exclusive = false, multiplicity = "1")
    Targets targets;

    @Override
    public Integer call() throws Exception {
      try (CloudLink link = CloudLink.connect(broker)) {
        Map<String, FleetDirectory.Gateway> known =
            FleetDirectory.read(link, broker.prefix, DIRECTORY_QUIET, DIRECTORY_MAX);
        List<String> ids = targets.all() ? new ArrayList<>(known.keySet()) : targets.named();
        PrintWriter out = spec.commandLine().getOut();
        int missing = 0;
        for (String id : ids) {
          FleetDirectory.Gateway g = known.get(id);
          if (g == null) {
            out.println(id + "  UNKNOWN  (no retained status on the broker)");
            missing++;
            continue;
          }
          out.println(
              id
                  + "  "
                  + g.state()
                  + "  since "
                  + Instant.ofEpochMilli(g.t())
                  + healthSummary(g.health()));
        }
        out.println(ids.size() + " gateway(s), " + missing + " unknown");
        out.flush();
        if (missing > 0) {
          throw new FleetFailedException(missing + " gateway(s) unknown to the broker");
        }
        return 0;
      }
    }

    private static String healthSummary(JsonNode health) {
      if (health == null) {
        return "";
      }
      // ota-agent's aggregate is a Status: the worst state at the top, the installed bundle in
      // detail.bundle; flat detail fields are read as well.
      JsonNode detail = health.has("detail") ? health.get("detail") : health;
      JsonNode bundle = detail.path("bundle");
      Map<String, JsonNode> fields = new LinkedHashMap<>();
      fields.put("bundleVersion", bundle.hasNonNull("version") ? bundle.get("version") : null);
      fields.put("bundleDigest", bundle.hasNonNull("digest") ? bundle.get("digest") : null);
      fields.put("health", health.hasNonNull("state") ? health.get("state") : detail.get("state"));
      StringBuilder s = new StringBuilder();
      for (Map.Entry<String, JsonNode> f : fields.entrySet()) {
        JsonNode value = f.getValue() != null ? f.getValue() : detail.get(f.getKey());
        if (value != null && !value.isNull()) {
          s.append("  ").append(f.getKey()).append('=').append(value.asText());
        }
      }
      return s.toString();
    }
  }

  /**
   * Sends {@code gw/v1/cmd/ota/{verb}} with {@code args} to the targeted gateways in waves and
   * prints their progress and outcome; shared by deploy, restart and {@code gwctl artifact deploy}.
   *
   * @return 0 when every gateway succeeded
   * @throws FleetFailedException after the summary when one failed, timed out or was skipped
   */
  public static int rollout(
      CommandSpec spec,
      BrokerOptions broker,
      Targets targets,
      String verb,
      Map<String, Object> args,
      int waveSize,
      int haltAfterFailures,
      Duration timeout)
      throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    try (CloudLink link = CloudLink.connect(broker)) {
      List<String> gateways;
      if (targets.all()) {
        gateways =
            new ArrayList<>(
                FleetDirectory.read(link, broker.prefix, DIRECTORY_QUIET, DIRECTORY_MAX).keySet());
        if (gateways.isEmpty()) {
          throw new IllegalArgumentException(
              "--all: the broker holds no retained "
                  + broker.prefix
                  + "/+/status; no gateway known");
        }
      } else {
        gateways = targets.named();
      }
      WaveRollout.waves(gateways, waveSize); // validates the wave size before anything is sent
      out.println(verb + " " + args + " to " + gateways.size() + " gateway(s)");
      out.flush();
      FleetCommander commander = FleetCommander.start(link, broker.prefix, Clock.systemUTC());
      WaveRollout.Report report =
          WaveRollout.run(
              gateways,
              waveSize,
              haltAfterFailures,
              gateway ->
                  commander
                      .send(
                          gateway,
                          "ota",
                          verb,
                          args,
                          timeout,
                          (g, progress) -> {
                            synchronized (out) {
                              out.println(
                                  "  " + g + " ... " + progress.getOrDefault("step", progress));
                              out.flush();
                            }
                          })
                      .thenApply(r -> outcome(gateway, r)),
              line -> {
                synchronized (out) {
                  out.println(line);
                  out.flush();
                }
              });
      String summary =
          verb
              + ": "
              + report.count(WaveRollout.State.OK)
              + " ok, "
              + report.count(WaveRollout.State.FAILED)
              + " failed, "
              + report.count(WaveRollout.State.SKIPPED)
              + " skipped"
              + (report.halted() ? " (halted)" : "");
      out.println(summary);
      out.flush();
      if (report.count(WaveRollout.State.OK) != gateways.size()) {
        throw new FleetFailedException(summary);
      }
      return 0;
    }
  }

  private static WaveRollout.Outcome outcome(String gateway, CommandResult r) {
    if (r.ok()) {
      Map<String, Object> shown = new LinkedHashMap<>(r.result());
      shown.remove("final");
      return new WaveRollout.Outcome(
          gateway, WaveRollout.State.OK, shown.isEmpty() ? "done" : shown.toString());
    }
    return new WaveRollout.Outcome(gateway, WaveRollout.State.FAILED, r.reason());
  }
}
