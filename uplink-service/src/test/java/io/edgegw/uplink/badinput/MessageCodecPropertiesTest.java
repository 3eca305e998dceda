package io.edgegw.uplink.badinput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.edgegw.uplink.outbox.CloudMessage;
import io.edgegw.uplink.outbox.MessageCodec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The cloud message codec: any telemetry or alarm message survives encode and decode unchanged; a
 * message is gzip-compressed, and says so in its content type, exactly when it is a backfill
 * message larger than the threshold; and decoding arbitrary bytes under either content type ends,
 * within a bound, in a message or an {@link UncheckedIOException} naming the content type.
 */
class MessageCodecPropertiesTest {
  private static final Duration BOUND = Duration.ofSeconds(5);

  @Property(tries = 300)
  void telemetryRoundTripsAndIsCompressedExactlyWhenLargeBackfill(
      @ForAll("telemetry") CloudMessage.Telemetry m, @ForAll @IntRange(max = 4096) int threshold)
      throws IOException {
    MessageCodec codec = new MessageCodec(threshold);
    MessageCodec.Encoded e = codec.encode(m);
    checkCompression(m, threshold, e);
    assertThat(codec.decodeTelemetry(e.payload(), e.contentType())).isEqualTo(m);
  }

  @Property(tries = 300)
  void alarmsRoundTripAndAreCompressedExactlyWhenLargeBackfill(
      @ForAll("alarms") CloudMessage.Alarms m, @ForAll @IntRange(max = 4096) int threshold)
      throws IOException {
    MessageCodec codec = new MessageCodec(threshold);
    MessageCodec.Encoded e = codec.encode(m);
    checkCompression(m, threshold, e);
    assertThat(codec.decodeAlarms(e.payload(), e.contentType())).isEqualTo(m);
  }

  @Property(tries = 300)
  void arbitraryBytesDecodeToAMessageOrAClearError(
      @ForAll @Size(max = 300) byte[] payload, @ForAll("contentTypes") String contentType) {
    MessageCodec codec = new MessageCodec(0);
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          try {
            assertThat(codec.decodeTelemetry(payload, contentType)).isNotNull();
          } catch (UncheckedIOException e) {
            assertThat(e.getMessage()).isEqualTo("cannot decode a " + contentType + " payload");
            assertThat(e.getCause()).isNotNull();
          }
        });
  }

  /** The plain JSON of the message, decompressed when the codec compressed it. */
  private static void checkCompression(CloudMessage m, int threshold, MessageCodec.Encoded e)
      throws IOException {
    byte[] json =
        e.contentType().equals(MessageCodec.JSON_GZIP)
            ? new GZIPInputStream(new ByteArrayInputStream(e.payload())).readAllBytes()
            : e.payload();
    boolean compress = m.lane().equals("backfill") && json.length > threshold;
    assertThat(e.contentType())
        .as("%s lane, %d bytes, threshold %d", m.lane(), json.length, threshold)
        .isEqualTo(compress ? MessageCodec.JSON_GZIP : MessageCodec.JSON);
  }

  @Provide
  Arbitrary<String> contentTypes() {
    return Arbitraries.of(MessageCodec.JSON, MessageCodec.JSON_GZIP, "text/plain");
  }

  // Values in JSON have no integer width: an int comes back as an Integer, a larger integral
  // number as a Long, so the generators use those; doubles come back as doubles.

  private static Arbitrary<String> text() {
    return Arbitraries.strings()
        .withCharRange('\u0000', '\uD7FF')
        .withCharRange('\uE000', '\uFFFD')
        .ofMaxLength(30);
  }

  private static Arbitrary<Object> value() {
    return Arbitraries.oneOf(
        Arbitraries.integers().map(i -> (Object) i),
        Arbitraries.longs()
            .filter(l -> l > Integer.MAX_VALUE || l < Integer.MIN_VALUE)
            .map(l -> (Object) l),
        Arbitraries.doubles().map(d -> (Object) d),
        Arbitraries.of(true, false).map(b -> (Object) b),
        text().map(s -> (Object) s),
        Arbitraries.just(null));
  }

  private static Arbitrary<String> lane() {
    return Arbitraries.of("live", "backfill");
  }

  @Provide
  Arbitrary<CloudMessage.Telemetry> telemetry() {
    Arbitrary<CloudMessage.Sample> sample =
        Combinators.combine(
                text(),
                text(),
                Arbitraries.longs().between(0, 4_102_444_800_000L),
                value(),
                Arbitraries.of("GOOD", "BAD", "STALE", "COMM_FAILURE"))
            .as(CloudMessage.Sample::new);
    return Combinators.combine(
            text(),
            lane(),
            text(),
            Arbitraries.longs().greaterOrEqual(0),
            Arbitraries.longs().greaterOrEqual(0),
            sample.list().ofMaxSize(80))
        .as((gw, lane, key, from, to, samples) ->
            new CloudMessage.Telemetry(1, gw, lane, key, from, to, samples));
  }

  @Provide
  Arbitrary<CloudMessage.Alarms> alarms() {
    Arbitrary<Map<String, Object>> detail =
        Arbitraries.maps(text(), value().filter(v -> v != null)).ofMaxSize(3);
    Arbitrary<CloudMessage.Event> event =
        Combinators.combine(
                text(),
                Arbitraries.of("RAISED", "ACKNOWLEDGED", "CLEARED", "RESET", "ACTION"),
                Arbitraries.of("INFO", "WARNING", "MAJOR", "CRITICAL"),
                value(),
                Arbitraries.longs().between(0, 4_102_444_800_000L),
                text(),
                detail)
            .as(CloudMessage.Event::new);
    return Combinators.combine(
            text(),
            lane(),
            text(),
            Arbitraries.longs().greaterOrEqual(0),
            Arbitraries.longs().greaterOrEqual(0),
            event.list().ofMaxSize(20))
        .as((gw, lane, key, from, to, events) ->
            new CloudMessage.Alarms(1, gw, lane, key, from, to, List.copyOf(events)));
  }
}
