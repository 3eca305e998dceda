package io.edgegw.uplink.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.DeadLetter;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.testsupport.badinput.Corpus;
import io.github.bucket4j.TimeMeter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The malformed cloud command corpus, {@code src/test/resources/corpus/command/}: each payload is
 * fed to the {@link CommandRelay} (and so its {@link CommandGate}) on the topic its sidecar names.
 * Nothing may reach the local bus; exactly one answer goes to the cloud, a failed {@link
 * CommandResult} on {@code reply/<id>} when the sidecar names an id, else a {@link DeadLetter} on
 * {@code dlq}, and its reason holds every other line of the sidecar. Adding a file adds a case.
 *
 * <p>Sidecar lines: {@code topic: <cloud topic>}, {@code id: <command id>|none}, then the reason
 * parts. The gateway's clock stands at {@link #NOW}; payloads are limited to 4096 bytes.
 */
class CommandCorpusTest {
  static final long NOW = 1_800_000_000_000L;
  static final PayloadCodec CODEC = new PayloadCodec();

  record Sent(String topic, byte[] payload) {}

  @TestFactory
  Stream<DynamicTest> everyMalformedCommandIsRefusedWithItsReasonAndNotRelayed() {
    return Corpus.files("corpus/command").stream()
        .map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
  }

  private static void check(Path file) throws Exception {
    String topic = "edgegw/gw-7/cmd/bridge/write";
    String id = null;
    List<String> reason = new ArrayList<>();
    for (String line : Corpus.expectations(file)) {
      if (line.startsWith("topic: ")) {
        topic = line.substring("topic: ".length()).strip();
      } else if (line.startsWith("id: ")) {
        String value = line.substring("id: ".length()).strip();
        id = value.equals("none") ? null : value;
      } else {
        reason.add(line);
      }
    }
    assertThat(reason).as("reason parts of %s", file.getFileName()).isNotEmpty();

    List<Sent> local = new CopyOnWriteArrayList<>();
    List<Sent> cloud = new CopyOnWriteArrayList<>();
    CommandRelay relay =
        new CommandRelay(
            new CommandGate(
                "edgegw",
                "gw-7",
                Set.of("bridge.write", "rules.ack"),
                100,
                100,
                TimeMeter.SYSTEM_NANOTIME,
                () -> NOW,
                4096),
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
            Duration.ofSeconds(5),
            () -> NOW);

    relay.onCloudCommand(topic, Files.readAllBytes(file));

    assertThat(local).as("relayed to the local bus: %s", file.getFileName()).isEmpty();
    assertThat(relay.pending()).isZero();
    assertThat(cloud).as("answers to the cloud for %s", file.getFileName()).hasSize(1);
    Sent answer = cloud.getFirst();
    String why;
    if (id == null) {
      assertThat(answer.topic()).isEqualTo("edgegw/gw-7/dlq");
      DeadLetter dead = CODEC.decode(answer.payload(), DeadLetter.class);
      assertThat(dead.topic()).isEqualTo(topic);
      why = dead.reason();
    } else {
      assertThat(answer.topic()).isEqualTo("edgegw/gw-7/reply/" + id);
      CommandResult result = CODEC.decode(answer.payload(), CommandResult.class);
      assertThat(result.ok()).isFalse();
      assertThat(result.id()).isEqualTo(id);
      why = result.reason();
    }
    for (String part : reason) {
      assertThat(why).as("the reason given for %s", file.getFileName()).contains(part);
    }
  }
}
