package io.edgegw.ota.update;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The agent's state directory: the installed bundle and its history ({@code installed.json}), the
 * bundles themselves ({@code bundles/<version>-<digest>/}), downloads in progress ({@code
 * incoming/}) and the update journal ({@code journal.json}). Every file is replaced atomically
 * (written aside, synced, renamed), so a kill at any moment leaves either the old or the new
 * content.
 */
public final class StateStore {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * The history file's content.
   *
   * @param current the installed bundle, or null before the first install
   * @param history committed bundles, newest first, the current one included; at most K
   * @param everInstalled the digest of every bundle ever committed here, for the rollback exception
   *     to "versions only go up"
   */
  public record Installed(
      InstalledBundle current, List<InstalledBundle> history, List<String> everInstalled) {
    public Installed {
      history = history == null ? List.of() : List.copyOf(history);
      everInstalled = everInstalled == null ? List.of() : List.copyOf(everInstalled);
    }

    /** Whether this gateway committed that bundle before. */
    public boolean installedBefore(String digest) {
      return everInstalled.contains(digest);
    }
  }

  private final Path root;
  private final int keep;

  /**
   * @param root the state directory (created when missing, mode 0700)
   * @param keep bundles kept in the history, at least 2 (the current one and one to roll back to)
   */
  public StateStore(Path root, int keep) throws IOException {
    if (keep < 2) {
      throw new IllegalArgumentException("ota.history-size must be at least 2, got " + keep);
    }
    this.root = root;
    this.keep = keep;
    Files.createDirectories(root.resolve("bundles"));
    Files.createDirectories(root.resolve("incoming"));
  }

  /** The directory of an installed or staged bundle. */
  public Path bundleDirectory(String name) {
    Path dir = root.resolve("bundles").resolve(name).normalize();
    if (!dir.getParent().equals(root.resolve("bundles"))) {
      throw new IllegalArgumentException("'" + name + "' is not a bundle directory name");
    }
    return dir;
  }

  /** The name of a bundle's directory: version and the digest's first hex digits, file-safe. */
  public static String directoryName(String version, String digest) {
    String hex = digest.substring(digest.indexOf(':') + 1);
    String name = version + "-" + hex.substring(0, Math.min(16, hex.length()));
    return name.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  /** A fresh, empty download directory for a command. */
  public Path incoming(String commandId) throws IOException {
    Path dir = root.resolve("incoming").resolve(commandId.replaceAll("[^A-Za-z0-9._-]", "_"));
    deleteTree(dir);
    return Files.createDirectories(dir);
  }

  /** Moves a verified download to its bundle directory, replacing an older copy. */
  public Path stage(Path incoming, String name) throws IOException {
    Path target = bundleDirectory(name);
    deleteTree(target);
    Files.move(incoming, target, StandardCopyOption.ATOMIC_MOVE);
    syncDirectory(target.getParent());
    return target;
  }

  /** Removes leftovers of downloads an earlier run did not finish. */
  public void clearIncoming() throws IOException {
    try (var s = Files.list(root.resolve("incoming"))) {
      for (Path p : s.toList()) {
        deleteTree(p);
      }
    }
  }

  /** The installed bundle and history. */
  public Installed installed() throws IOException {
    Path file = root.resolve("installed.json");
    if (!Files.exists(file)) {
      return new Installed(null, List.of(), List.of());
    }
    return JSON.readValue(file.toFile(), Installed.class);
  }

  /**
   * Commits {@code bundle} as the installed one, keeps the newest K in the history and deletes the
   * directories of bundles that fell out of it.
   */
  public Installed commit(InstalledBundle bundle) throws IOException {
    Installed before = installed();
    List<InstalledBundle> history = new ArrayList<>();
    history.add(bundle);
    for (InstalledBundle b : before.history()) {
      if (!b.directory().equals(bundle.directory()) && history.size() < keep) {
        history.add(b);
      }
    }
    List<String> ever = new ArrayList<>(before.everInstalled());
    if (!ever.contains(bundle.digest())) {
      ever.add(bundle.digest());
    }
    Installed after = new Installed(bundle, history, ever);
    write(root.resolve("installed.json"), after);
    for (InstalledBundle b : before.history()) {
      if (history.stream().noneMatch(h -> h.directory().equals(b.directory()))) {
        deleteTree(bundleDirectory(b.directory()));
      }
    }
    return after;
  }

  /** The journal of an update in progress. */
  public Optional<Journal> journal() throws IOException {
    Path file = root.resolve("journal.json");
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    return Optional.of(JSON.readValue(file.toFile(), Journal.class));
  }

  /** Records the update's next step; written and synced before the step begins. */
  public void writeJournal(Journal journal) throws IOException {
    write(root.resolve("journal.json"), journal);
  }

  /** Ends the update: no journal means no update in progress. */
  public void clearJournal() throws IOException {
    Files.deleteIfExists(root.resolve("journal.json"));
    syncDirectory(root);
  }

  private void write(Path file, Object value) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(value)));
      ch.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the state directory " + root + " cannot rename atomically", e);
    }
    syncDirectory(root);
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems refuse to sync a directory; the rename itself is still atomic.
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
