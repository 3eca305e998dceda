package io.edgegw.bundle;

import java.util.Objects;

/**
 * A bundle (or an artifact) that must not be applied, with the reason as a value so that the caller
 * can report it and count it without parsing messages.
 *
 * <p>The message says what is wrong and where (the file, the service, the key id), so it can be
 * shown to an operator as it is. Nothing is changed on disk when this is thrown by this module.
 */
public final class BundleRejectedException extends Exception {

  private static final long serialVersionUID = 1L;

  /** Why a bundle was rejected. */
  public enum Reason {
    /** Not a bundle: missing or unreadable file, bad JSON or YAML, a field out of its form. */
    MALFORMED,
    /** No {@code signature.ed25519}. */
    UNSIGNED,
    /** The signature does not verify with the key it names, over the digest it names. */
    BAD_SIGNATURE,
    /** Signed by a key that is not among the gateway's trust anchors. */
    UNTRUSTED_KEY,
    /** The content changed after signing: its digest is not the one that was signed. */
    TAMPERED,
    /** A symlink, an absolute path, a {@code ..} component or an unexpected entry. */
    PATH_TRAVERSAL,
    /** A Compose service whose image is not pinned as {@code name@sha256:<64 hex>}. */
    UNPINNED_IMAGE,
    /** The version is not above the installed one and this gateway never installed it. */
    DOWNGRADE,
    /** The bundle needs a newer ota-agent than the one running. */
    AGENT_TOO_OLD
  }

  private final Reason reason;

  /**
   * @param reason why
   * @param message what is wrong and where, for the operator
   */
  public BundleRejectedException(Reason reason, String message) {
    super(Objects.requireNonNull(reason, "reason") + ": " + message);
    this.reason = reason;
  }

  /** As {@link #BundleRejectedException(Reason, String)}, keeping the underlying failure. */
  public BundleRejectedException(Reason reason, String message, Throwable cause) {
    super(Objects.requireNonNull(reason, "reason") + ": " + message, cause);
    this.reason = reason;
  }

  /** Why the bundle was rejected. */
  public Reason reason() {
    return reason;
  }
}
