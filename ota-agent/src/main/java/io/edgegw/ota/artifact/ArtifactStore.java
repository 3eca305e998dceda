package io.edgegw.ota.artifact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.edgegw.bundle.SignedArtifact;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Verified artifacts on disk: {@code <root>/<name>/<digest-hex>} holds the bytes, {@code
 * <digest-hex>.json} what the server needs to know about them, and {@code current} the hex of the
 * version served under the bare name. Every file is written to a temporary file in the same
 * directory and renamed into place, and {@code current} is switched last, so a crash leaves either
 * the old or the new version served, never a partial file. The last {@code keep} versions of a name
 * stay; a device still reading a removed one keeps its open file.
 *
 * <p>Only verified artifacts reach {@link #store}: the caller verifies first. Writes come from one
 * thread (the agent's artifact worker); reads from any.
 */
public final class ArtifactStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CURRENT = "current";
  private static final String META = ".json";
  private static final String INCOMING = ".incoming-";

  private final Path root;
  private final int keep;

  /**
   * @param root the store's directory, created when missing
   * @param keep versions kept per name, at least 1
   */
  public ArtifactStore(Path root, int keep) throws IOException {
    if (keep < 1) {
      throw new IllegalArgumentException("ota.artifacts.keep must be at least 1, got " + keep);
    }
    this.root = root;
    this.keep = keep;
    Files.createDirectories(root);
    removeLeftovers();
  }

  /**
   * Stores a verified artifact and makes it the one served under its name.
   *
   * @param source where it came from, {@code repository:reference}
   * @param devices the devices it is meant for
   * @param now the storing time
   * @return the stored version
   */
  public StoredArtifact store(
      SignedArtifact artifact, String source, List<String> devices, long now) throws IOException {
    byte[] content = artifact.content();
    String digest = artifact.digest();
    StoredArtifact stored =
        new StoredArtifact(
            artifact.name(),
            artifact.mediaType(),
            digest,
            sha256(content),
            content.length,
            now,
            source,
            devices,
            directory(artifact.name()).resolve(digest.substring("sha256:".length())));
    Path dir = Files.createDirectories(directory(artifact.name()));
    if (!Files.isRegularFile(stored.file()) || Files.size(stored.file()) != content.length) {
      writeAtomically(dir, stored.file(), content);
    }
    writeAtomically(dir, meta(stored.file()), JSON.writeValueAsBytes(toJson(stored)));
    writeAtomically(
        dir,
        dir.resolve(CURRENT),
        stored.hex().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    prune(artifact.name(), stored.hex());
    return stored;
  }

  /** The version served under {@code name}, if any. */
  public Optional<StoredArtifact> current(String name) throws IOException {
    if (!valid(name)) {
      return Optional.empty();
    }
    Path pointer = directory(name).resolve(CURRENT);
    String hex;
    try {
      hex = Files.readString(pointer).strip();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    return version(name, "sha256:" + hex);
  }

  /** A kept version of {@code name} by its digest ({@code sha256:<hex>}), if still kept. */
  public Optional<StoredArtifact> version(String name, String digest) throws IOException {
    if (!valid(name) || digest == null || !StoredArtifact.DIGEST.matcher(digest).matches()) {
      return Optional.empty();
    }
    Path file = directory(name).resolve(digest.substring("sha256:".length()));
    try {
      return Optional.of(fromJson(JSON.readTree(Files.readAllBytes(meta(file))), file));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** The served version of every name, sorted by name. */
  public List<StoredArtifact> currentAll() throws IOException {
    List<StoredArtifact> all = new ArrayList<>();
    try (DirectoryStream<Path> names = Files.newDirectoryStream(root)) {
      for (Path dir : names) {
        current(dir.getFileName().toString()).ifPresent(all::add);
      }
    }
    all.sort(Comparator.comparing(StoredArtifact::name));
    return all;
  }

  /** Every kept version of {@code name}, newest first. */
  public List<StoredArtifact> versions(String name) throws IOException {
    List<StoredArtifact> all = new ArrayList<>();
    if (!valid(name) || !Files.isDirectory(directory(name))) {
      return all;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory(name), "*" + META)) {
      for (Path m : files) {
        String file = m.getFileName().toString();
        version(name, "sha256:" + file.substring(0, file.length() - META.length()))
            .ifPresent(all::add);
      }
    }
    all.sort(Comparator.comparingLong(StoredArtifact::storedAt).reversed());
    return all;
  }

  private void prune(String name, String currentHex) throws IOException {
    List<StoredArtifact> all = versions(name);
    int kept = 1; // the current one
    for (StoredArtifact v : all) {
      if (v.hex().equals(currentHex)) {
        continue;
      }
      if (kept < keep) {
        kept++;
        continue;
      }
      Files.deleteIfExists(meta(v.file()));
      Files.deleteIfExists(v.file());
    }
  }

  private static boolean valid(String name) {
    return name != null && SignedArtifact.NAME.matcher(name).matches() && !name.contains("..");
  }

  private Path directory(String name) {
    return root.resolve(name);
  }

  private static Path meta(Path file) {
    return file.resolveSibling(file.getFileName() + META);
  }

  private static void writeAtomically(Path dir, Path target, byte[] bytes) throws IOException {
    Path temp = dir.resolve(INCOMING + UUID.randomUUID());
    try {
      try (FileChannel out =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException(
            dir + " does not support atomic renames; put ota.state-dir on a local file system", e);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private void removeLeftovers() throws IOException {
    try (DirectoryStream<Path> names = Files.newDirectoryStream(root)) {
      for (Path dir : names) {
        if (!Files.isDirectory(dir)) {
          continue;
        }
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(dir, INCOMING + "*")) {
          for (Path t : temps) {
            Files.deleteIfExists(t);
          }
        }
      }
    }
  }

  private static ObjectNode toJson(StoredArtifact s) {
    ObjectNode n = JSON.createObjectNode();
    n.put("name", s.name());
    n.put("mediaType", s.mediaType());
    n.put("digest", s.digest());
    n.put("contentSha256", s.contentSha256());
    n.put("size", s.size());
    n.put("storedAt", s.storedAt());
    n.put("source", s.source());
    s.devices().forEach(n.putArray("devices")::add);
    return n;
  }

  private static StoredArtifact fromJson(JsonNode n, Path file) {
    List<String> devices = new ArrayList<>();
    n.path("devices").forEach(d -> devices.add(d.asText()));
    return new StoredArtifact(
        n.path("name").asText(),
        n.path("mediaType").asText(),
        n.path("digest").asText(),
        n.path("contentSha256").asText(),
        n.path("size").asLong(),
        n.path("storedAt").asLong(),
        n.path("source").asText(),
        devices,
        file);
  }

  static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
