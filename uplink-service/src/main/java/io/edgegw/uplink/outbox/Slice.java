package io.edgegw.uplink.outbox;

/**
 * The rows of one cloud message, before they are read: whole commits {@code fromSeq..toSeq}, or the
 * rows {@code firstRow..firstRow+rows-1} of the single commit {@code fromSeq == toSeq} (in the
 * order {@code (series_id, ts)} for samples, {@code (ts, id)} for alarm events).
 *
 * <p>Commits are immutable once visible, so a slice names the same rows every time it is read, and
 * its {@link #key} is the same on every resend.
 *
 * @param kind telemetry or alarm events
 * @param fromSeq first commit
 * @param toSeq last commit
 * @param firstRow offset of the first row inside the commit; 0 for whole commits
 * @param rows rows in the message
 * @param part whether the slice is a proper part of one commit
 */
public record Slice(Kind kind, long fromSeq, long toSeq, int firstRow, int rows, boolean part) {

  /** What a slice carries. */
  public enum Kind {
    ALARM("a"),
    TELEMETRY("t");

    private final String code;

    Kind(String code) {
      this.code = code;
    }

    /** The kind's letter in a message key. */
    public String code() {
      return code;
    }
  }

  public Slice {
    if (fromSeq > toSeq || rows <= 0 || firstRow < 0) {
      throw new IllegalArgumentException(
          "bad slice " + kind + " " + fromSeq + "-" + toSeq + " rows " + firstRow + "+" + rows);
    }
    if (part && fromSeq != toSeq) {
      throw new IllegalArgumentException("a part lies inside one commit: " + fromSeq + "-" + toSeq);
    }
    if (!part && firstRow != 0) {
      throw new IllegalArgumentException("whole commits start at row 0, got " + firstRow);
    }
  }

  /** Whole commits. */
  public static Slice whole(Kind kind, long fromSeq, long toSeq, int rows) {
    return new Slice(kind, fromSeq, toSeq, 0, rows, false);
  }

  /** Part of commit {@code seq}. */
  public static Slice part(Kind kind, long seq, int firstRow, int rows) {
    return new Slice(kind, seq, seq, firstRow, rows, true);
  }

  /**
   * The dedup key: {@code {gateway}:{t|a}:{fromSeq}-{toSeq}} for whole commits, with {@code
   * :{firstRow}-{lastRow}} appended for a part. It depends only on which rows the message holds, so
   * a resend of the same rows has the same key.
   */
  public String key(String gatewayId) {
    String base = gatewayId + ":" + kind.code() + ":" + fromSeq + "-" + toSeq;
    return part ? base + ":" + firstRow + "-" + (firstRow + rows - 1) : base;
  }

  /** Whether commit {@code seq} has rows in this slice. */
  public boolean covers(long seq) {
    return seq >= fromSeq && seq <= toSeq;
  }
}
