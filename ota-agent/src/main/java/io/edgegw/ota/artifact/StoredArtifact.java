package io.edgegw.ota.artifact;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One stored version of an artifact, as the server hands it out.
 *
 * @param name the file name
 * @param mediaType its media type
 * @param digest the signed artifact digest, {@code sha256:<hex>} (name, type and content)
 * @param contentSha256 the hex SHA-256 of the bytes alone, for devices that check a plain hash
 * @param size bytes
 * @param storedAt epoch milliseconds
 * @param source {@code repository:reference} it came from
 * @param devices the devices it is meant for (may be empty)
 * @param file the content on disk
 */
public record StoredArtifact(
    String name,
    String mediaType,
    String digest,
    String contentSha256,
    long size,
    long storedAt,
    String source,
    List<String> devices,
    Path file) {

  /** An artifact digest: {@code sha256:} and 64 lowercase hex digits. */
  public static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

  /** Validates the digest; copies the device list. */
  public StoredArtifact {
    if (digest == null || !DIGEST.matcher(digest).matches()) {
      throw new IllegalArgumentException("'" + digest + "' is not sha256:<64 hex>");
    }
    devices = List.copyOf(devices);
  }

  /** The digest's hex part: the file name in the store. */
  public String hex() {
    return digest.substring("sha256:".length());
  }
}
