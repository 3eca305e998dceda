package io.edgegw.uplink.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.contracts.Command;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.uplink.command.CommandGate.Decision;
import io.github.bucket4j.TimeMeter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Validation and the flood limit of cloud commands, with a manual clock. */
class CommandGateTest {
  static final String CMD = "edgegw/gw-7/cmd/";
  static final PayloadCodec CODEC = new PayloadCodec();
  static final long NOW = 1_800_000_000_000L;

  /** A bucket clock the test moves. */
  static final class ManualTime implements TimeMeter {
    long nanos;

    @Override
    public long currentTimeNanos() {
      return nanos;
    }

    @Override
    public boolean isWallClockBased() {
      return false;
    }
  }

  final ManualTime time = new ManualTime();
  final CommandGate gate =
      new CommandGate(
          "edgegw", "gw-7", Set.of("bridge.write", "rules.ack"), 2, 3, time, () -> NOW, 64 * 1024);

  static byte[] write(String id, long deadline) {
    return CODEC.encode(
        new Command(
            1,
            id,
            "bridge",
            "write",
            Map.of("device", "tank", "tag", "inlet", "value", false),
            "edgegw/gw-7/reply/" + id,
            deadline));
  }

  @Test
  void aValidCommandIsRelayedToTheLocalTopicWithTheLocalReplyTopic() {
    Decision d = gate.check(CMD + "bridge/write", write("c-1", NOW + 5000));
    assertThat(d).isInstanceOf(Decision.Relay.class);
    Decision.Relay r = (Decision.Relay) d;
    assertThat(r.localTopic()).isEqualTo("gw/v1/cmd/bridge/write");
    assertThat(r.command().replyTo()).isEqualTo("gw/v1/reply/c-1");
    assertThat(r.command().args()).containsEntry("device", "tank").containsEntry("value", false);
    assertThat(r.command().deadline()).isEqualTo(NOW + 5000);
    assertThat(gate.filter()).isEqualTo("edgegw/gw-7/cmd/#");
  }

  @Test
  void anUnknownTargetOrVerbIsRefusedWithWhatIsRelayed() {
    byte[] restart = CODEC.encode(Command.of("c-2", "ota", "restart", Map.of(), NOW + 5000));
    assertThat(gate.check(CMD + "ota/restart", restart))
        .isEqualTo(
            new Decision.Reject(
                "c-2",
                "unknown target or verb 'ota/restart'; this gateway relays [bridge.write, rules.ack]"));
  }

  @Test
  void aMalformedPayloadIsRefusedWithoutAnId() {
    Decision d = gate.check(CMD + "bridge/write", "{\"v\":1,".getBytes(StandardCharsets.UTF_8));
    assertThat(d).isInstanceOf(Decision.Reject.class);
    Decision.Reject r = (Decision.Reject) d;
    assertThat(r.commandId()).isNull();
    assertThat(r.reason()).startsWith("malformed command: ");
  }

  @Test
  void aPastDeadlineIsRefused() {
    assertThat(gate.check(CMD + "bridge/write", write("c-3", NOW)))
        .isEqualTo(
            new Decision.Reject(
                "c-3", "deadline " + NOW + " is already past (gateway time " + NOW + ")"));
  }

  @Test
  void aCommandOnAnotherTopicThanItNamesIsRefused() {
    assertThat(gate.check(CMD + "rules/ack", write("c-4", NOW + 5000)))
        .isEqualTo(
            new Decision.Reject("c-4", "the command names bridge/write but came on rules/ack"));
    assertThat(
            ((Decision.Reject) gate.check(CMD + "bridge/write/extra", write("c-5", NOW + 1)))
                .reason())
        .startsWith("topic must be edgegw/gw-7/cmd/{target}/{verb}");
  }

  @Test
  void aFloodIsCutAfterTheBurstAndTheRateComesBack() {
    for (int i = 0; i < 3; i++) {
      assertThat(gate.check(CMD + "bridge/write", write("f-" + i, NOW + 5000)))
          .isInstanceOf(Decision.Relay.class);
    }
    assertThat(gate.check(CMD + "bridge/write", write("f-3", NOW + 5000)))
        .isEqualTo(
            new Decision.Reject("f-3", "rate limit: more than 2 commands per second; try later"));
    time.nanos += TimeUnit.MILLISECONDS.toNanos(500); // one token at 2/s
    assertThat(gate.check(CMD + "bridge/write", write("f-4", NOW + 5000)))
        .isInstanceOf(Decision.Relay.class);
    assertThat(gate.check(CMD + "bridge/write", write("f-5", NOW + 5000)))
        .isInstanceOf(Decision.Reject.class);
    time.nanos += TimeUnit.SECONDS.toNanos(10); // refills to the burst, not beyond
    int relayed = 0;
    for (int i = 0; i < 10; i++) {
      if (gate.check(CMD + "bridge/write", write("g-" + i, NOW + 5000)) instanceof Decision.Relay) {
        relayed++;
      }
    }
    assertThat(relayed).isEqualTo(3);
  }
}
