package io.edgegw.buffer.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.contracts.AlarmEvent;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.contracts.Severity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MessageDecoderTest {
  static final long NOW = 1_764_064_800_000L; // 2025-11-25T10:00:00Z
  final PayloadCodec codec = new PayloadCodec(4096);
  final MessageDecoder decoder =
      new MessageDecoder(codec, Duration.ofDays(30), Duration.ofHours(1));

  Inbound decode(String topic, byte[] payload) {
    return decoder.decode(topic, payload, NOW, () -> {});
  }

  byte[] batch(String device, Sample... samples) {
    return codec.encode(SampleBatch.of(device, 7, List.of(samples), 0));
  }

  @Test
  void aGoodBatchBecomesRowsWithNoRejection() {
    Inbound in =
        decode(
            "gw/v1/telemetry/plc",
            batch(
                "plc",
                new Sample("a", NOW - 1000, 1.5, Quality.GOOD),
                new Sample("b", NOW, true, Quality.GOOD)));
    assertThat(in.samples()).hasSize(2);
    assertThat(in.rejected()).isEmpty();
    assertThat(in.newestSampleTime()).isEqualTo(NOW);
  }

  @Test
  void malformedJsonIsRejectedWithTheCodecsReason() {
    Inbound in =
        decode("gw/v1/telemetry/plc", "{\"v\":1,\"device\":".getBytes(StandardCharsets.UTF_8));
    assertThat(in.samples()).isEmpty();
    assertThat(in.rejected())
        .singleElement()
        .satisfies(r -> {
          assertThat(r.kind()).isEqualTo("malformed");
          assertThat(r.letter().reason()).startsWith("SampleBatch:");
          assertThat(r.letter().topic()).isEqualTo("gw/v1/telemetry/plc");
          assertThat(r.letter().component()).isEqualTo("buffer");
        });
  }

  @Test
  void aPayloadOverTheSizeLimitIsRejected() {
    Inbound in = decode("gw/v1/telemetry/plc", new byte[5000]);
    assertThat(in.rejected().getFirst().letter().reason()).contains("over the 4096-byte limit");
  }

  @Test
  void aDeviceThatDoesNotMatchTheTopicIsRejected() {
    Inbound in =
        decode("gw/v1/telemetry/plc", batch("other", new Sample("a", NOW, 1.0, Quality.GOOD)));
    assertThat(in.samples()).isEmpty();
    assertThat(in.rejected().getFirst().kind()).isEqualTo("device_mismatch");
    assertThat(in.rejected().getFirst().letter().reason())
        .isEqualTo("payload device 'other' does not match topic device 'plc'");
  }

  @Test
  void samplesOutsideTheWindowAreRejectedAndTheRestIsKept() {
    long old = NOW - Duration.ofDays(31).toMillis();
    long future = NOW + Duration.ofHours(2).toMillis();
    Inbound in =
        decode(
            "gw/v1/telemetry/plc",
            batch(
                "plc",
                new Sample("a", old, 1.0, Quality.GOOD),
                new Sample("b", NOW, 2.0, Quality.GOOD),
                new Sample("c", future, 3.0, Quality.GOOD)));
    assertThat(in.samples()).extracting(s -> s.series().tag()).containsExactly("b");
    assertThat(in.rejected())
        .singleElement()
        .satisfies(r -> {
          assertThat(r.kind()).isEqualTo("out_of_window");
          assertThat(r.letter().reason())
              .startsWith("2 of 3 samples outside the store's time window")
              .contains("sample 'a' t=" + old + " is older than the retention of PT720H")
              .contains("sample 'c' t=" + future + " is more than PT1H ahead of the gateway clock");
        });
  }

  @Test
  void alarmEventsAreDecoded() {
    byte[] payload =
        codec.encode(
            new AlarmEvent(
                1, "hi", AlarmEvent.Transition.RAISED, Severity.MAJOR, 3.0, NOW, "high", Map.of()));
    Inbound in = decode("gw/v1/event/alarm", payload);
    assertThat(in.alarms()).singleElement().extracting(AlarmEvent::alarmId).isEqualTo("hi");
    assertThat(in.rejected()).isEmpty();
  }

  @Test
  void aTopicTheBufferDoesNotStoreIsRejected() {
    Inbound in = decode("gw/v1/alarm/hi", new byte[] {'{', '}'});
    assertThat(in.rejected().getFirst().kind()).isEqualTo("unknown_topic");
  }
}
