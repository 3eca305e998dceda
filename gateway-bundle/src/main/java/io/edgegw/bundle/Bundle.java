package io.edgegw.bundle;

import io.edgegw.bundle.BundleRejectedException.Reason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An update bundle: the manifest, the Compose file with pinned images, and optionally the detached
 * signature. Immutable; {@link #withSignature} returns a new one.
 *
 * <p>On disk and in the registry a bundle is three files, and nothing else: {@value #MANIFEST},
 * {@value #COMPOSE} and {@value #SIGNATURE}.
 *
 * <p><b>Digest.</b> {@link #digest()} is {@code sha256:<hex>} of this byte string (the canonical
 * encoding, version 1), where {@code M} is the manifest's canonical JSON (see {@link ManifestJson})
 * and {@code C} the Compose file's bytes exactly as stored, and lengths are decimal byte counts:
 *
 * <pre>
 * "edgegw-bundle/1\n" "manifest " len(M) "\n" M "\n" "compose " len(C) "\n" C "\n"
 * </pre>
 *
 * The length prefixes make the split between the two parts unambiguous; the signature covers the
 * digest, so it covers every field of the manifest and every byte of the Compose file.
 */
public final class Bundle {

  /** The manifest file's name. */
  public static final String MANIFEST = "manifest.json";

  /** The Compose file's name. */
  public static final String COMPOSE = "compose.yaml";

  /** The detached signature's name. */
  public static final String SIGNATURE = "signature.ed25519";

  /** The only names a bundle directory (or artifact) may hold. */
  public static final List<String> FILES = List.of(MANIFEST, COMPOSE, SIGNATURE);

  static final int MAX_MANIFEST_BYTES = 64 * 1024;
  static final int MAX_COMPOSE_BYTES = 1024 * 1024;
  static final int MAX_SIGNATURE_BYTES = 4 * 1024;

  private final BundleManifest manifest;
  private final byte[] compose;
  private final byte[] signature;
  private final String digest;

  private Bundle(BundleManifest manifest, byte[] compose, byte[] signature) {
    this.manifest = manifest;
    this.compose = compose;
    this.signature = signature;
    this.digest = computeDigest(manifest, compose);
  }

  /**
   * An unsigned bundle.
   *
   * @throws IllegalArgumentException when the Compose file is not a Compose file with services, or
   *     is too large
   */
  public static Bundle of(BundleManifest manifest, byte[] compose) {
    Objects.requireNonNull(manifest, "manifest");
    Objects.requireNonNull(compose, "compose");
    try {
      checkSize(compose.length, MAX_COMPOSE_BYTES, COMPOSE);
      ComposeFile.parse(compose, COMPOSE);
    } catch (BundleRejectedException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return new Bundle(manifest, compose.clone(), null);
  }

  /**
   * Builds a bundle from the three files' contents, as read from a directory or a registry.
   *
   * @param where where they came from, for messages
   * @throws BundleRejectedException {@link Reason#MALFORMED} when the manifest or the Compose file
   *     is not valid or a file is too large
   */
  public static Bundle fromFiles(
      byte[] manifestJson, byte[] compose, Optional<byte[]> signature, String where)
      throws BundleRejectedException {
    checkSize(manifestJson.length, MAX_MANIFEST_BYTES, where + "/" + MANIFEST);
    checkSize(compose.length, MAX_COMPOSE_BYTES, where + "/" + COMPOSE);
    if (signature.isPresent()) {
      checkSize(signature.get().length, MAX_SIGNATURE_BYTES, where + "/" + SIGNATURE);
    }
    BundleManifest manifest = ManifestJson.parse(manifestJson, where + "/" + MANIFEST);
    ComposeFile.parse(compose, where + "/" + COMPOSE);
    return new Bundle(manifest, compose.clone(), signature.map(byte[]::clone).orElse(null));
  }

  /** This bundle with {@code signature} (the contents of {@value #SIGNATURE}) attached. */
  public Bundle withSignature(byte[] signature) {
    Objects.requireNonNull(signature, "signature");
    return new Bundle(manifest, compose, signature.clone());
  }

  /** This bundle without a signature. */
  public Bundle unsigned() {
    return new Bundle(manifest, compose, null);
  }

  /** The manifest. */
  public BundleManifest manifest() {
    return manifest;
  }

  /** The Compose file's bytes (a copy). */
  public byte[] compose() {
    return compose.clone();
  }

  /** The Compose file, parsed. */
  public ComposeFile composeFile() {
    try {
      return ComposeFile.parse(compose, COMPOSE);
    } catch (BundleRejectedException e) {
      throw new IllegalStateException("checked when the bundle was made", e);
    }
  }

  /** The contents of {@value #SIGNATURE} (a copy), if signed. */
  public Optional<byte[]> signature() {
    return Optional.ofNullable(signature).map(byte[]::clone);
  }

  /** {@code sha256:<hex>} over the canonical encoding described on this class. */
  public String digest() {
    return digest;
  }

  /** The manifest as stored in {@value #MANIFEST}. */
  public byte[] manifestJson() {
    return ManifestJson.pretty(manifest);
  }

  /** The files of this bundle by name, in {@link #FILES} order; the signature only when signed. */
  public Map<String, byte[]> files() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put(MANIFEST, manifestJson());
    files.put(COMPOSE, compose());
    if (signature != null) {
      files.put(SIGNATURE, signature.clone());
    }
    return files;
  }

  /**
   * Reads a bundle directory.
   *
   * <p>The directory may hold only {@link #FILES}, each a regular file; a symbolic link anywhere
   * (the directory itself included), a subdirectory or any other name is refused, so that reading a
   * bundle never reads outside it.
   *
   * @throws BundleRejectedException {@link Reason#PATH_TRAVERSAL} for links and unexpected entries,
   *     {@link Reason#MALFORMED} for a missing directory, manifest or Compose file, or bad content
   * @throws IOException when the files exist but cannot be read
   */
  public static Bundle read(Path dir) throws IOException, BundleRejectedException {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new BundleRejectedException(
          Reason.MALFORMED, "bundle directory " + dir + " does not exist");
    }
    if (attributes.isSymbolicLink()) {
      throw new BundleRejectedException(
          Reason.PATH_TRAVERSAL, "bundle directory " + dir + " is a symbolic link");
    }
    if (!attributes.isDirectory()) {
      throw new BundleRejectedException(Reason.MALFORMED, dir + " is not a bundle directory");
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        BasicFileAttributes entryAttributes =
            Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!FILES.contains(name)) {
          throw new BundleRejectedException(
              Reason.PATH_TRAVERSAL,
              "unexpected entry '"
                  + name
                  + "' in bundle "
                  + dir
                  + "; a bundle holds only "
                  + FILES);
        }
        if (entryAttributes.isSymbolicLink()) {
          throw new BundleRejectedException(
              Reason.PATH_TRAVERSAL, name + " in bundle " + dir + " is a symbolic link");
        }
        if (!entryAttributes.isRegularFile()) {
          throw new BundleRejectedException(
              Reason.PATH_TRAVERSAL, name + " in bundle " + dir + " is not a regular file");
        }
      }
    }
    byte[] manifestJson = readFile(dir, MANIFEST, MAX_MANIFEST_BYTES, true).orElseThrow();
    byte[] compose = readFile(dir, COMPOSE, MAX_COMPOSE_BYTES, true).orElseThrow();
    Optional<byte[]> signature = readFile(dir, SIGNATURE, MAX_SIGNATURE_BYTES, false);
    return fromFiles(manifestJson, compose, signature, dir.toString());
  }

  /**
   * Writes this bundle into {@code dir} (created if absent): the three files, each replaced
   * atomically; a stale {@value #SIGNATURE} is removed when this bundle is unsigned.
   *
   * @throws IOException when {@code dir} is a symbolic link or not a directory, or on write failure
   */
  public void write(Path dir) throws IOException {
    if (Files.isSymbolicLink(dir)) {
      throw new IOException("refusing to write a bundle into " + dir + ": it is a symbolic link");
    }
    Files.createDirectories(dir);
    for (Map.Entry<String, byte[]> file : files().entrySet()) {
      Path target = dir.resolve(file.getKey());
      Path temporary = dir.resolve("." + file.getKey() + ".tmp");
      Files.write(
          temporary,
          file.getValue(),
          StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE,
          LinkOption.NOFOLLOW_LINKS);
      Files.move(
          temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    if (signature == null) {
      Files.deleteIfExists(dir.resolve(SIGNATURE));
    }
  }

  private static Optional<byte[]> readFile(Path dir, String name, int maxBytes, boolean required)
      throws IOException, BundleRejectedException {
    Path file = dir.resolve(name);
    try (SeekableByteChannel channel =
            Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        InputStream in = Channels.newInputStream(channel)) {
      byte[] bytes = in.readNBytes(maxBytes + 1);
      checkSize(bytes.length, maxBytes, file.toString());
      return Optional.of(bytes);
    } catch (NoSuchFileException e) {
      if (required) {
        throw new BundleRejectedException(Reason.MALFORMED, "bundle " + dir + " has no " + name);
      }
      return Optional.empty();
    } catch (java.nio.file.FileSystemException e) {
      // ELOOP: the name became a symbolic link after the directory was listed.
      if (Files.isSymbolicLink(file)) {
        throw new BundleRejectedException(
            Reason.PATH_TRAVERSAL, name + " in bundle " + dir + " is a symbolic link", e);
      }
      throw e;
    }
  }

  static void checkSize(int length, int maxBytes, String where) throws BundleRejectedException {
    if (length > maxBytes) {
      throw new BundleRejectedException(
          Reason.MALFORMED, where + " is larger than its limit of " + maxBytes + " bytes");
    }
  }

  static String computeDigest(BundleManifest manifest, byte[] compose) {
    byte[] m = ManifestJson.canonical(manifest);
    ByteArrayOutputStream out = new ByteArrayOutputStream(m.length + compose.length + 64);
    out.writeBytes(ascii("edgegw-bundle/1\n"));
    out.writeBytes(ascii("manifest " + m.length + "\n"));
    out.writeBytes(m);
    out.writeBytes(ascii("\ncompose " + compose.length + "\n"));
    out.writeBytes(compose);
    out.writeBytes(ascii("\n"));
    return sha256(out.toByteArray());
  }

  /** {@code sha256:<hex>} of {@code bytes}. */
  static String sha256(byte[] bytes) {
    try {
      return "sha256:"
          + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Bundle b
        && digest.equals(b.digest)
        && Arrays.equals(signature, b.signature);
  }

  @Override
  public int hashCode() {
    return digest.hashCode();
  }

  @Override
  public String toString() {
    return "Bundle["
        + manifest.version()
        + " "
        + digest
        + (signature == null ? " unsigned" : " signed")
        + "]";
  }
}
