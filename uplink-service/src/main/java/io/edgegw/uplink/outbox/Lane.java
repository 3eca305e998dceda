package io.edgegw.uplink.outbox;

/**
 * The two delivery lanes. {@link #LIVE} follows the commits made after the service (re)started;
 * {@link #BACKFILL} drains the older unacknowledged range under a token bucket.
 */
public enum Lane {
  LIVE("live"),
  BACKFILL("backfill");

  private final String column;

  Lane(String column) {
    this.column = column;
  }

  /** The value of {@code outbox_position.lane} and of the messages' {@code lane} field. */
  public String column() {
    return column;
  }
}
