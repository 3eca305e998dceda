package io.edgegw.uplink.outbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * JSON encoding of {@link CloudMessage}s. Backfill payloads above {@code compressAbove} bytes are
 * gzip-compressed and say so in their content type; live payloads never are (latency first).
 * Thread-safe.
 */
public final class MessageCodec {
  /** Content type of plain JSON. */
  public static final String JSON = "application/json";

  /** Content type of gzip-compressed JSON. */
  public static final String JSON_GZIP = "application/json+gzip";

  /** An encoded payload and its content type (the MQTT 5 Content Type property). */
  public record Encoded(byte[] payload, String contentType) {}

  private final ObjectMapper mapper =
      JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
  private final int compressAbove;

  /**
   * @param compressAbove {@code uplink.backfill.compress-above}
   */
  public MessageCodec(int compressAbove) {
    if (compressAbove < 0) {
      throw new IllegalArgumentException("compress-above must be >= 0, got " + compressAbove);
    }
    this.compressAbove = compressAbove;
  }

  /** Encodes a message. */
  public Encoded encode(CloudMessage message) {
    byte[] json;
    try {
      json = mapper.writeValueAsBytes(message);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("cannot encode message " + message.key(), e);
    }
    if (!Lane.BACKFILL.column().equals(message.lane()) || json.length <= compressAbove) {
      return new Encoded(json, JSON);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(json.length / 4 + 64);
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Encoded(out.toByteArray(), JSON_GZIP);
  }

  /** Decodes a telemetry message (the cloud's side; used by the tests). */
  public CloudMessage.Telemetry decodeTelemetry(byte[] payload, String contentType) {
    return decode(payload, contentType, CloudMessage.Telemetry.class);
  }

  /** Decodes an alarm message (the cloud's side; used by the tests). */
  public CloudMessage.Alarms decodeAlarms(byte[] payload, String contentType) {
    return decode(payload, contentType, CloudMessage.Alarms.class);
  }

  private <T> T decode(byte[] payload, String contentType, Class<T> type) {
    try (InputStream in =
        JSON_GZIP.equals(contentType)
            ? new GZIPInputStream(new ByteArrayInputStream(payload))
            : new ByteArrayInputStream(payload)) {
      return mapper.readValue(in, type);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot decode a " + contentType + " payload", e);
    }
  }
}
