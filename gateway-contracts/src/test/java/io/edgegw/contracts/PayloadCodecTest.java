package io.edgegw.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PayloadCodecTest {

  private final PayloadCodec codec = new PayloadCodec();

  private static byte[] json(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private <T extends Payload> T roundTrip(T payload, Class<T> type) throws PayloadException {
    return codec.decode(codec.encode(payload), type);
  }

  @Test
  void sampleBatchRoundTripKeepsEveryValueKind() throws Exception {
    var batch =
        SampleBatch.of(
            "boiler-1",
            42,
            List.of(
                new Sample("count", 1_700_000_000_000L, 7L, Quality.GOOD),
                new Sample("temp", 1_700_000_000_001L, 21.5, Quality.GOOD),
                new Sample(
                    "big",
                    1_700_000_000_002L,
                    new BigInteger("18446744073709551615"),
                    Quality.GOOD),
                new Sample("run", 1_700_000_000_003L, true, Quality.GOOD),
                new Sample("name", 1_700_000_000_004L, "PUMP-A", Quality.GOOD),
                new Sample("lost", 1_700_000_000_005L, null, Quality.COMM_FAILURE),
                new Sample("old", 1_700_000_000_006L, 3.0, Quality.STALE)),
            3);
    SampleBatch back = roundTrip(batch, SampleBatch.class);
    assertThat(back).isEqualTo(batch);
    assertThat(back.samples().get(0).v()).isEqualTo(7L);
    assertThat(back.samples().get(2).v()).isEqualTo(new BigInteger("18446744073709551615"));
    assertThat(back.gapBefore()).isEqualTo(3);
  }

  @Test
  void everyPayloadTypeRoundTrips() throws Exception {
    var status = Status.of("bridge", Status.State.ONLINE, "0.1.0", 10, 20, Map.of("devices", 3));
    var command = Command.of("c-1", "bridge", "write", Map.of("device", "d1", "value", 5), 99);
    var ok = CommandResult.ok("c-1", 30, Map.of("written", 1));
    var failed = CommandResult.failed("c-2", 31, "tag 'x' is not writable");
    var state =
        new AlarmState(1, "hi-temp", true, false, Severity.MAJOR, 88.5, 40, "temp 88.5 > 80");
    var event =
        new AlarmEvent(
            1,
            "hi-temp",
            AlarmEvent.Transition.RAISED,
            Severity.MAJOR,
            88.5,
            41,
            "temp high",
            Map.of("interlock", "ok"));
    var dead = DeadLetter.of("bridge", "gw/v1/cmd/bridge/write", "bad", 50, json("{oops"));

    assertThat(roundTrip(status, Status.class)).isEqualTo(status);
    assertThat(roundTrip(command, Command.class)).isEqualTo(command);
    assertThat(command.replyTo()).isEqualTo("gw/v1/reply/c-1");
    assertThat(roundTrip(ok, CommandResult.class)).isEqualTo(ok);
    assertThat(roundTrip(failed, CommandResult.class)).isEqualTo(failed);
    assertThat(roundTrip(state, AlarmState.class)).isEqualTo(state);
    assertThat(roundTrip(event, AlarmEvent.class)).isEqualTo(event);
    assertThat(roundTrip(dead, DeadLetter.class)).isEqualTo(dead);
  }

  @Test
  void encodedPayloadCarriesSchemaVersion() {
    String text =
        new String(
            codec.encode(Status.of("rules", Status.State.STARTING, "1", 0, 0, Map.of())),
            StandardCharsets.UTF_8);
    assertThat(text).contains("\"v\":1");
  }

  @Test
  void malformedJsonSaysWhere() {
    assertThatThrownBy(() -> codec.decode(json("{\"v\":1,\n\"device\": }"), SampleBatch.class))
        .isInstanceOf(PayloadException.class)
        .hasMessageContaining("malformed JSON at line 2");
  }

  @Test
  void wrongVersionIsRejectedBeforeFields() {
    assertThatThrownBy(() -> codec.decode(json("{\"v\":2,\"whatever\":true}"), Status.class))
        .hasMessageContaining("unsupported schema version v=2; this build reads v=1");
  }

  @Test
  void missingVersionIsRejected() {
    assertThatThrownBy(() -> codec.decode(json("{\"device\":\"d\"}"), SampleBatch.class))
        .hasMessageContaining("missing schema version 'v'");
    assertThatThrownBy(() -> codec.decode(json("{\"v\":\"1\"}"), SampleBatch.class))
        .hasMessageContaining("missing schema version 'v' (an integer)");
  }

  @Test
  void oversizedPayloadIsRejectedWithSizes() {
    var small = new PayloadCodec(100);
    byte[] big = new byte[101];
    assertThatThrownBy(() -> small.decode(big, SampleBatch.class))
        .hasMessage("SampleBatch: payload is 101 bytes, over the 100-byte limit");
  }

  @Test
  void missingRequiredFieldNamesTheField() {
    assertThatThrownBy(() ->
            codec.decode(
                json("{\"v\":1,\"device\":\"d\",\"samples\":[],\"gapBefore\":0}"),
                SampleBatch.class))
        .hasMessageContaining("seq");
  }

  @Test
  void invalidValueInsideArrayNamesThePath() {
    String payload =
        "{\"v\":1,\"device\":\"d\",\"seq\":1,\"gapBefore\":0,\"samples\":["
            + "{\"tag\":\"a\",\"t\":1,\"v\":1,\"q\":\"GOOD\"},"
            + "{\"tag\":\"b\",\"t\":-5,\"v\":1,\"q\":\"GOOD\"}]}";
    assertThatThrownBy(() -> codec.decode(json(payload), SampleBatch.class))
        .hasMessageContaining("samples[1]")
        .hasMessageContaining("'t' must be epoch milliseconds");
  }

  @Test
  void wrongTypeIsRejected() {
    String payload =
        "{\"v\":1,\"device\":\"d\",\"seq\":\"many\",\"gapBefore\":0,\"samples\":"
            + "[{\"tag\":\"a\",\"t\":1,\"v\":1,\"q\":\"GOOD\"}]}";
    assertThatThrownBy(() -> codec.decode(json(payload), SampleBatch.class))
        .hasMessageContaining("field 'seq'");
  }

  @Test
  void unknownQualityIsRejected() {
    String payload =
        "{\"v\":1,\"device\":\"d\",\"seq\":1,\"gapBefore\":0,\"samples\":"
            + "[{\"tag\":\"a\",\"t\":1,\"v\":1,\"q\":\"GREAT\"}]}";
    assertThatThrownBy(() -> codec.decode(json(payload), SampleBatch.class))
        .hasMessageContaining("samples[0].q")
        .hasMessageContaining("GREAT");
  }

  @Test
  void objectAsSampleValueIsRejected() {
    String payload =
        "{\"v\":1,\"device\":\"d\",\"seq\":1,\"gapBefore\":0,\"samples\":"
            + "[{\"tag\":\"a\",\"t\":1,\"v\":{\"x\":1},\"q\":\"GOOD\"}]}";
    assertThatThrownBy(() -> codec.decode(json(payload), SampleBatch.class))
        .hasMessageContaining("value must be a number, boolean or string");
  }

  @Test
  void goodSampleWithoutValueIsRejected() {
    String payload =
        "{\"v\":1,\"device\":\"d\",\"seq\":1,\"gapBefore\":0,\"samples\":"
            + "[{\"tag\":\"a\",\"t\":1,\"v\":null,\"q\":\"GOOD\"}]}";
    assertThatThrownBy(() -> codec.decode(json(payload), SampleBatch.class))
        .hasMessageContaining("quality GOOD but no value");
  }

  @Test
  void emptyBatchIsRejected() {
    assertThatThrownBy(() ->
            codec.decode(
                json("{\"v\":1,\"device\":\"d\",\"seq\":1,\"gapBefore\":0,\"samples\":[]}"),
                SampleBatch.class))
        .hasMessageContaining("at least one sample");
  }

  @Test
  void deviceThatIsNotATopicLevelIsRejected() {
    String payload =
        "{\"v\":1,\"device\":\"a/#\",\"seq\":1,\"gapBefore\":0,\"samples\":"
            + "[{\"tag\":\"a\",\"t\":1,\"v\":1,\"q\":\"GOOD\"}]}";
    assertThatThrownBy(() -> codec.decode(json(payload), SampleBatch.class))
        .hasMessageContaining("'device' must be 1-64 characters");
  }

  @Test
  void nonObjectEmptyAndTrailingGarbageAreRejected() {
    assertThatThrownBy(() -> codec.decode(json("[1,2]"), Status.class))
        .hasMessageContaining("expected a JSON object");
    assertThatThrownBy(() -> codec.decode(new byte[0], Status.class))
        .hasMessageContaining("empty payload");
    assertThatThrownBy(() -> codec.decode(json("{\"v\":1} {}"), Status.class))
        .hasMessageContaining("malformed JSON");
  }

  @Test
  void nanLiteralAndDeepNestingAreRejected() {
    String nan =
        "{\"v\":1,\"device\":\"d\",\"seq\":1,\"gapBefore\":0,\"samples\":"
            + "[{\"tag\":\"a\",\"t\":1,\"v\":NaN,\"q\":\"GOOD\"}]}";
    assertThatThrownBy(() -> codec.decode(json(nan), SampleBatch.class))
        .hasMessageContaining("malformed JSON");
    String deep = "{\"v\":1,\"x\":" + "[".repeat(100) + "]".repeat(100) + "}";
    assertThatThrownBy(() -> codec.decode(json(deep), Status.class))
        .hasMessageContaining("malformed JSON")
        .hasMessageContaining("nesting depth");
  }

  @Test
  void failedResultWithoutReasonIsRejected() {
    assertThatThrownBy(() ->
            codec.decode(
                json("{\"v\":1,\"id\":\"c\",\"ok\":false,\"reason\":\"\",\"t\":1,\"result\":{}}"),
                CommandResult.class))
        .hasMessageContaining("must carry a 'reason'");
  }

  @Test
  void unknownFieldsOfTheSameVersionAreIgnored() throws Exception {
    Status s =
        codec.decode(
            json(
                "{\"v\":1,\"component\":\"bridge\",\"state\":\"ONLINE\",\"version\":\"1\","
                    + "\"started\":1,\"t\":2,\"detail\":{},\"newField\":\"later\"}"),
            Status.class);
    assertThat(s.state()).isEqualTo(Status.State.ONLINE);
  }
}
