package io.edgegw.contracts;

import java.util.List;

/**
 * The samples of one device from one poll, on {@code gw/v1/telemetry/{device}}.
 *
 * @param v schema version
 * @param device device id
 * @param seq per-device sequence number, +1 for every batch the bridge produced since it started (a
 *     jump means batches were lost before this one, see {@code gapBefore})
 * @param samples the samples, at least one
 * @param gapBefore batches of this device the bridge had to drop (its publish queue overflowed)
 *     since the previous batch it published; 0 normally. This is the data-gap flag
 */
public record SampleBatch(int v, String device, long seq, List<Sample> samples, long gapBefore)
    implements Payload {
  public SampleBatch {
    Checks.version(v);
    Checks.topicLevel(device, "device");
    if (seq < 0) {
      throw new IllegalArgumentException("'seq' must be >= 0, got " + seq);
    }
    Checks.present(samples, "samples");
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("'samples' must hold at least one sample");
    }
    samples = List.copyOf(samples);
    if (gapBefore < 0) {
      throw new IllegalArgumentException("'gapBefore' must be >= 0, got " + gapBefore);
    }
  }

  /** A batch in the current schema version. */
  public static SampleBatch of(String device, long seq, List<Sample> samples, long gapBefore) {
    return new SampleBatch(SCHEMA_VERSION, device, seq, samples, gapBefore);
  }
}
