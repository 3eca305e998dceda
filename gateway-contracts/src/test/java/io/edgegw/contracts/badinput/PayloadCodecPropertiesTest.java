package io.edgegw.contracts.badinput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.edgegw.contracts.AlarmEvent;
import io.edgegw.contracts.AlarmState;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.DeadLetter;
import io.edgegw.contracts.Payload;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.PayloadException;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.contracts.Severity;
import io.edgegw.contracts.Status;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * The local-bus payload codec under arbitrary and mutated input: every decode ends, within a bound,
 * either in a valid payload of the requested type or in a {@link PayloadException} whose message
 * names the type and the problem; no other exception escapes. Valid payloads survive an
 * encode/decode round trip unchanged. Tries are bounded so the class runs in a few seconds.
 */
class PayloadCodecPropertiesTest {

  /** Longer than any decode should take; a hang fails the try instead of the build timing out. */
  private static final Duration BOUND = Duration.ofSeconds(5);

  private static final List<Class<? extends Payload>> TYPES =
      List.of(
          SampleBatch.class,
          Status.class,
          Command.class,
          CommandResult.class,
          AlarmState.class,
          AlarmEvent.class,
          DeadLetter.class);

  /** Fragments that break JSON or its types in the ways producers do. */
  private static final List<String> FRAGMENTS =
      List.of(
          "{",
          "}",
          "[",
          "]",
          ",",
          ":",
          "\"",
          "\\",
          "null",
          "true",
          "-1",
          "1e999",
          "NaN",
          "-Infinity",
          "99999999999999999999999999",
          "0.1e-400",
          "\"\\u0000\"",
          "\"v\":2,",
          "\"v\":\"1\",",
          "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
          "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}}}}}}",
          "\uFFFD",
          "\u00e9",
          " ");

  private final PayloadCodec codec = new PayloadCodec(64 * 1024);

  @Property(tries = 300)
  void arbitraryBytesGiveAPayloadOrAClearError(
      @ForAll @Size(max = 300) byte[] bytes, @ForAll("types") Class<? extends Payload> type) {
    checkDecode(bytes, type);
  }

  @Property(tries = 300)
  void arbitraryTextGivesAPayloadOrAClearError(
      @ForAll("jsonishText") String text, @ForAll("types") Class<? extends Payload> type) {
    checkDecode(text.getBytes(StandardCharsets.UTF_8), type);
  }

  @Property(tries = 600)
  void aMutatedValidPayloadGivesAPayloadOrAClearError(
      @ForAll("payloads") Payload valid, @ForAll("mutations") List<Mutation> mutations) {
    String json = new String(codec.encode(valid), StandardCharsets.UTF_8);
    for (Mutation m : mutations) {
      json = m.apply(json);
    }
    checkDecode(json.getBytes(StandardCharsets.UTF_8), valid.getClass());
  }

  @Property(tries = 400)
  void aValidPayloadSurvivesTheRoundTrip(@ForAll("payloads") Payload valid) throws Exception {
    assertThat(codec.decode(codec.encode(valid), valid.getClass())).isEqualTo(valid);
  }

