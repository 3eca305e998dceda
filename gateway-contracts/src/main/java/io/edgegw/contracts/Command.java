package io.edgegw.contracts;

import java.util.Map;

/**
 * A request to a component, on {@code gw/v1/cmd/{target}/{verb}}. The target answers with a {@link
 * CommandResult} on {@code replyTo}.
 *
 * @param v schema version
 * @param id unique command id; the reply topic is derived from it
 * @param target component that executes it
 * @param verb what to do
 * @param args verb-specific arguments
 * @param replyTo topic for the result, normally {@code gw/v1/reply/{id}}
 * @param deadline epoch milliseconds UTC after which the command must not be executed
 */
public record Command(
    int v,
    String id,
    String target,
    String verb,
    Map<String, Object> args,
    String replyTo,
    long deadline)
    implements Payload {
  public Command {
    Checks.version(v);
    Checks.topicLevel(id, "id");
    Checks.topicLevel(target, "target");
    Checks.topicLevel(verb, "verb");
    args = args == null ? Map.of() : Map.copyOf(args);
    Checks.text(replyTo, "replyTo");
    Checks.epochMillis(deadline, "deadline");
  }

  /** A command in the current schema version, replying on the standard reply topic. */
  public static Command of(
      String id, String target, String verb, Map<String, Object> args, long deadline) {
    return new Command(SCHEMA_VERSION, id, target, verb, args, Topics.reply(id), deadline);
  }
}
