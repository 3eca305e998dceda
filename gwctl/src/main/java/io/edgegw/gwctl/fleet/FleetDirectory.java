package io.edgegw.gwctl.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateways the cloud broker knows: every retained {@code {prefix}/{gatewayId}/status} (uplink's
 * birth and last will) and {@code {prefix}/{gatewayId}/health} (ota-agent's aggregate, relayed).
 * Retained messages arrive right after the SUBACK; the directory is complete when none has come for
 * {@code quiet}.
 */
final class FleetDirectory {

  /** What the broker holds about one gateway. */
  record Gateway(String id, String state, long t, JsonNode health) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private FleetDirectory() {}

  static Map<String, Gateway> read(CloudLink link, String prefix, Duration quiet, Duration max)
      throws IOException {
    Map<String, JsonNode> status = new ConcurrentHashMap<>();
    Map<String, JsonNode> health = new ConcurrentHashMap<>();
    AtomicLong last = new AtomicLong(System.nanoTime());
    link.subscribe(
        prefix + "/+/status",
        (topic, payload) -> {
          put(status, topic, payload);
          last.set(System.nanoTime());
        });
    link.subscribe(
        prefix + "/+/health",
        (topic, payload) -> {
          put(health, topic, payload);
          last.set(System.nanoTime());
        });
    long deadline = System.nanoTime() + max.toNanos();
    try {
      while (System.nanoTime() - last.get() < quiet.toNanos() && System.nanoTime() < deadline) {
        // Retained messages are delivered by the client's threads; this only waits for quiet.
        Thread.sleep(20);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Map<String, Gateway> gateways = new TreeMap<>();
    for (Map.Entry<String, JsonNode> s : status.entrySet()) {
      JsonNode node = s.getValue();
      gateways.put(
          s.getKey(),
          new Gateway(
              s.getKey(),
              node.path("state").asText("UNKNOWN"),
              node.path("t").asLong(0),
              health.get(s.getKey())));
    }
    return gateways;
  }

  private static void put(Map<String, JsonNode> into, String topic, byte[] payload) {
    String[] levels = topic.split("/");
    if (levels.length != 3 || payload.length == 0) {
      return; // an emptied retained message: the gateway was removed
    }
    try {
      into.put(levels[1], JSON.readTree(payload));
    } catch (IOException e) {
      into.put(levels[1], JSON.createObjectNode().put("state", "UNREADABLE"));
    }
  }
}
