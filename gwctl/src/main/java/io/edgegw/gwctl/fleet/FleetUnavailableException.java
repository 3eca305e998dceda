package io.edgegw.gwctl.fleet;

import java.io.IOException;

/** The cloud broker could not be reached or refused gwctl; nothing was sent to any gateway. */
public final class FleetUnavailableException extends IOException {

  private static final long serialVersionUID = 1L;

  FleetUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
