package io.edgegw.buffer.store;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jboss.logging.Logger;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The engineering unit of each tag, read from devices.yaml ({@code devices[].tags[].unit}). The
 * bridge owns and validates that file; the buffer only borrows the units for the series dictionary,
 * so an unreadable file leaves units empty with a warning instead of stopping ingest.
 */
public final class DeviceUnits implements Function<SeriesKey, String> {
  private static final Logger LOG = Logger.getLogger(DeviceUnits.class);

  private final Map<SeriesKey, String> units;

  private DeviceUnits(Map<SeriesKey, String> units) {
    this.units = Map.copyOf(units);
  }

  /** Units from the file, or none when it is missing or unreadable. */
  public static DeviceUnits load(Path file) {
    Map<SeriesKey, String> units = new HashMap<>();
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(10);
    try (Reader r = Files.newBufferedReader(file)) {
      Object root = new Yaml(new SafeConstructor(options)).load(r);
      if (root instanceof Map<?, ?> m && m.get("devices") instanceof List<?> devices) {
        for (Object d : devices) {
          if (d instanceof Map<?, ?> device
              && device.get("id") instanceof String id
              && device.get("tags") instanceof List<?> tags) {
            for (Object t : tags) {
              if (t instanceof Map<?, ?> tag
                  && tag.get("name") instanceof String name
                  && tag.get("unit") instanceof String unit
                  && !unit.isBlank()) {
                units.put(new SeriesKey(id, name), unit);
              }
            }
          }
        }
      }
      LOG.infof("units of %d tags read from %s", units.size(), file);
    } catch (NoSuchFileException e) {
      LOG.infof("no %s; series are stored without units", file);
    } catch (IOException | RuntimeException e) {
      LOG.warnf("cannot read units from %s (%s); series are stored without units", file, e);
    }
    return new DeviceUnits(units);
  }

  /** No units at all. */
  public static DeviceUnits none() {
    return new DeviceUnits(Map.of());
  }

  @Override
  public String apply(SeriesKey key) {
    return units.get(key);
  }
}
