package io.edgegw.bridge.write;

/** A write command refused before any device was touched; the message is the reason. */
public final class WriteRejected extends Exception {
  private static final long serialVersionUID = 1L;

  public WriteRejected(String reason) {
    super(reason);
  }
}
