package io.edgegw.uplink.outbox;

import java.time.Instant;

/**
 * A lane's acknowledged position, as stored in {@code outbox_position}.
 *
 * <p>Without a row key ({@code seriesId} and {@code ts} null) every commit up to and including
 * {@code seq} is acknowledged. With one, the commits before {@code seq} are, and of commit {@code
 * seq} (a commit larger than one message, sent in parts) the alarm events and the samples up to and
 * including ({@code seriesId}, {@code ts}) in (series_id, ts) order.
 */
public record OutboxPosition(long seq, Integer seriesId, Instant ts) {
  public OutboxPosition {
    if (seq < 0) {
      throw new IllegalArgumentException("position seq must be >= 0, got " + seq);
    }
    if ((seriesId == null) != (ts == null)) {
      throw new IllegalArgumentException("a partial position needs both seriesId and ts");
    }
  }

  /** Everything up to and including {@code seq}. */
  public static OutboxPosition through(long seq) {
    return new OutboxPosition(seq, null, null);
  }

  /** Whether part of commit {@code seq} is acknowledged, not all of it. */
  public boolean partial() {
    return seriesId != null;
  }

  /** The highest commit acknowledged in full. */
  public long completeThrough() {
    return partial() ? seq - 1 : seq;
  }
}
