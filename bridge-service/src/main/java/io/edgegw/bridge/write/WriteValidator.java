package io.edgegw.bridge.write;

import io.edgegw.bridge.DeviceSpec;
import io.edgegw.bridge.DevicesConfig;
import io.edgegw.bridge.TagSpec;
import io.edgegw.bridge.modbus.RegisterCodec;
import java.util.Map;

/**
 * Checks a write command against the device map before anything touches a device: the device and
 * tag exist, the tag is writable, the value has the tag's type, lies within its min/max, and fits
 * the registers. Pure.
 */
public final class WriteValidator {
  private final DevicesConfig devices;

  public WriteValidator(DevicesConfig devices) {
    this.devices = devices;
  }

  /**
   * Validates the {@code args} of a {@code write} command: {@code device}, {@code tag} and {@code
   * value}.
   *
   * @throws WriteRejected with the reason an operator reads
   */
  public WritePlan validate(Map<String, Object> args) throws WriteRejected {
    String deviceId = text(args, "device");
    String tagName = text(args, "tag");
    if (!args.containsKey("value") || args.get("value") == null) {
      throw new WriteRejected("argument 'value' is required");
    }
    Object value = args.get("value");
    DeviceSpec device =
        devices.devices().stream()
            .filter(d -> d.id().equals(deviceId))
            .findFirst()
            .orElseThrow(() -> new WriteRejected("unknown device '" + deviceId + "'"));
    TagSpec tag =
        device
            .tag(tagName)
            .orElseThrow(
                () -> new WriteRejected("device '" + deviceId + "' has no tag '" + tagName + "'"));
    if (!tag.writable()) {
      throw new WriteRejected("tag '" + tagName + "' of device '" + deviceId + "' is not writable");
    }
    Object typed =
        switch (tag.type()) {
          case BOOL, BIT -> {
            if (!(value instanceof Boolean)) {
              throw new WriteRejected(
                  "tag '"
                      + tagName
                      + "' is "
                      + lower(tag)
                      + ": value must be true or false, got "
                      + describe(value));
            }
            yield value;
          }
          case STRING -> {
            if (!(value instanceof String)) {
              throw new WriteRejected(
                  "tag '"
                      + tagName
                      + "' is string: value must be a string, got "
                      + describe(value));
            }
            yield value;
          }
          case INT16, UINT16, INT32, UINT32, INT64, UINT64, FLOAT32, FLOAT64 -> {
            if (!(value instanceof Number n)) {
              throw new WriteRejected(
                  "tag '"
                      + tagName
                      + "' is "
                      + lower(tag)
                      + ": value must be a number, got "
                      + describe(value));
            }
            double d = n.doubleValue();
            if (!Double.isFinite(d)) {
              throw new WriteRejected("value must be a finite number, got " + value);
            }
            if (tag.min().isPresent() && d < tag.min().getAsDouble()) {
              throw new WriteRejected(
                  "value "
                      + value
                      + " is below the minimum "
                      + tag.min().getAsDouble()
                      + " of tag '"
                      + tagName
                      + "'");
            }
            if (tag.max().isPresent() && d > tag.max().getAsDouble()) {
              throw new WriteRejected(
                  "value "
                      + value
                      + " is above the maximum "
                      + tag.max().getAsDouble()
                      + " of tag '"
                      + tagName
                      + "'");
            }
            yield n;
          }
        };
    if (tag.type() != io.edgegw.bridge.DataType.BOOL
        && tag.type() != io.edgegw.bridge.DataType.BIT) {
      try {
        RegisterCodec.encode(tag, typed);
      } catch (IllegalArgumentException e) {
        throw new WriteRejected(
            "value " + value + " cannot be written to '" + tagName + "': " + e.getMessage());
      }
    }
    return new WritePlan(device, tag, typed);
  }

  private static String lower(TagSpec tag) {
    return tag.type().name().toLowerCase(java.util.Locale.ROOT);
  }

  private static String describe(Object value) {
    return value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
  }

  private static String text(Map<String, Object> args, String key) throws WriteRejected {
    Object v = args.get(key);
    if (!(v instanceof String s) || s.isBlank()) {
      throw new WriteRejected("argument '" + key + "' is required (a string)");
    }
    return s;
  }
}
