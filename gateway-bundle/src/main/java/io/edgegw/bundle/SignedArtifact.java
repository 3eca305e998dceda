package io.edgegw.bundle;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A file for local devices (firmware, a model) distributed like a bundle: from the registry, signed
 * with the same keys, verified by the same {@link BundleVerifier}. Immutable; held in memory, so
 * its size is bounded by the caller's limit when pulling.
 *
 * <p><b>Digest.</b> {@code sha256:<hex>} over {@code "edgegw-artifact/1\n" "name " len(N) "\n" N
 * "\n" "mediaType " len(T) "\n" T "\n" "content " len(C) "\n" C "\n"} (lengths in bytes, decimal),
 * so the signature covers the file name and type as well as the bytes: a signed firmware cannot be
 * passed off under another device's file name.
 *
 * @param name the file name, {@code [A-Za-z0-9][A-Za-z0-9._-]{0,127}} and not a path
 * @param mediaType the content's media type, e.g. {@code application/octet-stream}
 * @param content the bytes
 * @param signature the signature envelope, as {@link Bundle#SIGNATURE} holds for a bundle
 */
public record SignedArtifact(
    String name, String mediaType, byte[] content, Optional<byte[]> signature) {

  /** The only file names an artifact may have: no path, no leading dot. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private static final Pattern MEDIA_TYPE =
      Pattern.compile("[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}");

  /** Validates the name and type; copies the bytes. */
  public SignedArtifact {
    if (name == null || !NAME.matcher(name).matches() || name.contains("..")) {
      throw new IllegalArgumentException(
          "artifact name '" + name + "' must be a file name ([A-Za-z0-9._-], no path, no '..')");
    }
    if (mediaType == null || !MEDIA_TYPE.matcher(mediaType).matches()) {
      throw new IllegalArgumentException(
          "'" + mediaType + "' is not a media type such as application/octet-stream");
    }
    content = Objects.requireNonNull(content, "content").clone();
    signature = Objects.requireNonNull(signature, "signature").map(byte[]::clone);
  }

  /** An unsigned artifact. */
  public static SignedArtifact of(String name, String mediaType, byte[] content) {
    return new SignedArtifact(name, mediaType, content, Optional.empty());
  }

  /** The bytes (a copy). */
  @Override
  public byte[] content() {
    return content.clone();
  }

  /** The signature envelope (a copy), if signed. */
  @Override
  public Optional<byte[]> signature() {
    return signature.map(byte[]::clone);
  }

  /** This artifact with {@code signature} attached. */
  public SignedArtifact withSignature(byte[] signature) {
    return new SignedArtifact(name, mediaType, content, Optional.of(signature));
  }

  /** {@code sha256:<hex>} over the encoding described on this record. */
  public String digest() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 128);
    out.writeBytes(ascii("edgegw-artifact/1\n"));
    frame(out, "name", name.getBytes(StandardCharsets.UTF_8));
    frame(out, "mediaType", mediaType.getBytes(StandardCharsets.UTF_8));
    frame(out, "content", content);
    return Bundle.sha256(out.toByteArray());
  }

  private static void frame(ByteArrayOutputStream out, String label, byte[] bytes) {
    out.writeBytes(ascii(label + " " + bytes.length + "\n"));
    out.writeBytes(bytes);
    out.writeBytes(ascii("\n"));
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SignedArtifact a
        && digest().equals(a.digest())
        && signature
            .map(s -> a.signature.map(t -> java.util.Arrays.equals(s, t)).orElse(false))
            .orElse(a.signature.isEmpty());
  }

  @Override
  public int hashCode() {
    return digest().hashCode();
  }

  @Override
  public String toString() {
    return "SignedArtifact["
        + name
        + " "
        + mediaType
        + " "
        + content.length
        + " bytes"
        + (signature.isPresent() ? " signed" : " unsigned")
        + "]";
  }
}
