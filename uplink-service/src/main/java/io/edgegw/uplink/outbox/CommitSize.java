package io.edgegw.uplink.outbox;

/**
 * One buffer commit (one {@code ingest_seq}) as the reader sees it before reading its rows.
 *
 * @param seq the commit's ingest_seq
 * @param samples its rows in {@code sample}
 * @param alarms its rows in {@code alarm_event}
 */
public record CommitSize(long seq, int samples, int alarms) {
  public CommitSize {
    if (samples < 0 || alarms < 0 || samples + alarms == 0) {
      throw new IllegalArgumentException(
          "commit " + seq + " must have rows, got " + samples + " samples, " + alarms + " alarms");
    }
  }
}
