package io.edgegw.offline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgegw.testsupport.CloudApplication;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * What the cloud received, decoded as a cloud application would: telemetry messages deduplicated by
 * their key, every sample placed by (series, step) in bit sets, and the first-arrival order of each
 * series per lane.
 */
final class CloudView {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One sample as it first arrived. */
  record Arrival(int series, long step, String lane, double value, long atNanos) {}

  private final PlantData plant;
  private final long stepsTotal;
  private final Set<String> keys = new HashSet<>();
  private int next;
  final BitSet seen = new BitSet();
  final BitSet twice = new BitSet();
  final List<Arrival> firstArrivals = new ArrayList<>();
  final List<String> wrongValues = new ArrayList<>();
  int messages;
  int duplicateKeys;

  /**
   * @param stepsTotal the plant steps of the simulated period (live steps after it have no expected
   *     value to check)
   */
  CloudView(PlantData plant, long stepsTotal) {
    this.plant = plant;
    this.stepsTotal = stepsTotal;
  }

  /** Distinct samples so far, after decoding what arrived since the last call. */
  synchronized long distinct(List<CloudApplication.Received> received) {
    consume(received);
    return seen.cardinality();
  }

  /** Decodes the telemetry messages of {@code received} not yet seen, in arrival order. */
  synchronized CloudView consume(List<CloudApplication.Received> received) {
    CloudView v = this;
    for (; next < received.size(); next++) {
      CloudApplication.Received r = received.get(next);
      if (!r.topic().equals(OfflineGateway.ROOT + "/telemetry")) {
        continue;
      }
      JsonNode m = decode(r);
      v.messages++;
      if (!keys.add(m.get("key").asText())) {
        v.duplicateKeys++;
        continue;
      }
      String lane = m.get("lane").asText();
      for (JsonNode s : m.get("samples")) {
        int device = Integer.parseInt(s.get("device").asText().substring(1));
        int tag = Integer.parseInt(s.get("tag").asText().substring(1));
        int series = device * PlantData.TAGS_PER_DEVICE + tag;
        long step = plant.step(s.get("t").asLong());
        int bit = Math.toIntExact(step * PlantData.SERIES + series);
        if (v.seen.get(bit)) {
          v.twice.set(bit);
          continue;
        }
        v.seen.set(bit);
        double value = s.get("v").asDouble();
        if (step < stepsTotal && value != plant.value(series, step)) {
          v.wrongValues.add(s.toString());
        }
        v.firstArrivals.add(new Arrival(series, step, lane, value, r.atNanos()));
      }
    }
    return this;
  }

  /** Series whose first arrivals on {@code lane} go back in plant time. */
  List<Integer> outOfOrder(String lane) {
    long[] last = new long[PlantData.SERIES];
    java.util.Arrays.fill(last, -1);
    List<Integer> bad = new ArrayList<>();
    for (Arrival a : firstArrivals) {
      if (a.lane().equals(lane)) {
        if (a.step() < last[a.series()] && !bad.contains(a.series())) {
          bad.add(a.series());
        }
        last[a.series()] = a.step();
      }
    }
    return bad;
  }

  static JsonNode decode(CloudApplication.Received r) {
    try {
      byte[] payload = r.payload();
      if ("application/json+gzip".equals(r.contentType())) {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(payload))) {
          payload = in.readAllBytes();
        }
      }
      return JSON.readTree(payload);
    } catch (IOException e) {
      throw new UncheckedIOException("undecodable message on " + r.topic(), e);
    }
  }
}
