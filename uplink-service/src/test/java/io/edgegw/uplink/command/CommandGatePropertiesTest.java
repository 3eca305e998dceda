package io.edgegw.uplink.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.contracts.Command;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.uplink.command.CommandGate.Decision;
import io.github.bucket4j.TimeMeter;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;

/**
 * The command gate under arbitrary cloud messages: it never throws, a refusal always carries a
 * reason, and what it relays is exactly an allowed, unexpired command for the target and verb of
 * its topic, on the local topic, answering on the local reply topic.
 */
class CommandGatePropertiesTest {
  static final long NOW = 1_800_000_000_000L;
  static final PayloadCodec CODEC = new PayloadCodec();

  final CommandGate gate =
      new CommandGate(
          "edgegw",
          "gw-7",
          Set.of("bridge.write", "rules.ack"),
          1_000_000,
          1_000_000,
          TimeMeter.SYSTEM_NANOTIME,
          () -> NOW,
          4096);

  @Property(tries = 300)
  void arbitraryBytesAreRefusedWithAReason(
      @ForAll("topics") String topic, @ForAll @Size(max = 200) byte[] payload) {
    checkDecision(topic, payload);
  }

  @Property(tries = 500)
  void aCommandWithArbitraryFieldsIsRelayedOnlyWhenValid(
      @ForAll("cloudCommands") Tuple2<String, String> m) {
    Decision d = checkDecision(m.get1(), m.get2().getBytes(StandardCharsets.UTF_8));
    // The generator must reach valid commands too, or the relay branch would go untested.
    Statistics.label("decision").collect(d instanceof Decision.Relay ? "relay" : "reject");
    Statistics.label("decision").coverage(c -> c.check("relay").count(n -> n > 0));
  }

  private Decision checkDecision(String topic, byte[] payload) {
    Decision d = gate.check(topic, payload);
    switch (d) {
      case Decision.Reject r -> assertThat(r.reason()).isNotBlank();
      case Decision.Relay r -> {
        Command c = r.command();
        assertThat(topic).isEqualTo("edgegw/gw-7/cmd/" + c.target() + "/" + c.verb());
        assertThat(Set.of("bridge.write", "rules.ack")).contains(c.target() + "." + c.verb());
        assertThat(c.deadline()).isGreaterThan(NOW);
        assertThat(r.localTopic()).isEqualTo("gw/v1/cmd/" + c.target() + "/" + c.verb());
        assertThat(c.replyTo()).isEqualTo("gw/v1/reply/" + c.id());
      }
    }
    return d;
  }

  @Provide
  Arbitrary<String> topics() {
    Arbitrary<String> level =
        Arbitraries.of("bridge", "write", "rules", "ack", "ota", "", "#", "+");
    return Arbitraries.oneOf(
        Arbitraries.of(
            "edgegw/gw-7/cmd/bridge/write",
            "edgegw/gw-7/cmd/rules/ack",
            "edgegw/gw-7/cmd/bridge/ack"),
        level.list().ofMaxSize(4).map(l -> "edgegw/gw-7/cmd/" + String.join("/", l)),
        Arbitraries.strings().ofMaxLength(40));
  }

  /** One of the valid forms (most often) or one of the broken ones of a field. */
  @SafeVarargs
  private static Arbitrary<String> field(String valid, String... broken) {
    return Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.just(valid)), Tuple.of(1, Arbitraries.of(broken)));
  }

  /**
   * A topic and a command whose every field is most often valid and otherwise missing its value, of
   * the wrong type or out of range; the topic names the command's target and verb or not.
   */
  @Provide
  Arbitrary<Tuple2<String, String>> cloudCommands() {
    Arbitrary<String[]> pair =
        Arbitraries.of(
            new String[] {"bridge", "write"},
            new String[] {"rules", "ack"},
            new String[] {"ota", "restart"});
    Arbitrary<String> v = field("1", "2", "\"1\"", "null");
    Arbitrary<String> id = field("\"c-1\"", "\"\"", "\"a/b\"", "7", "null");
    Arbitrary<String> args =
        field("{\"value\":1}", "[]", "\"x\"", "null", "{\"a\":{\"b\":[1,null]}}");
    Arbitrary<String> deadline =
        Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.longs().between(NOW - 10, NOW + 60_000).map(String::valueOf)),
            Tuple.of(1, Arbitraries.of("-1", "\"soon\"", "1e30", "null", "1.5")));
    return pair.flatMap(p ->
        Combinators.combine(v, id, args, deadline, topics(), Arbitraries.integers().between(0, 3))
            .as((vv, i, a, dl, other, pick) ->
                Tuple.of(
                    pick == 0 ? other : "edgegw/gw-7/cmd/" + p[0] + "/" + p[1],
                    "{\"v\":"
                        + vv
                        + ",\"id\":"
                        + i
                        + ",\"target\":\""
                        + p[0]
                        + "\",\"verb\":\""
                        + p[1]
                        + "\",\"args\":"
                        + a
                        + ",\"replyTo\":\"edgegw/gw-7/reply/x\",\"deadline\":"
                        + dl
                        + "}")));
  }
}
