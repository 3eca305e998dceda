package io.edgegw.contracts;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.stream.Collectors;

/**
 * JSON codec of the local-bus payloads. Encoding never fails for a valid record. Decoding checks,
 * in this order, the size limit, the JSON syntax, the schema version {@code v}, then every field;
 * each failure is a {@link PayloadException} that says what is wrong and where.
 *
 * <p>Fields unknown to this version are ignored (a producer may add optional fields within v1);
 * fields this version needs are all required. Instances are thread-safe.
 */
public final class PayloadCodec {

  /** Default largest payload accepted, in bytes. */
  public static final int DEFAULT_MAX_BYTES = 1024 * 1024;

  private final ObjectMapper mapper;
  private final int maxBytes;

  /** A codec accepting payloads up to {@link #DEFAULT_MAX_BYTES}. */
  public PayloadCodec() {
    this(DEFAULT_MAX_BYTES);
  }

  /**
   * A codec accepting payloads up to {@code maxBytes}.
   *
   * @param maxBytes largest accepted payload, at least 64
   */
  public PayloadCodec(int maxBytes) {
    if (maxBytes < 64) {
      throw new IllegalArgumentException("maxBytes must be at least 64, got " + maxBytes);
    }
    this.maxBytes = maxBytes;
    JsonMapper built =
        JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            // A field of the wrong JSON type is refused, not converted: "id":7 is not the id "7",
            // "seq":"5" not 5, and "t":1.5 is not silently cut to 1.
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .withCoercionConfig(
                LogicalType.Textual,
                c ->
                    c.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();
    built
        .getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                .maxNestingDepth(32)
                .maxStringLength(maxBytes)
                .maxNumberLength(64)
                .build());
    this.mapper = built;
  }

  /** Largest accepted payload in bytes. */
  public int maxBytes() {
    return maxBytes;
  }

  /** The payload as UTF-8 JSON. */
  public byte[] encode(Payload payload) {
    try {
      return mapper.writeValueAsBytes(payload);
    } catch (JsonProcessingException e) {
      // Records of this module always serialise; reaching this is a programming error.
      throw new UncheckedIOException("cannot encode " + payload.getClass().getSimpleName(), e);
    }
  }

  /**
   * Reads a payload of the given type.
   *
   * @throws PayloadException when the bytes are not a valid payload of that type, with the reason
   */
  public <T extends Payload> T decode(byte[] bytes, Class<T> type) throws PayloadException {
    String what = type.getSimpleName();
    if (bytes == null || bytes.length == 0) {
      throw new PayloadException(what + ": empty payload");
    }
    if (bytes.length > maxBytes) {
      throw new PayloadException(
          what + ": payload is " + bytes.length + " bytes, over the " + maxBytes + "-byte limit");
    }
    JsonNode tree;
    try {
      tree = mapper.readTree(bytes);
    } catch (JacksonException e) {
      throw new PayloadException(what + ": malformed JSON" + at(e) + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new PayloadException(what + ": unreadable payload: " + e.getMessage(), e);
    }
    if (tree == null || !tree.isObject()) {
      throw new PayloadException(what + ": expected a JSON object");
    }
    JsonNode v = tree.get("v");
    if (v == null || !v.isIntegralNumber()) {
      throw new PayloadException(what + ": missing schema version 'v' (an integer)");
    }
    if (v.asLong() != Payload.SCHEMA_VERSION) {
      throw new PayloadException(
          what
              + ": unsupported schema version v="
              + v.asText()
              + "; this build reads v="
              + Payload.SCHEMA_VERSION);
    }
    try {
      return mapper.treeToValue(tree, type);
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      // List.copyOf and Map.copyOf in the records throw a NullPointerException without a message
      // for a null element ("samples":[null]); the reason must still say what is wrong.
      String reason =
          cause.getMessage() != null
              ? cause.getMessage()
              : "a null where a value is required (a null list element or map value)";
      throw new PayloadException(what + field(e) + ": " + reason);
    } catch (JsonMappingException e) {
      throw new PayloadException(what + field(e) + ": " + e.getOriginalMessage());
    } catch (JacksonException e) {
      throw new PayloadException(what + ": " + e.getOriginalMessage());
    }
  }

  private static String at(JacksonException e) {
    JsonLocation loc = e.getLocation();
    if (loc == null || loc.getLineNr() < 0) {
      return "";
    }
    return " at line " + loc.getLineNr() + " column " + loc.getColumnNr();
  }

  /** The JSON path of a mapping failure, e.g. {@code samples[2].t}. */
  private static String field(JsonMappingException e) {
    if (e.getPath().isEmpty()) {
      return "";
    }
    String path =
        e.getPath().stream()
            .map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
            .collect(Collectors.joining());
    return " field '" + (path.startsWith(".") ? path.substring(1) : path) + "'";
  }
}
