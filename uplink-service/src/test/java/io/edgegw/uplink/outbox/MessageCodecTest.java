package io.edgegw.uplink.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** Cloud message encoding: JSON, and gzip with its content type for large backfill messages. */
class MessageCodecTest {
  final MessageCodec codec = new MessageCodec(1024);

  static CloudMessage.Telemetry telemetry(String lane, int samples) {
    List<CloudMessage.Sample> list = new ArrayList<>();
    for (int i = 0; i < samples; i++) {
      list.add(
          new CloudMessage.Sample(
              "tank", "level", 1_800_000_000_000L + i * 1000L, 40.5 + i, "GOOD"));
    }
    return new CloudMessage.Telemetry(1, "gw-7", lane, "gw-7:t:10-12", 10, 12, list);
  }

  @Test
  void aLargeBackfillMessageIsGzipAndSaysSo() throws Exception {
    CloudMessage.Telemetry m = telemetry("backfill", 200);
    MessageCodec.Encoded e = codec.encode(m);
    assertThat(e.contentType()).isEqualTo(MessageCodec.JSON_GZIP);
    byte[] json;
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(e.payload()))) {
      json = in.readAllBytes();
    }
    assertThat(json.length).isGreaterThan(1024).isGreaterThan(e.payload().length);
    assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"key\":\"gw-7:t:10-12\"");
    assertThat(codec.decodeTelemetry(e.payload(), e.contentType())).isEqualTo(m);
  }

  @Test
  void liveAndSmallMessagesArePlainJson() throws Exception {
    MessageCodec.Encoded live = codec.encode(telemetry("live", 200));
    assertThat(live.contentType()).isEqualTo(MessageCodec.JSON);
    assertThat(new String(live.payload(), StandardCharsets.UTF_8)).startsWith("{");
    MessageCodec.Encoded small = codec.encode(telemetry("backfill", 2));
    assertThat(small.contentType()).isEqualTo(MessageCodec.JSON);
    assertThat(codec.decodeTelemetry(small.payload(), small.contentType()))
        .isEqualTo(telemetry("backfill", 2));
  }
}
