package io.edgegw.bundle;

import java.io.IOException;

/**
 * The registry answered, and refused: unknown repository, tag or blob (404), authentication
 * required (401/403), or a request it found invalid. Retrying the same request will not help,
 * unlike {@link RegistryUnavailableException}.
 */
public final class RegistryException extends IOException {

  private static final long serialVersionUID = 1L;

  private final int status;

  /**
   * @param status the HTTP status
   * @param message what was asked, of which registry, and the registry's own error text
   */
  public RegistryException(int status, String message) {
    super(message);
    this.status = status;
  }

  /** The HTTP status the registry answered. */
  public int status() {
    return status;
  }
}
