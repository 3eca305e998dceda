package io.edgegw.bundle;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.edgegw.bundle.BundleRejectedException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The JSON form of {@link BundleManifest}, and its canonical encoding.
 *
 * <pre>{@code
 * {"v":1,"version":"1.4.0","minAgentVersion":"1.0.0","services":["bridge","buffer"],
 *  "healthChecks":{"bridge":"http://127.0.0.1:8081/q/health/ready","buffer":"status"},
 *  "created":"2026-11-27T15:00:00Z"}
 * }</pre>
 *
 * <p>The canonical encoding is exactly that: UTF-8, no whitespace, the keys in this order, the
 * services in their order, the health checks sorted by service, {@code created} as ISO-8601 UTC
 * ({@link Instant#toString()}). It is a function of the record alone, so a manifest file whose
 * whitespace was changed still has the same digest, and any change of meaning changes it. Reading
 * is strict: an unknown field, a missing field or a wrong type is refused.
 */
final class ManifestJson {

  static final int SCHEMA_VERSION = 1;
  private static final Set<String> FIELDS =
      Set.of("v", "version", "minAgentVersion", "services", "healthChecks", "created");
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private ManifestJson() {}

  /** The canonical encoding, which the bundle digest covers. */
  static byte[] canonical(BundleManifest manifest) {
    return write(manifest, false);
  }

  /** The same content, indented for people; what {@code manifest.json} holds. */
  static byte[] pretty(BundleManifest manifest) {
    return write(manifest, true);
  }

  private static byte[] write(BundleManifest manifest, boolean indent) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("v", SCHEMA_VERSION);
    root.put("version", manifest.version());
    root.put("minAgentVersion", manifest.minAgentVersion());
    ArrayNode services = root.putArray("services");
    manifest.services().forEach(services::add);
    ObjectNode checks = root.putObject("healthChecks");
    new TreeMap<>(manifest.healthChecks()).forEach(checks::put);
    root.put("created", manifest.created().toString());
    try {
      byte[] json =
          indent
              ? MAPPER.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(root)
              : MAPPER.writeValueAsBytes(root);
      if (!indent) {
        return json;
      }
      byte[] withNewline = new byte[json.length + 1];
      System.arraycopy(json, 0, withNewline, 0, json.length);
      withNewline[json.length] = '\n';
      return withNewline;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode a manifest tree", e);
    }
  }

  /**
   * Parses a manifest.
   *
   * @param where the file it came from, for messages
   * @throws BundleRejectedException {@link Reason#MALFORMED} naming the field or the line
   */
  static BundleManifest parse(byte[] json, String where) throws BundleRejectedException {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String position =
          at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
      throw new BundleRejectedException(
          Reason.MALFORMED,
          where + " is not valid JSON" + position + ": " + e.getOriginalMessage(),
          e);
    } catch (IOException e) {
      throw new BundleRejectedException(Reason.MALFORMED, where + " cannot be read", e);
    }
    if (root == null || !root.isObject()) {
      throw malformed(where, "the top level must be a JSON object");
    }
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw malformed(where, "unknown field '" + name + "'; the fields are " + FIELDS);
      }
    }
    JsonNode v = root.get("v");
    if (v == null || !v.isInt() || v.intValue() != SCHEMA_VERSION) {
      throw malformed(where, "field 'v' must be " + SCHEMA_VERSION + ", found " + v);
    }
    String version = text(root, "version", where);
    String minAgent = text(root, "minAgentVersion", where);
    JsonNode servicesNode = root.get("services");
    if (servicesNode == null || !servicesNode.isArray()) {
      throw malformed(where, "field 'services' must be an array of service names");
    }
    List<String> services = new ArrayList<>();
    for (JsonNode service : servicesNode) {
      if (!service.isTextual()) {
        throw malformed(where, "field 'services' holds " + service + ", not a service name");
      }
      services.add(service.textValue());
    }
    JsonNode checksNode = root.get("healthChecks");
    if (checksNode == null || !checksNode.isObject()) {
      throw malformed(where, "field 'healthChecks' must be an object of service to check");
    }
    Map<String, String> checks = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> check : checksNode.properties()) {
      if (!check.getValue().isTextual()) {
        throw malformed(where, "healthChecks." + check.getKey() + " must be a string");
      }
      checks.put(check.getKey(), check.getValue().textValue());
    }
    Instant created;
    try {
      created = Instant.parse(text(root, "created", where));
    } catch (DateTimeParseException e) {
      throw malformed(
          where, "field 'created' must be an ISO-8601 UTC instant such as 2026-11-27T15:00:00Z");
    }
    try {
      return new BundleManifest(version, minAgent, services, checks, created);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw malformed(where, e.getMessage());
    }
  }

  private static String text(JsonNode root, String field, String where)
      throws BundleRejectedException {
    JsonNode node = root.get(field);
    if (node == null || !node.isTextual()) {
      throw malformed(where, "field '" + field + "' must be a string, found " + node);
    }
    return node.textValue();
  }

  private static BundleRejectedException malformed(String where, String what) {
    return new BundleRejectedException(Reason.MALFORMED, where + ": " + what);
  }

  static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
