package io.edgegw.bridge;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.DeadLetter;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.edgegw.testsupport.BusObserver;
import io.edgegw.testsupport.ModbusTcpSimulator;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The bridge against a real Mosquitto, Modbus TCP simulators on loopback and RTU units on a pty
 * line. Each test waits for a condition with a deadline; none sleeps.
 */
@QuarkusTest
@QuarkusTestResource(value = PlantResource.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BridgeIT {
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private static final PayloadCodec CODEC = new PayloadCodec();
  private static final AtomicInteger IDS = new AtomicInteger();
  private static BusObserver observer;

  @BeforeAll
  static void observe() throws Exception {
    observer =
        new BusObserver(
            PlantResource.broker.port(),
            "observer",
            PlantResource.broker.password("observer"),
            "it-observer",
            "gw/v1/#");
  }

  @AfterAll
  static void stopObserving() throws Exception {
    observer.close();
  }

  private static List<SampleBatch> batches(String device) {
    return observer.on(Topics.telemetry(device)).stream()
        .map(r -> r.as(SampleBatch.class))
        .toList();
  }

  private static Map<String, Sample> latest(String device) {
    Map<String, Sample> last = new HashMap<>();
    batches(device).forEach(b -> b.samples().forEach(s -> last.put(s.tag(), s)));
    return last;
  }

  private static double metric(String series) {
    String body = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
    return body.lines()
        .filter(l -> l.startsWith(series))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  private static CommandResult command(String verb, Map<String, Object> args) throws Exception {
    String id = "it-" + IDS.incrementAndGet();
    Command cmd = Command.of(id, "bridge", verb, args, System.currentTimeMillis() + 10_000);
    observer.publish(Topics.command("bridge", verb), CODEC.encode(cmd));
    return await()
        .atMost(DEADLINE)
        .until(
            () ->
                observer.on(Topics.reply(id)).stream()
                    .findFirst()
                    .map(r -> r.as(CommandResult.class)),
            Optional::isPresent)
        .orElseThrow();
  }

  @Test
  @Order(1)
  void valuesOfEveryTypeArriveDecoded() {
    await()
        .atMost(DEADLINE)
        .untilAsserted(() -> {
          Map<String, Sample> last = latest("typed");
          TypedValues.EXPECTED.forEach((tag, value) -> {
            assertThat(last).as("tag %s published", tag).containsKey(tag);
            assertThat(last.get(tag).q()).as("quality of %s", tag).isEqualTo(Quality.GOOD);
            assertThat(last.get(tag).v()).as("value of %s", tag).isEqualTo(value);
          });
        });
  }

  @Test
  @Order(2)
  void rtuUnitsOnOneLineArriveDecoded() {
    await()
        .atMost(DEADLINE)
        .untilAsserted(() -> {
          assertThat(latest("rtu1").get("flow")).extracting(Sample::v).isEqualTo(111L);
          assertThat(latest("rtu2").get("flow")).extracting(Sample::v).isEqualTo(222L);
        });
  }

  @Test
  @Order(3)
  void readyAndMetricsAreServed() {
    given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
    given().when().get("/q/health/live").then().statusCode(200);
    given()
        .when()
        .get("/q/metrics")
        .then()
        .statusCode(200)
        .body(containsString("bridge_requests_total{device=\"typed\""))
        .body(containsString("bridge_poll_duration_seconds_bucket"))
        .body(containsString("bridge_queue_bytes"));
  }

  @Test
  @Order(4)
  void retainedStatusIsOnline() {
    await()
        .atMost(DEADLINE)
        .untilAsserted(() -> {
          List<BusObserver.Received> st = observer.on(Topics.status("bridge"));
          assertThat(st).isNotEmpty();
          Status s = st.getLast().as(Status.class);
          assertThat(s.state()).isIn(Status.State.ONLINE, Status.State.DEGRADED);
          assertThat(s.detail()).containsEntry("devices", 5);
        });
  }

  @Test
  @Order(5)
  void writeRoundTripChangesTheSimulatorRegister() throws Exception {
    CommandResult result =
        command("write", Map.of("device", "typed", "tag", "setpoint", "value", 42.5));
    assertThat(result.ok()).as(result.reason()).isTrue();
    int bits = Float.floatToIntBits(42.5f);
    assertThat(PlantResource.typed.holding(100)).isEqualTo((short) (bits >>> 16));
    assertThat(PlantResource.typed.holding(101)).isEqualTo((short) bits);

    CommandResult coil =
        command("write", Map.of("device", "typed", "tag", "coil5", "value", false));
    assertThat(coil.ok()).as(coil.reason()).isTrue();
    assertThat(PlantResource.typed.coil(5)).isFalse();
  }

  @Test
  @Order(6)
  void rejectedWritesTouchNothingAndSayWhy() throws Exception {
    short before = PlantResource.typed.holding(100);
    assertThat(command("write", Map.of("device", "typed", "tag", "setpoint", "value", 150)))
        .satisfies(r -> assertThat(r.ok()).isFalse())
        .extracting(CommandResult::reason)
        .asString()
        .contains("above the maximum 100.0");
    assertThat(command("write", Map.of("device", "typed", "tag", "i16", "value", 1)))
        .extracting(CommandResult::reason)
        .asString()
        .contains("is not writable");
    assertThat(command("write", Map.of("device", "nope", "tag", "x", "value", 1)))
        .extracting(CommandResult::reason)
        .asString()
        .contains("unknown device 'nope'");
    assertThat(command("write", Map.of("device", "typed", "tag", "setpoint", "value", "hot")))
        .extracting(CommandResult::reason)
        .asString()
        .contains("must be a number");
    assertThat(command("reboot", Map.of()))
        .extracting(CommandResult::reason)
        .asString()
        .contains("unknown verb 'reboot'");
    assertThat(PlantResource.typed.holding(100)).isEqualTo(before);
  }

  @Test
  @Order(7)
  void malformedCommandGoesToTheDeadLetterTopic() throws Exception {
    observer.publish(
        Topics.command("bridge", "write"), "{\"v\":1,\"id\":".getBytes(StandardCharsets.UTF_8));
    DeadLetter dl =
        await()
            .atMost(DEADLINE)
            .until(() -> observer.on(Topics.deadLetters("bridge")), l -> !l.isEmpty())
            .getFirst()
            .as(DeadLetter.class);
    assertThat(dl.reason()).contains("malformed JSON");
    assertThat(dl.topic()).isEqualTo("gw/v1/cmd/bridge/write");
  }

  @Test
  @Order(8)
  void aSilentDeviceShowsCommFailureAndLeavesOthersOnSchedule() {
    int before = batches("steady").size();
    PlantResource.flaky.setFault(ModbusTcpSimulator.Fault.silent());
    try {
      await()
          .atMost(DEADLINE)
          .until(
              () ->
                  batches("flaky").stream()
                      .flatMap(b -> b.samples().stream())
                      .map(Sample::q)
                      .filter(q -> q == Quality.COMM_FAILURE)
                      .count(),
              n -> n >= 1);
      // The flaky device times out after 1 s per attempt; a shared schedule would stretch the
      // steady device's polls to a second or more.
      await().atMost(DEADLINE).until(() -> batches("steady").size() >= before + 15);
      List<Long> times =
          batches("steady").stream().skip(before).map(b -> b.samples().getFirst().t()).toList();
      for (int i = 1; i < times.size(); i++) {
        assertThat(times.get(i) - times.get(i - 1))
            .as("gap between steady polls %d and %d", i - 1, i)
            .isLessThan(3L * PlantResource.FAST_MS);
      }
      await()
          .atMost(DEADLINE)
          .untilAsserted(
              () -> assertThat(latest("flaky").get("level").q()).isEqualTo(Quality.STALE));
      assertThat(metric("bridge_errors_total{device=\"flaky\",kind=\"TIMEOUT\"}"))
          .isGreaterThanOrEqualTo(1);
      assertThat(metric("bridge_errors_total{device=\"steady\""))
          .as("the healthy device has no errors")
          .isZero();
    } finally {
      PlantResource.flaky.setFault(ModbusTcpSimulator.Fault.none());
    }
    await()
        .atMost(DEADLINE)
        .untilAsserted(() -> {
          Sample s = latest("flaky").get("level");
          assertThat(s.q()).isEqualTo(Quality.GOOD);
          assertThat(s.v()).isEqualTo(9L);
        });
  }

  @Test
  @Order(9)
  void anExceptionResponseMarksSamplesBad() {
    PlantResource.flaky.setFault(ModbusTcpSimulator.Fault.exception(2));
    try {
      await()
          .atMost(DEADLINE)
          .untilAsserted(() -> assertThat(latest("flaky").get("level").q()).isEqualTo(Quality.BAD));
      assertThat(metric("bridge_errors_total{device=\"flaky\",kind=\"EXCEPTION_RESPONSE\"}"))
          .isGreaterThanOrEqualTo(1);
      assertThat(metric("bridge_samples_published_total")).isPositive();
    } finally {
      PlantResource.flaky.setFault(ModbusTcpSimulator.Fault.none());
    }
    await()
        .atMost(DEADLINE)
        .untilAsserted(() -> assertThat(latest("flaky").get("level").q()).isEqualTo(Quality.GOOD));
  }

  @Test
  @Order(10)
  void aBrokerRestartLosesNoBatch() throws Exception {
    // Change the value on every poll cycle is not needed: deadband none publishes every poll.
    await().atMost(DEADLINE).until(() -> batches("steady").size() >= 5);
    long seqBefore = batches("steady").getLast().seq();
    PlantResource.broker.restart();
    await().atMost(DEADLINE).until(() -> batches("steady").getLast().seq() >= seqBefore + 20);
    List<SampleBatch> all = batches("steady");
    long first = all.getFirst().seq();
    long last = all.getLast().seq();
    assertThat(all.stream().mapToLong(SampleBatch::seq).distinct().count())
        .as("every sequence number from %d to %d arrived", first, last)
        .isEqualTo(last - first + 1);
    assertThat(all).allSatisfy(b -> assertThat(b.gapBefore()).isZero());
  }
}
