package io.edgegw.uplink.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.DeadLetter;
import io.edgegw.contracts.PayloadCodec;
import io.github.bucket4j.TimeMeter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The relay with in-memory buses (the service test runs it against real brokers). */
class CommandRelayTest {
  static final PayloadCodec CODEC = new PayloadCodec();

  record Sent(String topic, byte[] payload) {}

  final List<Sent> local = new CopyOnWriteArrayList<>();
  final List<Sent> cloud = new CopyOnWriteArrayList<>();
  final CommandRelay relay =
      new CommandRelay(
          new CommandGate(
              "edgegw",
              "gw-7",
              Set.of("bridge.write"),
              100,
              100,
              TimeMeter.SYSTEM_NANOTIME,
              System::currentTimeMillis,
              64 * 1024),
          "edgegw",
          "gw-7",
          (t, p) -> {
            local.add(new Sent(t, p));
            return CompletableFuture.completedFuture(null);
          },
          (t, p) -> {
            cloud.add(new Sent(t, p));
            return CompletableFuture.completedFuture(null);
          },
          Duration.ofMillis(300),
          System::currentTimeMillis);

  static byte[] write(String id) {
    return CODEC.encode(
        Command.of(
            id,
            "bridge",
            "write",
            Map.of("device", "tank", "tag", "inlet", "value", true),
            System.currentTimeMillis() + 60_000));
  }

  static <T extends io.edgegw.contracts.Payload> T as(Sent s, Class<T> type) throws Exception {
    return CODEC.decode(s.payload(), type);
  }

  @Test
  void aRelayedCommandsReplyGoesBackToTheCloud() throws Exception {
    relay.onCloudCommand("edgegw/gw-7/cmd/bridge/write", write("w-1"));
    assertThat(local).hasSize(1);
    assertThat(local.getFirst().topic()).isEqualTo("gw/v1/cmd/bridge/write");
    assertThat(as(local.getFirst(), Command.class).replyTo()).isEqualTo("gw/v1/reply/w-1");
    assertThat(relay.onLocalReply(CODEC.encode(CommandResult.ok("other", 1L, Map.of())))).isFalse();
    assertThat(
            relay.onLocalReply(CODEC.encode(CommandResult.ok("w-1", 1L, Map.of("written", true)))))
        .isTrue();
    assertThat(cloud).hasSize(1);
    assertThat(cloud.getFirst().topic()).isEqualTo("edgegw/gw-7/reply/w-1");
    assertThat(as(cloud.getFirst(), CommandResult.class).ok()).isTrue();
    assertThat(relay.pending()).isZero();
  }

  @Test
  void progressRepliesGoToTheCloudAsTheyComeAndTheCommandEndsAtTheFinalOne() throws Exception {
    relay.onCloudCommand("edgegw/gw-7/cmd/bridge/write", write("w-9"));
    for (String step : List.of("download", "verify", "apply")) {
      assertThat(
              relay.onLocalReply(
                  CODEC.encode(CommandResult.ok("w-9", 1L, Map.of("final", false, "step", step)))))
          .isTrue();
    }
    assertThat(relay.pending()).as("still waiting for the result").isOne();
    assertThat(
            relay.onLocalReply(
                CODEC.encode(CommandResult.ok("w-9", 2L, Map.of("final", true, "version", "2")))))
        .isTrue();
    assertThat(relay.pending()).isZero();
    assertThat(cloud).hasSize(4).allMatch(c -> c.topic().equals("edgegw/gw-7/reply/w-9"));
    assertThat(as(cloud.getLast(), CommandResult.class).result()).containsEntry("version", "2");
    assertThat(relay.onLocalReply(CODEC.encode(CommandResult.ok("w-9", 3L, Map.of())))).isFalse();
  }

  @Test
  void eachProgressReplyRestartsTheWaitAndSilenceAfterItTimesOut() throws Exception {
    relay.onCloudCommand("edgegw/gw-7/cmd/bridge/write", write("w-8"));
    relay.onLocalReply(CODEC.encode(CommandResult.ok("w-8", 1L, Map.of("final", false))));
    await().atMost(Duration.ofSeconds(5)).until(() -> cloud.size() == 2);
    CommandResult r = as(cloud.getLast(), CommandResult.class);
    assertThat(r.ok()).isFalse();
    assertThat(r.reason()).isEqualTo("no reply from bridge within 300 ms");
    assertThat(relay.pending()).isZero();
  }

  @Test
  void aLocalTargetThatDoesNotAnswerGivesATimeoutReply() throws Exception {
    relay.onCloudCommand("edgegw/gw-7/cmd/bridge/write", write("w-2"));
    await().atMost(Duration.ofSeconds(5)).until(() -> cloud.size() == 1);
    CommandResult r = as(cloud.getFirst(), CommandResult.class);
    assertThat(r.ok()).isFalse();
    assertThat(r.reason()).isEqualTo("no reply from bridge within 300 ms");
    assertThat(relay.pending()).isZero();
  }

  @Test
  void refusalsAreAnsweredAndNothingReachesTheLocalBus() throws Exception {
    relay.onCloudCommand(
        "edgegw/gw-7/cmd/ota/restart",
        CODEC.encode(
            Command.of("r-1", "ota", "restart", Map.of(), System.currentTimeMillis() + 60_000)));
    relay.onCloudCommand(
        "edgegw/gw-7/cmd/bridge/write", "not json".getBytes(StandardCharsets.UTF_8));
    assertThat(local).isEmpty();
    assertThat(cloud).hasSize(2);
    assertThat(cloud.get(0).topic()).isEqualTo("edgegw/gw-7/reply/r-1");
    assertThat(as(cloud.get(0), CommandResult.class).reason())
        .startsWith("unknown target or verb 'ota/restart'");
    assertThat(cloud.get(1).topic()).isEqualTo("edgegw/gw-7/dlq");
    assertThat(as(cloud.get(1), DeadLetter.class).reason()).startsWith("malformed command: ");
  }

  @Test
  void aDuplicateIdWhileTheFirstIsPendingIsRefused() throws Exception {
    relay.onCloudCommand("edgegw/gw-7/cmd/bridge/write", write("w-3"));
    relay.onCloudCommand("edgegw/gw-7/cmd/bridge/write", write("w-3"));
    assertThat(local).hasSize(1);
    assertThat(as(cloud.getFirst(), CommandResult.class).reason())
        .isEqualTo("command id 'w-3' is already in progress");
  }
}
