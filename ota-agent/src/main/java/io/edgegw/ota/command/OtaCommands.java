package io.edgegw.ota.command;

import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.ota.stack.ProcessRunner;
import io.edgegw.ota.stack.Stack;
import io.edgegw.ota.update.UpdateFlow;
import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The agent's verbs on {@code gw/v1/cmd/ota/{verb}}: {@code deploy} (args {@code repository},
 * {@code reference}), {@code restart} (arg {@code service}, or none for the whole stack), {@code
 * reboot} and {@code artifact} (args {@code repository}, {@code reference}, optional {@code
 * devices}; handed to the device artifacts, which run on their own worker). The others run on the
 * agent's worker, one at a time; an expired command is refused unopened.
 */
public final class OtaCommands {
  private static final Logger LOG = Logger.getLogger(OtaCommands.class);

  private final UpdateFlow updates;
  private final Stack stack;
  private final ProcessRunner rebootRunner;
  private final List<String> rebootCommand;
  private final InstantSource clock;
  private final ExecutorService worker;
  private final BiConsumer<String, CommandResult> reply;
  private final Consumer<Map<String, Object>> activity;
  private final Consumer<Command> artifacts;

  /**
   * @param updates the update flow
   * @param stack the container stack
   * @param rebootRunner runs the reboot command
   * @param rebootCommand the configured host reboot command
   * @param clock time
   * @param worker runs the commands one after the other
   * @param reply publishes a result on a reply topic
   * @param activity receives what the agent does now, for its status
   * @param artifacts takes the {@code artifact} verb (device artifacts, on their own worker)
   */
  public OtaCommands(
      UpdateFlow updates,
      Stack stack,
      ProcessRunner rebootRunner,
      List<String> rebootCommand,
      InstantSource clock,
      ExecutorService worker,
      BiConsumer<String, CommandResult> reply,
      Consumer<Map<String, Object>> activity,
      Consumer<Command> artifacts) {
    this.updates = updates;
    this.stack = stack;
    this.rebootRunner = rebootRunner;
    this.rebootCommand = List.copyOf(rebootCommand);
    this.clock = clock;
    this.worker = worker;
    this.reply = reply;
    this.activity = activity;
    this.artifacts = artifacts;
  }

  /** Accepts a command; the result goes to its {@code replyTo}. */
  public void accept(Command c) {
    if (clock.millis() > c.deadline()) {
      reply.accept(
          c.replyTo(), CommandResult.failed(c.id(), clock.millis(), "deadline passed; not run"));
      return;
    }
    switch (c.verb()) {
      case "deploy" -> {
        if (updates.busy()) {
          reply.accept(
              c.replyTo(),
              CommandResult.failed(
                  c.id(), clock.millis(), "another update is in progress; nothing changed"));
          return;
        }
        String repository = text(c.args().get("repository"));
        String reference = text(c.args().get("reference"));
        if (repository.isEmpty() || reference.isEmpty()) {
          reply.accept(
              c.replyTo(),
              CommandResult.failed(
                  c.id(),
                  clock.millis(),
                  "deploy needs args 'repository' and 'reference' (tag or digest)"));
          return;
        }
        worker.execute(() -> deploy(c, repository, reference));
      }
      case "restart" -> worker.execute(() -> restart(c, text(c.args().get("service"))));
      case "reboot" -> worker.execute(() -> reboot(c));
      case "artifact" -> artifacts.accept(c);
      default ->
          reply.accept(
              c.replyTo(),
              CommandResult.failed(
                  c.id(),
                  clock.millis(),
                  "unknown verb '" + c.verb() + "'; ota knows deploy, restart, reboot, artifact"));
    }
  }

  private void deploy(Command c, String repository, String reference) {
    try {
      UpdateFlow.Outcome o =
          updates.deploy(
              new UpdateFlow.Request(c.id(), c.replyTo(), repository, reference, c.deadline()),
              (step, detail) -> progress(c.id(), c.replyTo(), step, detail));
      report(o);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.errorf(e, "deploy %s failed", c.id());
      reply.accept(
          c.replyTo(), CommandResult.failed(c.id(), clock.millis(), "deploy failed: " + e));
    }
  }

  /** Publishes an update's end on its reply topic and in the agent's activity. */
  public void report(UpdateFlow.Outcome o) {
    Map<String, Object> result = new LinkedHashMap<>(o.result());
    result.put("final", true);
    activity.accept(Map.of("idle", true, "lastCommand", o.commandId(), "lastOk", o.ok()));
    if (o.replyTo() == null || o.replyTo().isBlank()) {
      return;
    }
    reply.accept(
        o.replyTo(),
        o.ok()
            ? CommandResult.ok(o.commandId(), clock.millis(), result)
            : new CommandResult(
                CommandResult.SCHEMA_VERSION,
                o.commandId(),
                false,
                o.reason(),
                clock.millis(),
                result));
  }

  private void progress(String id, String replyTo, String step, Map<String, Object> detail) {
    Map<String, Object> result = new LinkedHashMap<>(detail);
    result.put("step", step);
    result.put("final", false);
    activity.accept(Map.of("command", id, "step", step));
    reply.accept(replyTo, CommandResult.ok(id, clock.millis(), result));
  }

  private void restart(Command c, String service) {
    activity.accept(Map.of("command", c.id(), "step", "restarting"));
    boolean ok = false;
    try {
      if (service.isEmpty()) {
        stack.restartAll();
      } else {
        stack.restart(service);
      }
      ok = true;
      LOG.infof("restarted %s on command %s", service.isEmpty() ? "the stack" : service, c.id());
      reply.accept(
          c.replyTo(),
          CommandResult.ok(
              c.id(),
              clock.millis(),
              Map.of("restarted", service.isEmpty() ? "stack" : service, "final", true)));
    } catch (IOException e) {
      LOG.warnf("restart on command %s failed: %s", c.id(), e.getMessage());
      reply.accept(
          c.replyTo(),
          CommandResult.failed(c.id(), clock.millis(), "restart failed: " + e.getMessage()));
    } finally {
      activity.accept(Map.of("idle", true, "lastCommand", c.id(), "lastOk", ok));
    }
  }

  private void reboot(Command c) {
    // systemctl reboot returns once the reboot is scheduled, so the answer usually still goes out.
    try {
      rebootRunner.run(rebootCommand, Path.of("/"));
      LOG.warnf("host reboot requested by command %s", c.id());
      reply.accept(
          c.replyTo(),
          CommandResult.ok(c.id(), clock.millis(), Map.of("rebooting", true, "final", true)));
    } catch (IOException e) {
      reply.accept(
          c.replyTo(),
          CommandResult.failed(c.id(), clock.millis(), "reboot failed: " + e.getMessage()));
    }
  }

  private static String text(Object value) {
    return value == null ? "" : value.toString().strip();
  }
}
