package io.edgegw.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Opens a configuration file for a loader. Problems inside the file name it by its file name
 * ({@code rules.yaml:12:}); a file that cannot be opened at all is named by its full path, at line
 * 0, with what to do about it.
 */
public final class ConfigFile {
  private ConfigFile() {}

  /** Parses the text of an open file. */
  public interface Parser<T> {
    T parse(String displayName, Reader reader) throws ConfigException;
  }

  /**
   * Reads {@code file} with {@code parser}.
   *
   * @param kind what the file is, for the hints, e.g. {@code devices.yaml}
   * @param setting the setting that names the file, e.g. {@code bridge.devices-file}, for the hint
   *     when it is missing
   */
  public static <T> T read(Path file, String kind, String setting, Parser<T> parser)
      throws ConfigException {
    String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
    if (Files.isDirectory(file)) {
      throw unreadable(file, "is a directory; expected the path of the " + kind + " file itself");
    }
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return parser.parse(name, r);
    } catch (NoSuchFileException e) {
      throw unreadable(file, "file not found; mount it there or set " + setting);
    } catch (AccessDeniedException e) {
      throw unreadable(file, "permission denied; the service user must be able to read it");
    } catch (IOException e) {
      throw unreadable(file, "cannot read: " + e.getMessage());
    }
  }

  private static ConfigException unreadable(Path file, String reason) {
    return new ConfigException(
        List.of(new ConfigException.Problem(file.toString(), 0, "", reason)));
  }
}
