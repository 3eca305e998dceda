package io.edgegw.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.contracts.AlarmEvent.Transition;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Topics;
import io.edgegw.rules.config.Action;
import io.edgegw.rules.config.TagRef;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The interlock's retry policy with a bridge stand-in that answers each attempt as the test says
 * (the process test runs it against the real bridge and simulator).
 */
class InterlocksTest {
  static final PayloadCodec CODEC = new PayloadCodec();
  static final Action.Interlock CLOSE_INLET =
      new Action.Interlock(
          Transition.RAISED,
          new TagRef("tank", "inlet"),
          false,
          Duration.ofMillis(200),
          2,
          Duration.ofMillis(10));

  final List<Command> sent = new ArrayList<>();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  /** Interlocks whose bridge answers attempt n (1-based) with {@code answer.apply(n)}, or not. */
  Interlocks bridge(Function<Integer, Boolean> answerOk) {
    Interlocks[] self = new Interlocks[1];
    self[0] =
        new Interlocks(
            (topic, payload) -> {
              assertThat(topic).isEqualTo(Topics.command("bridge", "write"));
              Command c;
              try {
                c = CODEC.decode(payload, Command.class);
              } catch (Exception e) {
                throw new AssertionError(e);
              }
              sent.add(c);
              Boolean ok = answerOk.apply(sent.size());
              if (ok != null) {
                long now = System.currentTimeMillis();
                self[0].onReply(
                    ok
                        ? CommandResult.ok(c.id(), now, Map.of())
                        : CommandResult.failed(c.id(), now, "device answered exception 2"));
              }
              return CompletableFuture.completedFuture(null);
            },
            CODEC,
            InstantSource.system(),
            registry);
    return self[0];
  }

  Map<String, Object> run(Interlocks i) throws Exception {
    return i.run(CLOSE_INLET).get(5, TimeUnit.SECONDS);
  }

  @Test
  void aWriteTheBridgeConfirmsIsOneAttempt() throws Exception {
    Map<String, Object> outcome = run(bridge(n -> true));
    assertThat(outcome).containsEntry("ok", true).containsEntry("attempts", 1);
    assertThat(outcome).containsEntry("device", "tank").containsEntry("tag", "inlet");
    assertThat(sent).hasSize(1);
    Command c = sent.getFirst();
    assertThat(c.target()).isEqualTo("bridge");
    assertThat(c.verb()).isEqualTo("write");
    assertThat(c.args())
        .containsEntry("device", "tank")
        .containsEntry("tag", "inlet")
        .containsEntry("value", false);
    // The bridge must not carry out an attempt the rules have given up on.
    assertThat(c.deadline() - System.currentTimeMillis()).isBetween(-5_000L, 200L);
  }

  @Test
  void anUnansweredAttemptTimesOutAndTheNextOneIsMadeWithANewId() throws Exception {
    Map<String, Object> outcome = run(bridge(n -> n == 1 ? null : true));
    assertThat(outcome).containsEntry("ok", true).containsEntry("attempts", 2);
    assertThat(sent).hasSize(2);
    assertThat(sent.get(0).id()).isNotEqualTo(sent.get(1).id());
  }

  @Test
  void refusalsAreRetriedAsConfiguredAndTheLastReasonIsRecorded() throws Exception {
    Interlocks i = bridge(n -> false);
    Map<String, Object> outcome = run(i);
    assertThat(outcome)
        .containsEntry("ok", false)
        .containsEntry("attempts", 3)
        .containsEntry("reason", "bridge refused: device answered exception 2");
    assertThat(sent).hasSize(3);
    assertThat(i.pending()).isZero();
    assertThat(registry.counter("rules.interlocks", "ok", "false").count()).isEqualTo(1.0);
  }

  @Test
  void aBridgeThatNeverAnswersGivesATimeoutOutcome() throws Exception {
    Interlocks i = bridge(n -> null);
    Map<String, Object> outcome = run(i);
    assertThat(outcome).containsEntry("ok", false).containsEntry("attempts", 3);
    assertThat(outcome.get("reason")).isEqualTo("no reply within 200 ms");
    assertThat(i.pending()).isZero();
  }

  @Test
  void aReplyToSomeoneElsesCommandIsNotOurs() {
    Interlocks i = bridge(n -> true);
    assertThat(i.onReply(CommandResult.ok("cloud-cmd-1", System.currentTimeMillis(), Map.of())))
        .isFalse();
  }
}
