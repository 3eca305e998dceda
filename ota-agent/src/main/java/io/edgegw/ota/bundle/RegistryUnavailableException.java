package io.edgegw.ota.bundle;

import java.io.IOException;

/** The registry did not answer; the update waits and tries again. */
public class RegistryUnavailableException extends IOException {
  private static final long serialVersionUID = 1L;

  /** With the cause of the failure. */
  public RegistryUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
