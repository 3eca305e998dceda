package io.edgegw.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgegw.contracts.AlarmEvent;
import io.edgegw.contracts.AlarmEvent.Transition;
import io.edgegw.contracts.AlarmState;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.DeadLetter;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.edgegw.testsupport.BusObserver;
import io.edgegw.testsupport.ModbusTcpSimulator;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.ServiceProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged rules-service and bridge-service as child processes, a real Mosquitto and a Modbus
 * TCP simulator on loopback; no uplink-service and no cloud anywhere: local logic needs only the
 * local bus. A register change in the simulator raises the alarm and the interlock write lands in
 * the simulator; a restart in the middle of an active alarm neither raises it again nor loses its
 * clear; malformed telemetry goes to the dead-letter topic and the rules keep running.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RulesProcessIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final PayloadCodec CODEC = new PayloadCodec();

  static MosquittoBroker broker;
  static ModbusTcpSimulator tank;
  static ServiceProcess bridge;
  static ServiceProcess rules;
  static BusObserver bus;
  @TempDir static Path config;

  static final String RULES =
      """
      version: 1
      rules:
        - id: tank-high
          severity: CRITICAL
          message: "Tank level {value} % above {limit} %"
          threshold: { device: tank, tag: level, hi: 90, hysteresis: 5 }
          actions:
            - interlock: { device: tank, tag: inlet, value: false, timeout: 2s, retries: 1, retryDelay: 200ms }
            - event: { name: tank-trip }
        - id: tank-level-bad
          severity: WARNING
          quality: { device: tank, tag: level }
        - id: broken
          severity: INFO
          expression:
            when: "int(level) / 0 > 1"
            inputs: { level: tank/level }
      """;

  static String devices(int port) {
    return """
    version: 1
    pollGroups:
      fast: 200ms
    devices:
      - id: tank
        tcp: { host: 127.0.0.1, port: %d }
        unitId: 1
        timeout: 1s
        tags:
          - { name: level, table: holding, address: 0, type: int16, unit: "%%", deadband: 0, heartbeat: 1s }
          - { name: inlet, table: coil, address: 0, type: bool, writable: true, deadband: 0, heartbeat: 1s }
    """
        .formatted(port);
  }

  static Path jar(String property) {
    String jar = System.getProperty(property);
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException(
          property
              + " is "
              + jar
              + "; run with failsafe after packaging both services (mvn verify -pl"
              + " bridge-service,rules-service -am)");
    }
    return Path.of(jar);
  }

  @BeforeAll
  static void startPlant() throws Exception {
    broker =
        MosquittoBroker.builder().withUser("bridge").withUser("rules").withUser("operator").start();
    tank = ModbusTcpSimulator.start(1);
    tank.setHolding(0, (short) 40);
    tank.setCoil(0, true);
    bus =
        new BusObserver(
            broker.port(), "operator", broker.password("operator"), "it-operator", "gw/v1/#");
    Path devices = Files.writeString(config.resolve("devices.yaml"), devices(tank.port()));
    bridge =
        ServiceProcess.builder("bridge-service", jar("bridge.app.jar"))
            .heap("128m")
            .property("bridge.bus.port", String.valueOf(broker.port()))
            .property("bridge.devices-file", devices.toString())
            .secret("BRIDGE_BUS_PASSWORD", broker.password("bridge"))
            .clearEnvironmentPrefix("BRIDGE_")
            .start();
    rules = rulesProcess(RULES);
    bridge.awaitReady();
    rules.awaitReady();
  }

  static ServiceProcess rulesProcess(String rulesYaml) throws IOException {
    Path dir = Files.createTempDirectory(config, "rules");
    Path file = Files.writeString(dir.resolve("rules.yaml"), rulesYaml);
    return ServiceProcess.builder("rules-service", jar("rules.app.jar"))
        .heap("96m")
        .property("rules.bus.port", String.valueOf(broker.port()))
        .property("rules.rules-file", file.toString())
        .property("rules.devices-file", config.resolve("devices.yaml").toString())
        .secret("RULES_BUS_PASSWORD", broker.password("rules"))
        .clearEnvironmentPrefix("RULES_")
        .start();
  }

  @AfterAll
  static void stopPlant() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {rules, bridge, bus, tank, broker}) {
      if (c != null) {
        c.close();
      }
    }
  }

  static List<AlarmEvent> events(String alarmId) {
    return bus.on(Topics.ALARM_EVENTS).stream()
        .map(r -> r.as(AlarmEvent.class))
        .filter(e -> e.alarmId().equals(alarmId))
        .toList();
  }

  static List<Transition> transitions(String alarmId) {
    return events(alarmId).stream().map(AlarmEvent::transition).toList();
  }

  static AlarmState retained(String alarmId) {
    List<BusObserver.Received> states = bus.on(Topics.alarm(alarmId));
    return states.isEmpty() ? null : states.getLast().as(AlarmState.class);
  }

  @Test
  @Order(1)
  void aRegisterChangeRaisesTheAlarmAndTheInterlockWriteLandsInTheSimulator() {
    // Nothing in this test talks to a cloud: the local bus is the whole world of the rules.
    assertThat(bus.received()).noneMatch(r -> r.topic().startsWith("gw/v1/status/uplink"));
    assertThat(tank.coil(0)).isTrue();
    tank.setHolding(0, (short) 95);
    await("the alarm raised")
        .atMost(WAIT)
        .until(() -> transitions("tank-high").contains(Transition.RAISED));
    AlarmEvent raised = events("tank-high").getFirst();
    assertThat(raised.severity().name()).isEqualTo("CRITICAL");
    assertThat(raised.message()).isEqualTo("Tank level 95 % above 90 %");
    await("the interlock closed the inlet").atMost(WAIT).until(() -> !tank.coil(0));
    await("the interlock's outcome recorded")
        .atMost(WAIT)
        .until(() -> transitions("tank-high").contains(Transition.ACTION));
    AlarmEvent action =
        events("tank-high").stream()
            .filter(e -> e.transition() == Transition.ACTION)
            .findFirst()
            .orElseThrow();
    assertThat(action.detail()).containsEntry("for", "RAISED").containsEntry("ok", true);
    assertThat(action.detail().get("interlocks").toString()).contains("inlet").contains("ok=true");
    await("the custom event")
        .atMost(WAIT)
        .until(() -> !bus.on(Topics.event("tank-trip")).isEmpty());
    await("the retained state")
        .atMost(WAIT)
        .until(() -> retained("tank-high") != null && retained("tank-high").active());
  }

  @Test
  @Order(2)
  void aRuleThatFailsAtRunTimeIsFaultedInTheStatusAndTheMetricAndTheOthersRun() throws Exception {
    await("the status lists the faulted rule")
        .atMost(WAIT)
        .untilAsserted(() -> {
          List<BusObserver.Received> statuses = bus.on(Topics.status("rules"));
          assertThat(statuses).isNotEmpty();
          Status s = statuses.getLast().as(Status.class);
          assertThat(s.state()).as(s.toString()).isEqualTo(Status.State.DEGRADED);
          assertThat(String.valueOf(s.detail().get("faulted")))
              .contains("broken")
              .contains("by zero");
        });
    assertThat(rules.metric("rules_faulted")).isEqualTo(1.0);
    // The other rules kept running: tank-high was raised by the same samples (test 1).
    assertThat(transitions("tank-high")).contains(Transition.RAISED);
  }

  @Test
  @Order(3)
  void anAcknowledgementByCommandIsAnsweredAndPublished() throws Exception {
    Command ack =
        Command.of(
            "it-ack-1",
            "rules",
            "ack",
            Map.of("alarmId", "tank-high"),
            System.currentTimeMillis() + 10_000);
    bus.publish(Topics.command("rules", "ack"), CODEC.encode(ack));
    await("the reply").atMost(WAIT).until(() -> !bus.on(Topics.reply("it-ack-1")).isEmpty());
    CommandResult r = bus.on(Topics.reply("it-ack-1")).getFirst().as(CommandResult.class);
    assertThat(r.ok()).as(r.reason()).isTrue();
    await("acknowledged")
        .atMost(WAIT)
        .until(() -> transitions("tank-high").contains(Transition.ACKNOWLEDGED));
    assertThat(retained("tank-high").acked()).isTrue();
    assertThat(retained("tank-high").active()).isTrue();
    Command unknown =
        Command.of(
            "it-ack-2",
            "rules",
            "ack",
            Map.of("alarmId", "no-such"),
            System.currentTimeMillis() + 10_000);
    bus.publish(Topics.command("rules", "ack"), CODEC.encode(unknown));
    await("the refusal").atMost(WAIT).until(() -> !bus.on(Topics.reply("it-ack-2")).isEmpty());
    CommandResult refused = bus.on(Topics.reply("it-ack-2")).getFirst().as(CommandResult.class);
    assertThat(refused.ok()).isFalse();
    assertThat(refused.reason()).isEqualTo("no alarm 'no-such' in the rule set");
  }

  @Test
  @Order(4)
  void restartedWhileTheAlarmIsActiveItDoesNotRaiseItAgain() throws Exception {
    long raisedBefore =
        transitions("tank-high").stream().filter(t -> t == Transition.RAISED).count();
    rules.kill();
    rules.start();
    rules.awaitReady();
    // The restarted service has evaluated fresh samples of the still-high level ...
    double before = rules.metric("rules_batches_total");
    await("fresh batches evaluated")
        .atMost(WAIT)
        .until(() -> rules.metric("rules_batches_total") >= before + 5);
    // ... and has not raised the alarm a second time.
    assertThat(transitions("tank-high").stream().filter(t -> t == Transition.RAISED).count())
        .isEqualTo(raisedBefore);
    assertThat(retained("tank-high").active()).isTrue();
  }

  @Test
  @Order(5)
  void aClearThatHappensWhileTheServiceIsDownIsNotLost() throws Exception {
    rules.kill();
    int eventsBefore = events("tank-high").size();
    tank.setHolding(0, (short) 30);
    // The bridge publishes the new level while the rules are down.
    await("the low level on the bus")
        .atMost(WAIT)
        .until(() ->
            bus.on(Topics.telemetry("tank")).stream()
                .flatMap(r -> r.as(SampleBatch.class).samples().stream())
                .anyMatch(s -> s.tag().equals("level") && Long.valueOf(30).equals(s.v())));
    assertThat(events("tank-high")).hasSize(eventsBefore);
    rules.start();
    rules.awaitReady();
    await("cleared after the restart")
        .atMost(WAIT)
        .until(() -> transitions("tank-high").getLast() == Transition.CLEARED);
    assertThat(retained("tank-high").active()).isFalse();
    // It had been acknowledged before: back to normal, not waiting for another acknowledgement.
    assertThat(retained("tank-high").acked()).isTrue();
  }

  @Test
  @Order(6)
  void malformedTelemetryGoesToTheDeadLetterTopicAndTheRulesKeepRunning() throws Exception {
    bus.publish(
        Topics.telemetry("tank"),
        "{\"v\":1,\"device\":\"tank\",\"samples\":[".getBytes(StandardCharsets.UTF_8));
    await("the dead letter")
        .atMost(WAIT)
        .until(() -> !bus.on(Topics.deadLetters("rules")).isEmpty());
    DeadLetter dl = bus.on(Topics.deadLetters("rules")).getFirst().as(DeadLetter.class);
    assertThat(dl.topic()).isEqualTo(Topics.telemetry("tank"));
    assertThat(dl.reason()).isNotBlank();
    long raised = transitions("tank-high").stream().filter(t -> t == Transition.RAISED).count();
    tank.setHolding(0, (short) 99);
    await("raised again on a new excursion")
        .atMost(WAIT)
        .until(() ->
            transitions("tank-high").stream().filter(t -> t == Transition.RAISED).count()
                == raised + 1);
    assertThat(rules.isAlive()).isTrue();
  }

  @Test
  @Order(7)
  void aBadRuleFileStopsTheServiceWithFileLineRuleAndReason() throws Exception {
    String bad =
        """
        version: 1
        rules:
          - id: tank-high
            severity: CRITICAL
            threshold: { device: tank, tag: levle, hi: 90 }
        """;
    try (ServiceProcess p = rulesProcess(bad)) {
      int code = p.awaitExit(Duration.ofSeconds(60));
      assertThat(code).isEqualTo(RulesRuntime.EXIT_CONFIG);
      assertThat(p.log()).contains("rules.yaml:5").contains("tank-high").contains("levle");
    }
  }
}
