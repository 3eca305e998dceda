package io.edgegw.buffer.query;

import io.edgegw.buffer.BufferConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The query API's bearer token, read from {@code buffer.api.token-file}. There is no default token:
 * without the file the API refuses every call. The file is read again when it changes, so a rotated
 * token takes effect without a restart. The token is never logged.
 */
@ApplicationScoped
public class ApiToken {
  private static final Logger LOG = Logger.getLogger(ApiToken.class);

  /** Shorter tokens are refused as too easy to guess. */
  static final int MIN_LENGTH = 24;

  @Inject BufferConfig config;

  private byte[] token;
  private long readModified = Long.MIN_VALUE;
  private String problem = "not read yet";

  /** Whether {@code presented} is the provisioned token; constant-time in its content. */
  public synchronized boolean matches(String presented) {
    refresh();
    return token != null
        && presented != null
        && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
  }

  /** Why no token is available, or null when one is. */
  public synchronized String problem() {
    refresh();
    return token == null ? problem : null;
  }

  private void refresh() {
    Path file = config.api().tokenFile();
    long modified;
    try {
      modified = Files.getLastModifiedTime(file).toMillis();
    } catch (NoSuchFileException e) {
      token = null;
      problem = "the API token is not provisioned (" + file + " does not exist)";
      return;
    } catch (IOException e) {
      token = null;
      problem = "the API token file " + file + " cannot be read: " + e.getMessage();
      return;
    }
    if (modified == readModified && token != null) {
      return;
    }
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (text.length() < MIN_LENGTH) {
        token = null;
        problem = "the API token in " + file + " is shorter than " + MIN_LENGTH + " characters";
        return;
      }
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (perms.contains(PosixFilePermission.OTHERS_READ)
          || perms.contains(PosixFilePermission.GROUP_READ)) {
        LOG.warnf("%s is readable by group or others; it should be mode 0600", file);
      }
      token = text.getBytes(StandardCharsets.UTF_8);
      readModified = modified;
      LOG.infof("API token read from %s", file);
    } catch (IOException | UnsupportedOperationException e) {
      token = null;
      problem = "the API token file " + file + " cannot be read: " + e.getMessage();
    }
  }
}
