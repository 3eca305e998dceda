package io.edgegw.bundle;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.edgegw.bundle.BundleRejectedException.Reason;
import java.io.IOException;
import java.util.Base64;
import java.util.Iterator;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The contents of {@code signature.ed25519}: a detached Ed25519 signature over the UTF-8 bytes of
 * the signed digest string ({@code sha256:<hex>}), with the id of the key that made it.
 *
 * <pre>{@code
 * {"v":1,"algorithm":"Ed25519","keyId":"sha256:...","digest":"sha256:...","signature":"<base64>"}
 * }</pre>
 *
 * <p>Carrying the digest lets a verifier say "the content changed after signing" ({@code TAMPERED})
 * rather than only "bad signature"; the signature is still checked against the digest the verifier
 * computes itself, never against this field.
 */
record SignatureEnvelope(String keyId, String digest, byte[] signature) {

  private static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final Set<String> FIELDS =
      Set.of("v", "algorithm", "keyId", "digest", "signature");
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  byte[] toJson() {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("v", 1);
    root.put("algorithm", Keys.ALGORITHM);
    root.put("keyId", keyId);
    root.put("digest", digest);
    root.put("signature", Base64.getEncoder().encodeToString(signature));
    try {
      byte[] json = MAPPER.writeValueAsBytes(root);
      byte[] line = new byte[json.length + 1];
      System.arraycopy(json, 0, line, 0, json.length);
      line[json.length] = '\n';
      return line;
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode a signature envelope", e);
    }
  }

  static SignatureEnvelope parse(byte[] json) throws BundleRejectedException {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (IOException e) {
      throw malformed("is not valid JSON: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw malformed("must be a JSON object");
    }
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw malformed("has an unknown field '" + name + "'");
      }
    }
    if (!root.path("v").isInt() || root.path("v").intValue() != 1) {
      throw malformed("field 'v' must be 1");
    }
    if (!Keys.ALGORITHM.equals(root.path("algorithm").textValue())) {
      throw malformed("field 'algorithm' must be Ed25519, found " + root.get("algorithm"));
    }
    String keyId = root.path("keyId").textValue();
    String digest = root.path("digest").textValue();
    if (keyId == null || !SHA256.matcher(keyId).matches()) {
      throw malformed("field 'keyId' must be sha256:<64 hex>");
    }
    if (digest == null || !SHA256.matcher(digest).matches()) {
      throw malformed("field 'digest' must be sha256:<64 hex>");
    }
    byte[] signature;
    try {
      String text = root.path("signature").textValue();
      signature = Base64.getDecoder().decode(text == null ? "" : text);
    } catch (IllegalArgumentException e) {
      throw malformed("field 'signature' is not base64");
    }
    if (signature.length != 64) {
      throw malformed("field 'signature' must be 64 bytes of Ed25519, found " + signature.length);
    }
    return new SignatureEnvelope(keyId, digest, signature);
  }

  private static BundleRejectedException malformed(String what) {
    return new BundleRejectedException(Reason.MALFORMED, Bundle.SIGNATURE + " " + what);
  }
}
