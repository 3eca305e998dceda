package io.edgegw.ota.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The management page's login token, read from a file that only its owner may read (0600 or 0400).
 * Read at every login, so a rotated token takes effect at once. A missing, too short or too open
 * file means no login at all; the reason is logged, the token never.
 */
public final class TokenFile {
  private static final Logger LOG = Logger.getLogger(TokenFile.class);
  static final int MIN_LENGTH = 16;

  private final Path file;
  private volatile String lastProblem = "";

  public TokenFile(Path file) {
    this.file = file;
  }

  /** The token's bytes, or empty when the file is unusable. */
  public byte[] read() {
    try {
      if (!Files.isRegularFile(file)) {
        return refuse("the token file " + file + " does not exist");
      }
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (perms.stream()
          .anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
        return refuse("the token file " + file + " is readable by others; chmod 600 it");
      }
      String token = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (token.length() < MIN_LENGTH) {
        return refuse("the token in " + file + " is shorter than " + MIN_LENGTH + " characters");
      }
      lastProblem = "";
      return token.getBytes(StandardCharsets.UTF_8);
    } catch (IOException | UnsupportedOperationException e) {
      return refuse("the token file " + file + " cannot be read: " + e.getClass().getSimpleName());
    }
  }

  private byte[] refuse(String problem) {
    if (!problem.equals(lastProblem)) {
      LOG.warnf("management page logins refused: %s", problem);
      lastProblem = problem;
    }
    return new byte[0];
  }
}
