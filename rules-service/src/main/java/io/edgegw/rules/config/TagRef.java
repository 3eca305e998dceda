package io.edgegw.rules.config;

/** A tag of a device, as {@code devices.yaml} names it; written {@code device/tag} in rules. */
public record TagRef(String device, String tag) {
  @Override
  public String toString() {
    return device + "/" + tag;
  }
}
