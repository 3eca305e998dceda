package io.edgegw.rules;

import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Topics;
import io.edgegw.rules.config.Action;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;

/**
 * Interlock writes through the bridge's write command: publish a {@link Command} on {@code
 * gw/v1/cmd/bridge/write}, wait for its {@link CommandResult} up to the action's timeout, and retry
 * as the action says. Each attempt carries its own id and a deadline at the end of its timeout, so
 * the bridge never carries out an attempt the rules have given up on. Nothing blocks a thread.
 */
final class Interlocks {
  private final BiFunction<String, byte[], CompletableFuture<?>> publish;
  private final PayloadCodec codec;
  private final InstantSource clock;
  private final MeterRegistry registry;
  private final Map<String, CompletableFuture<CommandResult>> pending = new ConcurrentHashMap<>();

  Interlocks(
      BiFunction<String, byte[], CompletableFuture<?>> publish,
      PayloadCodec codec,
      InstantSource clock,
      MeterRegistry registry) {
    this.publish = publish;
    this.codec = codec;
    this.clock = clock;
    this.registry = registry;
  }

  /**
   * Runs one interlock to its end; the future never fails: it completes with the outcome (device,
   * tag, value, ok, attempts, reason, ms) that goes into the alarm's ACTION event.
   */
  CompletableFuture<Map<String, Object>> run(Action.Interlock action) {
    long started = clock.millis();
    return attempt(action, 1)
        .thenApply(result -> {
          Map<String, Object> outcome = new LinkedHashMap<>();
          outcome.put("device", action.target().device());
          outcome.put("tag", action.target().tag());
          outcome.put("value", action.value());
          outcome.put("ok", result.ok);
          outcome.put("attempts", result.attempts);
          if (!result.ok) {
            outcome.put("reason", result.reason);
          }
          outcome.put("ms", clock.millis() - started);
          registry.counter("rules.interlocks", "ok", String.valueOf(result.ok)).increment();
          return outcome;
        });
  }

  /** A reply on {@code gw/v1/reply/+}; false if it answers no attempt of ours (still waiting). */
  boolean onReply(CommandResult result) {
    CompletableFuture<CommandResult> f = pending.remove(result.id());
    if (f == null) {
      return false;
    }
    f.complete(result);
    return true;
  }

  /** Attempts waiting for their reply. */
  int pending() {
    return pending.size();
  }

  private record Result(boolean ok, int attempts, String reason) {}

  private CompletableFuture<Result> attempt(Action.Interlock action, int attempt) {
    String id = "rules-" + UUID.randomUUID();
    long timeout = action.timeout().toMillis();
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("device", action.target().device());
    args.put("tag", action.target().tag());
    args.put("value", action.value());
    Command command = Command.of(id, "bridge", "write", args, clock.millis() + timeout);
    CompletableFuture<CommandResult> reply = new CompletableFuture<>();
    pending.put(id, reply);
    publish
        .apply(Topics.command("bridge", "write"), codec.encode(command))
        .whenComplete((ok, err) -> {
          if (err != null) {
            reply.completeExceptionally(err);
          }
        });
    return reply
        .orTimeout(timeout, TimeUnit.MILLISECONDS)
        .handle((r, err) -> {
          pending.remove(id);
          if (err == null && r.ok()) {
            return CompletableFuture.completedFuture(new Result(true, attempt, ""));
          }
          String reason =
              err == null
                  ? "bridge refused: " + r.reason()
                  : unwrap(err) instanceof TimeoutException
                      ? "no reply within " + action.timeout().toMillis() + " ms"
                      : "not sent: " + unwrap(err).getMessage();
          if (attempt > action.retries()) {
            return CompletableFuture.completedFuture(new Result(false, attempt, reason));
          }
          return CompletableFuture.supplyAsync(
                  () -> null,
                  CompletableFuture.delayedExecutor(
                      action.retryDelay().toMillis(), TimeUnit.MILLISECONDS))
              .thenCompose(x -> attempt(action, attempt + 1));
        })
        .thenCompose(f -> f);
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof java.util.concurrent.CompletionException && t.getCause() != null
        ? t.getCause()
        : t;
  }
}
