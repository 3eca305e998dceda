package io.edgegw.uplink.command;

import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.DeadLetter;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.PayloadException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Relays cloud commands to the local bus and their replies back: a command the {@link CommandGate}
 * lets through is published on {@code gw/v1/cmd/{target}/{verb}}; its {@link CommandResult} from
 * {@code gw/v1/reply/{id}} goes to {@code {prefix}/{gatewayId}/reply/{id}}. A refused command is
 * answered at once with the reason; one the local target does not answer in time is answered with a
 * timeout. A payload that is not a command at all goes to {@code {prefix}/{gatewayId}/dlq}.
 *
 * <p>A long command (an ota-agent update) answers with progress first: replies whose {@code
 * result.final} is {@code false}. Each goes to the cloud as it comes and restarts the wait; the
 * command is done at the first reply that is not marked so.
 */
public final class CommandRelay {
  private final CommandGate gate;
  private final String cloudRoot;
  private final BiFunction<String, byte[], CompletableFuture<?>> publishLocal;
  private final BiFunction<String, byte[], CompletableFuture<?>> publishCloud;
  private final Function<String, Duration> replyTimeout;
  private final LongSupplier wallMillis;
  private final PayloadCodec codec = new PayloadCodec();
  private final Map<String, CompletableFuture<CommandResult>> pending = new ConcurrentHashMap<>();

  /**
   * @param gate the checks
   * @param topicPrefix the cloud topic prefix
   * @param gatewayId this gateway's id
   * @param publishLocal publishes on the local bus (QoS 1)
   * @param publishCloud publishes to the cloud (QoS 1)
   * @param replyTimeout how long a local target may take to answer
   * @param wallMillis epoch milliseconds
   */
  public CommandRelay(
      CommandGate gate,
      String topicPrefix,
      String gatewayId,
      BiFunction<String, byte[], CompletableFuture<?>> publishLocal,
      BiFunction<String, byte[], CompletableFuture<?>> publishCloud,
      Duration replyTimeout,
      LongSupplier wallMillis) {
    this(gate, topicPrefix, gatewayId, publishLocal, publishCloud, t -> replyTimeout, wallMillis);
  }

  /**
   * @param replyTimeout per target: how long it may take to answer (to send the next progress
   *     reply, or the result)
   */
  public CommandRelay(
      CommandGate gate,
      String topicPrefix,
      String gatewayId,
      BiFunction<String, byte[], CompletableFuture<?>> publishLocal,
      BiFunction<String, byte[], CompletableFuture<?>> publishCloud,
      Function<String, Duration> replyTimeout,
      LongSupplier wallMillis) {
    this.gate = gate;
    this.cloudRoot = topicPrefix + "/" + gatewayId;
    this.publishLocal = publishLocal;
    this.publishCloud = publishCloud;
    this.replyTimeout = replyTimeout;
    this.wallMillis = wallMillis;
  }

  /** The cloud subscription filter. */
  public String filter() {
    return gate.filter();
  }

  /** A message from the cloud on the command filter. */
  public void onCloudCommand(String topic, byte[] payload) {
    switch (gate.check(topic, payload)) {
      case CommandGate.Decision.Reject r when r.commandId() == null ->
          publishCloud.apply(
              cloudRoot + "/dlq",
              codec.encode(
                  DeadLetter.of("uplink", topic, r.reason(), wallMillis.getAsLong(), payload)));
      case CommandGate.Decision.Reject r ->
          answer(CommandResult.failed(r.commandId(), wallMillis.getAsLong(), r.reason()));
      case CommandGate.Decision.Relay relay -> {
        String id = relay.command().id();
        CompletableFuture<CommandResult> reply = new CompletableFuture<>();
        if (pending.putIfAbsent(id, reply) != null) {
          answer(
              CommandResult.failed(
                  id, wallMillis.getAsLong(), "command id '" + id + "' is already in progress"));
          return;
        }
        awaitReply(id, relay.command().target(), reply);
        publishLocal
            .apply(relay.localTopic(), codec.encode(relay.command()))
            .whenComplete((x, err) -> {
              if (err != null) {
                reply.complete(
                    CommandResult.failed(
                        id,
                        wallMillis.getAsLong(),
                        "the local bus refused the command: " + err.getMessage()));
              }
            });
      }
    }
  }

  /** Answers the cloud with the reply, or waits again after a progress reply. */
  private void awaitReply(String id, String target, CompletableFuture<CommandResult> reply) {
    Duration timeout = replyTimeout.apply(target);
    reply
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((r, err) -> {
          if (err == null && progress(r)) {
            answer(r);
            // Runs on the thread that completed the reply, before it takes the next one.
            CompletableFuture<CommandResult> next = new CompletableFuture<>();
            pending.put(id, next);
            awaitReply(id, target, next);
            return;
          }
          pending.remove(id, reply);
          answer(
              err == null
                  ? r
                  : CommandResult.failed(
                      id,
                      wallMillis.getAsLong(),
                      "no reply from " + target + " within " + timeout.toMillis() + " ms"));
        });
  }

  private static boolean progress(CommandResult r) {
    return Boolean.FALSE.equals(r.result().get("final"));
  }

  /** A reply on {@code gw/v1/reply/+}; false when it answers no relayed command. */
  public boolean onLocalReply(byte[] payload) {
    CommandResult r;
    try {
      r = codec.decode(payload, CommandResult.class);
    } catch (PayloadException e) {
      return false;
    }
    CompletableFuture<CommandResult> f = pending.get(r.id());
    return f != null && f.complete(r);
  }

  /** Commands relayed and not yet answered. */
  public int pending() {
    return pending.size();
  }

  private void answer(CommandResult r) {
    publishCloud.apply(cloudRoot + "/reply/" + r.id(), codec.encode(r));
  }
}
