package io.edgegw.rules.bench;

import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.testsupport.bench.PacedPublisher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The site of the processing benchmark: a devices.yaml of {@code devices} devices x {@code tags}
 * tags (numeric, the last {@value #BOOL_TAGS} of each device bool), a rules.yaml of {@code rules}
 * rules spread over the devices, and the values the publisher sends, made so that the rules fire.
 *
 * <p>Every numeric tag follows its own sine, {@code 50 + 40 sin(2 pi (t / period + phase))}, with a
 * period of 20 to 120 s and a phase that differ by device and tag; a bool tag is the sign of such a
 * sine. The thresholds sit inside the swing (hi 75, hihi 85, lo 25, lolo 15), so each threshold
 * rule raises and clears once per period of its tag; a rate rule's limit is 90% of its tag's
 * steepest slope, so it fires twice per period; expressions combine two tags of a device. For the
 * stale and quality rules the publisher leaves the watched tag out of its device's batches for
 * {@value #STALE_GAP_S} s of every {@value #STALE_CYCLE_S} s, and sends it with quality BAD for
 * {@value #BAD_S} s of every {@value #BAD_CYCLE_S} s. Nothing is random: the same settings give the
 * same files and the same stream.
 */
final class SyntheticSite implements PacedPublisher.Samples {

  /** The last tags of each device are bool (coils); the others float32 holding registers. */
  static final int BOOL_TAGS = 5;

  static final int STALE_AFTER_S = 3;
  static final int STALE_GAP_S = 8;
  static final int STALE_CYCLE_S = 40;
  static final int BAD_S = 5;
  static final int BAD_CYCLE_S = 50;
  private static final int[] PERIODS_S = {20, 30, 45, 60, 90, 120};
  private static final double MID = 50;
  private static final double SWING = 40;

  /** The rule mix, by rule index modulo 20. */
  enum Kind {
    THRESHOLD,
    RATE,
    STALE,
    QUALITY,
    EXPRESSION;

    static Kind of(int rule) {
      int slot = rule % 20;
      if (slot < 14) {
        return THRESHOLD;
      }
      return switch (slot) {
        case 14, 15 -> RATE;
        case 16 -> STALE;
        case 17 -> QUALITY;
        default -> EXPRESSION;
      };
    }
  }

  private final int devices;
  private final int tags;
  private final int rules;
  private final int numericTags;
  private final String[] tagNames;
  private final double[][] periodMs;
  private final double[][] phase;

  /** Per device: the tags a stale rule watches, and those a quality rule watches. */
  private final boolean[][] staleTag;

  private final boolean[][] badTag;

  SyntheticSite(int devices, int tags, int rules) {
    if (tags <= 2 * BOOL_TAGS || devices < 1 || rules < 1) {
      throw new IllegalArgumentException(
          "the site needs at least 1 device, 1 rule and more than "
              + 2 * BOOL_TAGS
              + " tags per device; got "
              + devices
              + " x "
              + tags
              + ", "
              + rules
              + " rules");
    }
    this.devices = devices;
    this.tags = tags;
    this.rules = rules;
    this.numericTags = tags - BOOL_TAGS;
    this.tagNames = new String[tags];
    this.periodMs = new double[devices][tags];
    this.phase = new double[devices][tags];
    this.staleTag = new boolean[devices][tags];
    this.badTag = new boolean[devices][tags];
    for (int j = 0; j < tags; j++) {
      tagNames[j] = PacedPublisher.tagName(j);
    }
    for (int d = 0; d < devices; d++) {
      for (int j = 0; j < tags; j++) {
        periodMs[d][j] = PERIODS_S[Math.floorMod(d * 31 + j * 17, PERIODS_S.length)] * 1000.0;
        phase[d][j] = Math.floorMod(d * 7919L + j * 104_729L, 1000) / 1000.0;
      }
    }
    for (int i = 0; i < rules; i++) {
      int d = i % devices;
      switch (Kind.of(i)) {
        case STALE -> staleTag[d][staleTagOf(i)] = true;
        case QUALITY -> badTag[d][plainTag(i, 13)] = true;
        case THRESHOLD, RATE, EXPRESSION -> {}
      }
    }
  }

  /** How many rules of each kind the rules.yaml has. */
  Map<String, Integer> mix() {
    Map<String, Integer> mix = new LinkedHashMap<>();
    for (Kind k : Kind.values()) {
      mix.put(k.name().toLowerCase(), 0);
    }
    for (int i = 0; i < rules; i++) {
      mix.merge(Kind.of(i).name().toLowerCase(), 1, Integer::sum);
    }
    return mix;
  }

  /** Numeric tags the stale rules do not use, picked by a stride so rules spread over tags. */
  private int plainTag(int rule, int stride) {
    return Math.floorMod(rule * stride, numericTags - BOOL_TAGS);
  }

  /** Stale rules watch the last numeric tags, which nothing else uses. */
  private int staleTagOf(int rule) {
    return numericTags - BOOL_TAGS + rule % BOOL_TAGS;
  }

  /** The bridge's devices.yaml for the site (the endpoints are never contacted). */
  String devicesYaml() {
    StringBuilder y = new StringBuilder(devices * tags * 80);
    y.append("# Generated by io.edgegw.rules.bench.SyntheticSite: ")
        .append(devices)
        .append(" devices x ")
        .append(tags)
        .append(" tags.\nversion: 1\npollGroups:\n  fast: 1s\ndevices:\n");
    for (int d = 0; d < devices; d++) {
      y.append("  - id: ")
          .append(PacedPublisher.deviceId(d))
          .append("\n    tcp: { host: 127.0.0.1, port: ")
          .append(20_000 + d)
          .append(" }\n    unitId: 1\n    tags:\n");
      for (int j = 0; j < tags; j++) {
        y.append("      - { name: ").append(tagNames[j]);
        if (j < numericTags) {
          y.append(", table: holding, address: ").append(2 * j).append(", type: float32 }\n");
        } else {
          y.append(", table: coil, address: ").append(j - numericTags).append(", type: bool }\n");
        }
      }
    }
    return y.toString();
  }

  /** The rules.yaml: rule {@code i} on device {@code i mod devices}, its kind by {@link Kind}. */
  String rulesYaml() {
    StringBuilder y = new StringBuilder(rules * 200);
    y.append("# Generated by io.edgegw.rules.bench.SyntheticSite: ")
        .append(rules)
        .append(" rules over ")
        .append(devices)
        .append(" devices; no interlocks.\nversion: 1\nrules:\n");
    String[] severities = {"WARNING", "MAJOR", "CRITICAL"};
    String[][] limits = {{"hi", "75"}, {"lo", "25"}, {"hihi", "85"}, {"lolo", "15"}};
    int thresholds = 0;
    for (int i = 0; i < rules; i++) {
      String device = PacedPublisher.deviceId(i % devices);
      String id = String.format("r%04d", i);
      y.append("  - id: ")
          .append(id)
          .append("\n    severity: ")
          .append(severities[i % severities.length])
          .append('\n');
      switch (Kind.of(i)) {
        case THRESHOLD -> {
          String[] limit = limits[thresholds % limits.length];
          String tag = tagNames[plainTag(i, 7)];
          y.append("    message: \"{device}/{tag} at {value}, limit {limit}\"\n")
              .append("    threshold: { device: ")
              .append(device)
              .append(", tag: ")
              .append(tag)
              .append(", ")
              .append(limit[0])
              .append(": ")
              .append(limit[1])
              .append(", hysteresis: ")
              .append(2 + thresholds % 4)
              .append(" }\n");
          // A third wait 2 s before raising, a third 1 s before clearing: delays run in the tick.
          switch (thresholds % 3) {
            case 0 -> y.append("    onDelay: 2s\n");
            case 1 -> y.append("    offDelay: 1s\n");
            default -> {}
          }
          if (thresholds % 10 == 0) {
            y.append("    actions:\n      - event: { name: bench-").append(id).append(" }\n");
          }
          thresholds++;
        }
        case RATE -> {
          // 90% of the steepest slope of the tag's sine: fires twice per period, near the middle.
          int j = plainTag(i, 11);
          double steepest = 2 * Math.PI * SWING / (periodMs[i % devices][j] / 1000);
          y.append("    rate: { device: ")
              .append(device)
              .append(", tag: ")
              .append(tagNames[j])
              .append(", perSecond: ")
              .append(Math.round(steepest * 0.9 * 100) / 100.0)
              .append(" }\n");
        }
        case STALE ->
            y.append("    stale: { device: ")
                .append(device)
                .append(", tag: ")
                .append(tagNames[staleTagOf(i)])
                .append(", after: ")
                .append(STALE_AFTER_S)
                .append("s }\n");
        case QUALITY ->
            y.append("    quality: { device: ")
                .append(device)
                .append(", tag: ")
                .append(tagNames[plainTag(i, 13)])
                .append(", bad: [BAD, COMM_FAILURE] }\n");
        case EXPRESSION -> {
          String a = device + "/" + tagNames[plainTag(i, 3)];
          if (i % 40 < 20) {
            String b = device + "/" + tagNames[plainTag(i + 15, 3)];
            y.append("    expression:\n      when: \"a > 70.0 && b < 30.0\"\n")
                .append("      inputs: { a: ")
                .append(a)
                .append(", b: ")
                .append(b)
                .append(" }\n");
          } else {
            String s = device + "/" + tagNames[numericTags + i % BOOL_TAGS];
            y.append("    expression:\n      when: \"a > 60.0 && !s\"\n")
                .append("      inputs: { a: ")
                .append(a)
                .append(", s: ")
                .append(s)
                .append(" }\n");
          }
        }
      }
    }
    return y.toString();
  }

  /**
   * The batch of device {@code d} at {@code t}: every tag, except a stale rule's during its gap.
   */
  @Override
  public List<Sample> of(int d, long t) {
    List<Sample> batch = new ArrayList<>(tags);
    long second = t / 1000;
    boolean gap = Math.floorMod(second + d * 13L, STALE_CYCLE_S) < STALE_GAP_S;
    boolean bad = Math.floorMod(second + d * 11L, BAD_CYCLE_S) < BAD_S;
    for (int j = 0; j < tags; j++) {
      if (gap && staleTag[d][j]) {
        continue;
      }
      double wave = Math.sin(2 * Math.PI * (t / periodMs[d][j] + phase[d][j]));
      if (bad && badTag[d][j]) {
        batch.add(new Sample(tagNames[j], t, null, Quality.BAD));
      } else if (j < numericTags) {
        batch.add(
            new Sample(
                tagNames[j], t, Math.round((MID + SWING * wave) * 100) / 100.0, Quality.GOOD));
      } else {
        batch.add(new Sample(tagNames[j], t, wave > 0, Quality.GOOD));
      }
    }
    return batch;
  }
}