  /**
   * Decodes within {@link #BOUND}: a value must be of the type and stable under re-encoding; an
   * error must be a {@link PayloadException} naming the type, with a reason of log-line size.
   */
  private <T extends Payload> void checkDecode(byte[] bytes, Class<T> type) {
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          T value;
          try {
            value = codec.decode(bytes, type);
          } catch (PayloadException e) {
            assertThat(e.getMessage())
                .as("error for %s", new String(bytes, StandardCharsets.UTF_8))
                .startsWith(type.getSimpleName())
                .hasSizeGreaterThan(type.getSimpleName().length() + 5)
                .hasSizeLessThan(2000)
                .doesNotEndWith(": null");
            return;
          }
          // Anything else escaping decode (NullPointerException, IllegalArgumentException from a
          // record, a Jackson RuntimeException) fails the property here.
          assertThat(value).isInstanceOf(type);
          assertThat(codec.decode(codec.encode(value), type)).isEqualTo(value);
        },
        () -> "decode of " + bytes.length + " bytes did not end within " + BOUND);
  }

  @Provide
  Arbitrary<Class<? extends Payload>> types() {
    return Arbitraries.of(TYPES);
  }

  @Provide
  Arbitrary<String> jsonishText() {
    Arbitrary<String> fragment = Arbitraries.of(FRAGMENTS);
    Arbitrary<String> key = Arbitraries.of("v", "id", "t", "device", "samples", "q", "seq", "x");
    Arbitrary<String> member =
        Combinators.combine(key, Arbitraries.oneOf(fragment, Arbitraries.strings().ofMaxLength(8)))
            .as((k, v) -> "\"" + k + "\":" + v);
    return Arbitraries.oneOf(fragment, member, text())
        .list()
        .ofMaxSize(30)
        .map(parts -> "{\"v\":1," + String.join("", parts));
  }

  /** One edit of a JSON text, at a relative position so it applies to any length. */
  record Mutation(int kind, double at, double width, String fragment) {
    String apply(String s) {
      int pos = (int) (at * s.length());
      int end = Math.min(s.length(), pos + 1 + (int) (width * 16));
      return switch (kind) {
        case 0 -> s.substring(0, pos) + s.substring(end); // delete a span
        case 1 -> s.substring(0, pos) + fragment + s.substring(pos); // insert
        case 2 -> s.substring(0, pos) + fragment + s.substring(end); // replace a span
        case 3 -> s.substring(0, pos); // truncate
        case 4 ->
            s.replaceFirst(
                "-?\\d+(\\.\\d+)?",
                Matcher.quoteReplacement(fragment)); // change a number's type or size
        case 5 ->
            s.replaceFirst(
                "\"[^\"]*\"(?=[,}\\]])",
                Matcher.quoteReplacement(fragment)); // change a string value
        default -> s + s.substring(0, pos); // trailing content
      };
    }
  }

  @Provide
  Arbitrary<List<Mutation>> mutations() {
    Arbitrary<Mutation> one =
        Combinators.combine(
                Arbitraries.integers().between(0, 6),
                Arbitraries.doubles().between(0, 1),
                Arbitraries.doubles().between(0, 1),
                Arbitraries.oneOf(Arbitraries.of(FRAGMENTS), Arbitraries.strings().ofMaxLength(4)))
            .as(Mutation::new);
    return one.list().ofMinSize(1).ofMaxSize(3);
  }

  @Provide
  Arbitrary<Payload> payloads() {
    return Arbitraries.oneOf(
        sampleBatches(),
        statuses(),
        commands(),
        commandResults(),
        alarmStates(),
        alarmEvents(),
        deadLetters());
  }

  // Generators of valid payloads. Numbers in free-form maps are Integers and Doubles: JSON has
  // no integer width, so a Long that fits an int comes back as an Integer there (samples
  // normalise their own values).

  private static Arbitrary<String> level() {
    return Arbitraries.strings()
        .withCharRange('a', 'z')
        .withCharRange('A', 'Z')
        .withCharRange('0', '9')
        .withChars("_.-")
        .ofMinLength(1)
        .ofMaxLength(64);
  }

  /** Unicode text without lone surrogates (which no UTF-8 producer can send). */
  private static Arbitrary<String> text() {
    return Arbitraries.strings()
        .withCharRange('\u0000', '\uD7FF')
        .withCharRange('\uE000', '\uFFFD')
        .ofMaxLength(40);
  }

  private static Arbitrary<String> nonBlank() {
    return text().filter(s -> !s.isBlank());
  }

  private static Arbitrary<Long> epoch() {
    return Arbitraries.longs().between(0, 4_102_444_800_000L);
  }

  private static Arbitrary<Object> scalar() {
    return Arbitraries.oneOf(
        Arbitraries.integers().map(i -> (Object) i),
        Arbitraries.doubles().map(d -> (Object) d),
        Arbitraries.of(true, false).map(b -> (Object) b),
        text().map(s -> (Object) s));
  }

  private static Arbitrary<Map<String, Object>> freeMap() {
    return Arbitraries.maps(level(), scalar()).ofMaxSize(4);
  }

  private static Arbitrary<Sample> samples() {
    Arbitrary<Object> value =
        Arbitraries.oneOf(
            Arbitraries.longs().map(l -> (Object) l),
            Arbitraries.doubles().map(d -> (Object) d),
            Arbitraries.bigIntegers()
                .between(
                    BigInteger.ONE.shiftLeft(63),
                    BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE))
                .map(b -> (Object) b),
            Arbitraries.of(true, false).map(b -> (Object) b),
            text().map(s -> (Object) s));
    Arbitrary<Sample> good =
        Combinators.combine(nonBlank(), epoch(), value)
            .as((tag, t, v) -> new Sample(tag, t, v, Quality.GOOD));
    Arbitrary<Sample> notGood =
        Combinators.combine(
                nonBlank(),
                epoch(),
                value.injectNull(0.5),
                Arbitraries.of(Quality.BAD, Quality.STALE, Quality.COMM_FAILURE))
            .as(Sample::new);
    return Arbitraries.oneOf(good, notGood);
  }

  private static Arbitrary<Payload> sampleBatches() {
    return Combinators.combine(
            level(),
            Arbitraries.longs().greaterOrEqual(0),
            samples().list().ofMinSize(1).ofMaxSize(6),
            Arbitraries.longs().greaterOrEqual(0))
        .as(SampleBatch::of);
  }

  private static Arbitrary<Payload> statuses() {
    return Combinators.combine(
            level(), Arbitraries.of(Status.State.class), nonBlank(), epoch(), epoch(), freeMap())
        .as(Status::of);
  }

  private static Arbitrary<Payload> commands() {
    return Combinators.combine(level(), level(), level(), freeMap(), epoch()).as(Command::of);
  }

  private static Arbitrary<Payload> commandResults() {
    return Arbitraries.oneOf(
        Combinators.combine(level(), epoch(), freeMap()).as(CommandResult::ok),
        Combinators.combine(level(), epoch(), nonBlank()).as(CommandResult::failed));
  }

  private static Arbitrary<Payload> alarmStates() {
    return Combinators.combine(
            level(),
            Arbitraries.of(true, false),
            Arbitraries.of(true, false),
            Arbitraries.of(Severity.class),
            scalar().injectNull(0.2),
            epoch(),
            text())
        .as((id, active, acked, sev, value, since, msg) ->
            new AlarmState(1, id, active, acked, sev, value, since, msg));
  }

  private static Arbitrary<Payload> alarmEvents() {
    return Combinators.combine(
            level(),
            Arbitraries.of(AlarmEvent.Transition.class),
            Arbitraries.of(Severity.class),
            scalar().injectNull(0.2),
            epoch(),
            text(),
            freeMap())
        .as((id, tr, sev, value, t, msg, detail) ->
            new AlarmEvent(1, id, tr, sev, value, t, msg, detail));
  }

  private static Arbitrary<Payload> deadLetters() {
    return Combinators.combine(level(), nonBlank(), nonBlank(), epoch(), text())
        .as((component, topic, reason, t, payload) ->
            new DeadLetter(1, component, topic, reason, t, payload, payload.length()));
  }
}
