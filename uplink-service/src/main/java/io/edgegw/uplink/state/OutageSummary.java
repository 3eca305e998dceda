package io.edgegw.uplink.state;

import java.time.Duration;
import java.time.Instant;

/**
 * One outage of the cloud link, published to the cloud once its backlog is drained.
 *
 * @param start when the link was last known good (the wait for the unanswered PUBACK began, or the
 *     session dropped)
 * @param end when the cloud acknowledged again
 * @param rowsBackfilled backfill rows acknowledged from the start of the outage to the drain
 * @param backlogAtEnd rows waiting when the link came back
 */
public record OutageSummary(Instant start, Instant end, long rowsBackfilled, long backlogAtEnd) {
  public OutageSummary {
    if (end.isBefore(start)) {
      throw new IllegalArgumentException("outage ends " + end + " before it starts " + start);
    }
  }

  /** How long the link was offline (including the {@code offline.after} it took to notice). */
  public Duration duration() {
    return Duration.between(start, end);
  }
}
