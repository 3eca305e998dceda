package io.edgegw.uplink.command;

import io.edgegw.contracts.Command;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.PayloadException;
import io.edgegw.contracts.Topics;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Decides what happens to a command from the cloud, before anything reaches the local bus: the
 * topic must be {@code {prefix}/{gatewayId}/cmd/{target}/{verb}}, the payload a {@link Command} of
 * the contract naming the same target and verb, the pair allowed, the deadline not past, and the
 * flood limit (a token bucket) not exceeded. Pure: time comes from the caller.
 */
public final class CommandGate {

  /** What to do with one cloud message. */
  public sealed interface Decision {
    /** Publish {@code command} on the local topic; its reply comes on {@code command.replyTo()}. */
    record Relay(Command command, String localTopic) implements Decision {}

    /**
     * Refuse, with the reason the cloud reads. {@code commandId} is null when the payload was not a
     * command at all (the answer then goes to the cloud's dead-letter topic, not to a reply).
     */
    record Reject(String commandId, String reason) implements Decision {}
  }

  private final String cmdPrefix;
  private final Set<String> allowed;
  private final Bucket bucket;
  private final int perSecond;
  private final LongSupplier wallMillis;
  private final PayloadCodec codec;

  /**
   * @param topicPrefix the cloud topic prefix
   * @param gatewayId this gateway's id
   * @param allowed {@code target.verb} pairs that may be relayed
   * @param perSecond sustained commands per second
   * @param burst commands accepted at once after a quiet period
   * @param time the bucket's clock (tests inject one)
   * @param wallMillis epoch milliseconds, for deadlines
   * @param maxPayload largest payload accepted, bytes
   */
  public CommandGate(
      String topicPrefix,
      String gatewayId,
      Set<String> allowed,
      int perSecond,
      int burst,
      TimeMeter time,
      LongSupplier wallMillis,
      int maxPayload) {
    if (perSecond < 1 || burst < 1) {
      throw new IllegalArgumentException(
          "command rate must be >= 1/s with a burst >= 1, got " + perSecond + "/s, " + burst);
    }
    this.cmdPrefix = topicPrefix + "/" + gatewayId + "/cmd/";
    this.allowed = Set.copyOf(allowed);
    this.perSecond = perSecond;
    this.bucket =
        Bucket.builder()
            .addLimit(l -> l.capacity(burst).refillGreedy(perSecond, Duration.ofSeconds(1)))
            .withCustomTimePrecision(time)
            .build();
    this.wallMillis = wallMillis;
    this.codec = new PayloadCodec(maxPayload);
  }

  /** The subscription filter for this gateway's commands. */
  public String filter() {
    return cmdPrefix + "#";
  }

  /** Checks one message from the cloud. */
  public Decision check(String cloudTopic, byte[] payload) {
    // The flood limit comes first, so nothing of a flood reaches the local bus; a refused command
    // still gets its reason.
    if (!bucket.tryConsume(1)) {
      return new Decision.Reject(
          idOf(payload), "rate limit: more than " + perSecond + " commands per second; try later");
    }
    if (!cloudTopic.startsWith(cmdPrefix)) {
      return new Decision.Reject(
          idOf(payload), "topic " + cloudTopic + " is not under " + filter());
    }
    String[] levels = cloudTopic.substring(cmdPrefix.length()).split("/", -1);
    if (levels.length != 2 || levels[0].isEmpty() || levels[1].isEmpty()) {
      return new Decision.Reject(
          idOf(payload), "topic must be " + cmdPrefix + "{target}/{verb}, got " + cloudTopic);
    }
    String target = levels[0];
    String verb = levels[1];
    Command c;
    try {
      c = codec.decode(payload, Command.class);
    } catch (PayloadException e) {
      return new Decision.Reject(null, "malformed command: " + e.getMessage());
    }
    if (!c.target().equals(target) || !c.verb().equals(verb)) {
      return new Decision.Reject(
          c.id(),
          "the command names "
              + c.target()
              + "/"
              + c.verb()
              + " but came on "
              + target
              + "/"
              + verb);
    }
    if (!allowed.contains(target + "." + verb)) {
      return new Decision.Reject(
          c.id(),
          "unknown target or verb '"
              + target
              + "/"
              + verb
              + "'; this gateway relays "
              + allowed.stream().sorted().toList());
    }
    long now = wallMillis.getAsLong();
    if (c.deadline() <= now) {
      return new Decision.Reject(
          c.id(), "deadline " + c.deadline() + " is already past (gateway time " + now + ")");
    }
    // Locally the reply comes on the standard topic, whatever the cloud asked for.
    Command local = Command.of(c.id(), target, verb, c.args(), c.deadline());
    return new Decision.Relay(local, Topics.command(target, verb));
  }

  /** The command id of a payload that may not be a valid command, or null. */
  private String idOf(byte[] payload) {
    try {
      return codec.decode(payload, Command.class).id();
    } catch (PayloadException | RuntimeException e) {
      return null;
    }
  }
}
