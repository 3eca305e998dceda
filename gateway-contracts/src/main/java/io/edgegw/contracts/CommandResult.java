package io.edgegw.contracts;

import java.util.Map;

/**
 * The answer to a {@link Command}, on {@code gw/v1/reply/{id}}.
 *
 * @param v schema version
 * @param id the command's id
 * @param ok whether the command was carried out
 * @param reason why it failed or was rejected; empty when ok
 * @param t time of the answer, epoch milliseconds UTC
 * @param result verb-specific result values
 */
public record CommandResult(
    int v, String id, boolean ok, String reason, long t, Map<String, Object> result)
    implements Payload {
  public CommandResult {
    Checks.version(v);
    Checks.text(id, "id");
    reason = reason == null ? "" : reason;
    if (!ok && reason.isBlank()) {
      throw new IllegalArgumentException("a failed command result must carry a 'reason'");
    }
    Checks.epochMillis(t, "t");
    result = result == null ? Map.of() : Map.copyOf(result);
  }

  /** A success. */
  public static CommandResult ok(String id, long t, Map<String, Object> result) {
    return new CommandResult(SCHEMA_VERSION, id, true, "", t, result);
  }

  /** A failure or rejection, with the reason an operator reads. */
  public static CommandResult failed(String id, long t, String reason) {
    return new CommandResult(SCHEMA_VERSION, id, false, reason, t, Map.of());
  }
}
