package io.edgegw.ota.artifact;

import io.edgegw.bundle.SignedArtifact;
import java.util.regex.Pattern;

/**
 * A request path of the artifact server, read strictly: {@code /artifacts/<name>} or {@code
 * /artifacts/<name>/<digest>}, with the name a plain file name ({@link SignedArtifact#NAME}, no
 * {@code ..}) and the digest {@code sha256:<hex>} or just the hex. Nothing is percent-decoded
 * except the digest's colon, so no encoded slash or dot can make a path.
 *
 * @param name the artifact name
 * @param digest {@code sha256:<hex>}, or null for the served version
 */
public record ArtifactPath(String name, String digest) {
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

  /** The path's parts, or null when it is not an artifact path. */
  public static ArtifactPath parse(String rawPath) {
    if (rawPath == null || !rawPath.startsWith("/artifacts/")) {
      return null;
    }
    String[] parts = rawPath.substring("/artifacts/".length()).split("/", -1);
    if (parts.length > 2 || !validName(parts[0])) {
      return null;
    }
    if (parts.length == 1) {
      return new ArtifactPath(parts[0], null);
    }
    String d = parts[1];
    if (d.startsWith("sha256:")) {
      d = d.substring("sha256:".length());
    } else if (d.toLowerCase(java.util.Locale.ROOT).startsWith("sha256%3a")) {
      d = d.substring("sha256%3a".length());
    }
    return HEX.matcher(d).matches() ? new ArtifactPath(parts[0], "sha256:" + d) : null;
  }

  private static boolean validName(String name) {
    return SignedArtifact.NAME.matcher(name).matches() && !name.contains("..");
  }

  /** The raw value of a query parameter, or null; only plain id characters are accepted. */
  public static String queryParameter(String rawQuery, String key) {
    if (rawQuery == null) {
      return null;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals(key)) {
        String value = pair.substring(eq + 1);
        // An id that is not plain never matches a known device: it is refused as unknown.
        return DeviceTable.ID.matcher(value).matches() ? value : "(invalid)";
      }
    }
    return null;
  }
}
