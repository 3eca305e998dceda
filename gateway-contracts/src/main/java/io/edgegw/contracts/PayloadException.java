package io.edgegw.contracts;

/**
 * A payload that cannot be used: malformed JSON, a missing or ill-typed field, a value out of
 * range, the wrong schema version, or an oversized message. The message says which and where; it is
 * meant for the dead-letter record and the operator's log.
 */
public final class PayloadException extends Exception {
  private static final long serialVersionUID = 1L;

  public PayloadException(String message) {
    super(message);
  }

  public PayloadException(String message, Throwable cause) {
    super(message, cause);
  }
}
