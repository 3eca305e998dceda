package io.edgegw.gwctl.fleet;

import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.PayloadException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Sends commands to gateways through the cloud broker and matches their replies: a {@link Command}
 * on {@code {prefix}/{gatewayId}/cmd/{target}/{verb}}, answered by a {@link CommandResult} on
 * {@code {prefix}/{gatewayId}/reply/{id}} (uplink-service's command relay). A reply whose {@code
 * result.final} is {@code false} is progress; any other ends the command.
 */
final class FleetCommander {

  private final CloudLink link;
  private final String prefix;
  private final Clock clock;
  private final PayloadCodec codec = new PayloadCodec();
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();

  private record Pending(
      CompletableFuture<CommandResult> done, BiConsumer<String, Map<String, Object>> progress) {}

  private FleetCommander(CloudLink link, String prefix, Clock clock) {
    this.link = link;
    this.prefix = prefix;
    this.clock = clock;
  }

  /** Subscribes to every gateway's replies under {@code prefix}. */
  static FleetCommander start(CloudLink link, String prefix, Clock clock) throws IOException {
    FleetCommander commander = new FleetCommander(link, prefix, clock);
    link.subscribe(prefix + "/+/reply/+", commander::onReply);
    return commander;
  }

  /**
   * Sends one command.
   *
   * @param timeout how long the gateway has; also the command's deadline
   * @param progress gets (gateway, result) of each non-final reply
   * @return the final result; a failed one naming the timeout if none came
   */
  CompletableFuture<CommandResult> send(
      String gateway,
      String target,
      String verb,
      Map<String, Object> args,
      Duration timeout,
      BiConsumer<String, Map<String, Object>> progress) {
    String id = "gwctl-" + UUID.randomUUID();
    Command command = Command.of(id, target, verb, args, clock.millis() + timeout.toMillis());
    CompletableFuture<CommandResult> done = new CompletableFuture<>();
    pending.put(id, new Pending(done, (g, r) -> progress.accept(gateway, r)));
    try {
      link.publish(prefix + "/" + gateway + "/cmd/" + target + "/" + verb, codec.encode(command));
    } catch (IOException e) {
      pending.remove(id);
      return CompletableFuture.completedFuture(
          CommandResult.failed(id, clock.millis(), "not sent: " + e.getMessage()));
    }
    return done.completeOnTimeout(
            CommandResult.failed(
                id, clock.millis(), "no reply within " + timeout.toSeconds() + " s"),
            timeout.toMillis(),
            TimeUnit.MILLISECONDS)
        .whenComplete((r, e) -> pending.remove(id));
  }

  private void onReply(String topic, byte[] payload) {
    CommandResult result;
    try {
      result = codec.decode(payload, CommandResult.class);
    } catch (PayloadException e) {
      return; // not ours to judge: another client's traffic or a broken gateway; its command times
      // out
    }
    Pending p = pending.get(result.id());
    if (p == null) {
      return;
    }
    if (result.ok() && Boolean.FALSE.equals(result.result().get("final"))) {
      p.progress().accept(topic, result.result());
    } else {
      p.done().complete(result);
    }
  }
}
