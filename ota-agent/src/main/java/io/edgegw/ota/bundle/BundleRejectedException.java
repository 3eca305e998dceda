package io.edgegw.ota.bundle;

/** A bundle that must not be used, with the reason code and a message for the operator. */
public class BundleRejectedException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String reason;

  /**
   * @param reason a short code: {@code BAD_SIGNATURE}, {@code DOWNGRADE}, {@code PATH_TRAVERSAL}...
   * @param message what is wrong, for the operator
   */
  public BundleRejectedException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** The reason code. */
  public String reason() {
    return reason;
  }
}
