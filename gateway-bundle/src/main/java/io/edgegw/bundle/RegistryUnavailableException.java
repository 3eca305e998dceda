package io.edgegw.bundle;

import java.io.IOException;

/**
 * The registry could not be reached, timed out, or answered 5xx or 429: a transient condition, so
 * the caller retries with backoff and changes nothing meanwhile.
 */
public final class RegistryUnavailableException extends IOException {

  private static final long serialVersionUID = 1L;

  public RegistryUnavailableException(String message) {
    super(message);
  }

  public RegistryUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
