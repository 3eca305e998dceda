package io.edgegw.offline;

import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.SampleBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulated plant of the offline scenarios: {@value #DEVICES} devices of {@value
 * #TAGS_PER_DEVICE} tags ({@code d0..d4}, {@code t0..t9}), one sample per tag every {@value
 * #INTERVAL_MS} ms of plant time. Values are a deterministic function of the series and the step,
 * so the cloud side can check what arrived without keeping what was sent. Series {@code d0/t0} goes
 * to 95 (above the rule {@code d0-high}'s limit of 90) for the steps of an alarm window.
 *
 * <p>Plant time is compressed by producing it faster than real time: a batch carries {@value
 * #STEPS_PER_BATCH} steps of one device's tags, and the scenario publishes batches as fast as the
 * bus takes them, so a day of plant data is a few seconds of test.
 */
final class PlantData {
  static final int DEVICES = 5;
  static final int TAGS_PER_DEVICE = 10;
  static final int SERIES = DEVICES * TAGS_PER_DEVICE;
  static final long INTERVAL_MS = 10_000;
  static final int STEPS_PER_BATCH = 10;

  private final long t0;
  private final long alarmFrom;
  private final long alarmTo;
  private final long[] seq = new long[DEVICES];

  /**
   * @param t0 plant time of step 0 (epoch ms)
   * @param alarmFrom first step of the alarm window
   * @param alarmTo step after its last
   */
  PlantData(long t0, long alarmFrom, long alarmTo) {
    this.t0 = t0;
    this.alarmFrom = alarmFrom;
    this.alarmTo = alarmTo;
  }

  static String devicesYaml() {
    StringBuilder y = new StringBuilder("version: 1\npollGroups:\n  slow: 10s\ndevices:\n");
    for (int d = 0; d < DEVICES; d++) {
      // Read by buffer and rules for the tags; the bridge does not run: the plant is on the bus.
      y.append("  - id: d")
          .append(d)
          .append("\n    tcp: { host: 127.0.0.1, port: 1 }\n    unitId: 1\n    tags:\n");
      for (int t = 0; t < TAGS_PER_DEVICE; t++) {
        y.append("      - { name: t")
            .append(t)
            .append(", table: holding, address: ")
            .append(2 * t)
            .append(", type: float32, pollGroup: slow, deadband: 0, heartbeat: 60s }\n");
      }
    }
    return y.toString();
  }

  long time(long step) {
    return t0 + step * INTERVAL_MS;
  }

  /** The step of a plant time. */
  long step(long t) {
    return (t - t0) / INTERVAL_MS;
  }

  /** The value of series {@code s} ({@code d * TAGS_PER_DEVICE + t}) at {@code step}. */
  double value(int s, long step) {
    if (s == 0 && step >= alarmFrom && step < alarmTo) {
      return 95.0;
    }
    return Math.round((50 + 10 * Math.sin(step / 60.0 + s)) * 100) / 100.0;
  }

  /** Device {@code d}'s batch of steps {@code [from, to)}. */
  SampleBatch batch(int d, long from, long to) {
    List<Sample> samples = new ArrayList<>((int) (to - from) * TAGS_PER_DEVICE);
    for (long step = from; step < to; step++) {
      for (int t = 0; t < TAGS_PER_DEVICE; t++) {
        samples.add(
            new Sample("t" + t, time(step), value(d * TAGS_PER_DEVICE + t, step), Quality.GOOD));
      }
    }
    return SampleBatch.of("d" + d, seq[d]++, samples, 0);
  }
}
