package io.edgegw.bridge;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgegw.contracts.SampleBatch;
import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.edgegw.testsupport.BusObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * With the broker down long enough to fill a small publish queue, the bridge refuses further
 * batches, counts them in a metric and its status, and marks the gap on the next batch it sends.
 * What the queue held arrives after the broker returns.
 */
@QuarkusTest
@TestProfile(QueueOverflowIT.SmallQueue.class)
@QuarkusTestResource(value = PlantResource.class, restrictToAnnotatedClass = true)
class QueueOverflowIT {

  /** A 2 KiB queue: a few batches of the typed device fill it. */
  public static class SmallQueue implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("bridge.queue.max-size", "2K");
    }
  }

  private static double metric(String name) {
    String body = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
    return body.lines()
        .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  @Test
  void overflowIsCountedReportedAndMarked() throws Exception {
    try (BusObserver observer =
        new BusObserver(
            PlantResource.broker.port(),
            "observer",
            PlantResource.broker.password("observer"),
            "overflow-observer",
            "gw/v1/#")) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> !observer.on(Topics.telemetry("steady")).isEmpty());
      PlantResource.broker.stop();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> metric("bridge_queue_dropped_batches_total") >= 5);
      assertThat(metric("bridge_queue_bytes")).isLessThanOrEqualTo(2048);
      PlantResource.broker.resume();

      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptionsInstanceOf(java.util.NoSuchElementException.class)
          .untilAsserted(() -> {
            List<SampleBatch> steady =
                observer.on(Topics.telemetry("steady")).stream()
                    .map(r -> r.as(SampleBatch.class))
                    .toList();
            SampleBatch marked =
                steady.stream().filter(b -> b.gapBefore() > 0).findFirst().orElseThrow();
            // The sequence jumps by exactly the batches refused before the marked one.
            SampleBatch previous =
                steady.stream()
                    .filter(b -> b.seq() < marked.seq())
                    .reduce((a, b) -> b)
                    .orElseThrow();
            assertThat(marked.seq() - previous.seq() - 1).isEqualTo(marked.gapBefore());
          });
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> {
            Status s = observer.on(Topics.status("bridge")).getLast().as(Status.class);
            assertThat(s.state()).isEqualTo(Status.State.DEGRADED);
            assertThat(((Number) s.detail().get("queueDroppedBatches")).longValue()).isPositive();
          });
    }
  }
}
