package io.edgegw.rules.bench;

import io.edgegw.contracts.AlarmEvent;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.contracts.Topics;
import io.edgegw.testsupport.BusObserver;
import io.edgegw.testsupport.ModbusTcpSimulator;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.bench.Machine;
import io.edgegw.testsupport.bench.Waits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * From a register change in a simulated device to the alarm on the bus and to the interlock's write
 * landing back in the device: Mosquitto, the packaged bridge polling one Modbus TCP simulator
 * (test-support's, behind its proxy) every {@code poll}, and the packaged rules-service with one
 * threshold rule whose interlock writes a coil.
 *
 * <p>Each iteration waits a random time, uniform over one poll interval (so the change falls
 * anywhere in the poll cycle), then takes T0 = {@link System#nanoTime()} and raises the level above
 * the limit in the simulator. It times, from T0: the bridge's telemetry carrying the new level, the
 * RAISED event, the bridge's write command, its reply and the rules' ACTION event arriving at a
 * {@link BusObserver} on {@code gw/v1/#} (each stamped on arrival), and the coil's change in the
 * simulator (a {@link io.edgegw.testsupport.UnitImage.CoilListener}, on the thread that writes it).
 * Then it lowers the level, waits for CLEARED and sets the coil back. All clocks are this JVM's
 * {@code nanoTime}.
 */
final class EndToEndBench {
  /** How often the recorded messages are scanned while an iteration waits. */
  private static final Duration POLL = Duration.ofMillis(2);

  /**
   * @param poll the bridge's poll interval
   * @param iterations measured iterations
   * @param warmupIterations iterations before them, not counted
   * @param budget the most the iterations may take together; fewer are measured if it runs out
   * @param stepTimeout the longest wait for one step (an event, the coil)
   */
  record Settings(
      Duration poll, int iterations, int warmupIterations, Duration budget, Duration stepTimeout) {}

  static final String ALARM = "bench-tank-high";
  private static final String REPLY_PREFIX = Topics.ROOT + "/reply/";
  private static final short HIGH = 95;
  private static final short NORMAL = 40;
  private static final int LEVEL = 0;
  private static final int INLET = 0;

  static final String RULES =
      """
      version: 1
      rules:
        - id: %s
          severity: CRITICAL
          message: "Tank level {value} %% above {limit} %%"
          threshold: { device: tank, tag: level, hi: 90, hysteresis: 5 }
          actions:
            - interlock: { device: tank, tag: inlet, value: false, timeout: 2s, retries: 1, retryDelay: 200ms }
      """
          .formatted(ALARM);

  private final RulesBench.Settings bench;
  private final Settings settings;

  EndToEndBench(RulesBench.Settings bench, Settings settings) {
    this.bench = bench;
    this.settings = settings;
  }

  static String devices(int port, Duration poll) {
    return """
    version: 1
    pollGroups:
      fast: %dms
    devices:
      - id: tank
        tcp: { host: 127.0.0.1, port: %d }
        unitId: 1
        timeout: 1s
        tags:
          - { name: level, table: holding, address: 0, type: int16, unit: "%%", deadband: 0, heartbeat: 1s }
          - { name: inlet, table: coil, address: 0, type: bool, writable: true, deadband: 0, heartbeat: 1s }
    """
        .formatted(poll.toMillis(), port);
  }

  /** A stage that did not come within the step timeout. */
  private static final long MISSING = Long.MIN_VALUE;

  /** What one iteration saw, in ns after T0, or {@link #MISSING}. */
  private static final class Iteration {
    long t0;
    long telemetry = MISSING;
    long raised = MISSING;
    long command = MISSING;
    long coil = MISSING;
    long reply = MISSING;
    long action = MISSING;
    boolean actionOk;
    long cleared = MISSING;

    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("telemetry_ms", ms(telemetry));
      m.put("alarm_ms", ms(raised));
      m.put("command_ms", ms(command));
      m.put("coil_ms", ms(coil));
      m.put("reply_ms", ms(reply));
      m.put("action_event_ms", ms(action));
      m.put("action_ok", actionOk);
      return m;
    }
  }

  Map<String, Object> run() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    Path dir = Files.createDirectories(bench.work().resolve("e2e"));
    try (MosquittoBroker broker =
            MosquittoBroker.builder()
                .withUser("bridge")
                .withUser("rules")
                .withUser("bench")
                .start();
        ModbusTcpSimulator tank = ModbusTcpSimulator.start(1)) {
      tank.setHolding(LEVEL, NORMAL);
      tank.setCoil(INLET, true);
      Path devicesFile =
          Files.writeString(dir.resolve("devices.yaml"), devices(tank.port(), settings.poll()));
      Path rulesFile = Files.writeString(dir.resolve("rules.yaml"), RULES);
      try (BusObserver bus =
              new BusObserver(
                  broker.port(), "bench", broker.password("bench"), "bench-e2e", "gw/v1/#");
          ServiceProcess bridge =
              RulesBench.service("bridge-e2e", bench.bridgeJar(), bench.jvmOptions())
                  .property("bridge.bus.port", String.valueOf(broker.port()))
                  .property("bridge.devices-file", devicesFile.toString())
                  .secret("BRIDGE_BUS_PASSWORD", broker.password("bridge"))
                  .clearEnvironmentPrefix("BRIDGE_")
                  .start();
          ServiceProcess rules =
              RulesBench.service("rules-e2e", bench.rulesJar(), bench.jvmOptions())
                  .property("rules.bus.port", String.valueOf(broker.port()))
                  .property("rules.rules-file", rulesFile.toString())
                  .property("rules.devices-file", devicesFile.toString())
                  .secret("RULES_BUS_PASSWORD", broker.password("rules"))
                  .clearEnvironmentPrefix("RULES_")
                  .start()) {
        bridge.awaitReady(Duration.ofMinutes(2));
        rules.awaitReady(Duration.ofMinutes(2));
        out.put("poll_ms", settings.poll().toMillis());
        out.put("service_logs", List.of(bridge.toString(), rules.toString()));
        out.putAll(measure(tank, bus, bridge, rules));
        out.put(
            "service_log_warnings",
            RulesBench.logLines(bridge, " WARN") + RulesBench.logLines(rules, " WARN"));
      }
    }
    return out;
  }

  private Map<String, Object> measure(
      ModbusTcpSimulator tank, BusObserver bus, ServiceProcess bridge, ServiceProcess rules)
      throws Exception {
    AtomicLong coilWritten = new AtomicLong();
    tank.unit()
        .onCoilChange((address, value) -> {
          if (address == INLET && !value) {
            coilWritten.compareAndSet(0, System.nanoTime());
          }
        });
    long pollNanos = settings.poll().toNanos();
    long timeout = settings.stepTimeout().toNanos();
    List<Iteration> measured = new ArrayList<>();
    List<Iteration> warmup = new ArrayList<>();
    int incomplete = 0;
    long cpuBridge0 = cpuNanos(bridge);
    long cpuRules0 = cpuNanos(rules);
    long[] machine0 = Machine.cpuJiffies();
    long start = System.nanoTime();
    long deadline = start + settings.budget().toNanos();
    int total = settings.warmupIterations() + settings.iterations();
    for (int k = 0; k < total && System.nanoTime() < deadline; k++) {
      LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(pollNanos));
      Iteration it = new Iteration();
      Scan scan = new Scan(bus, bus.received().size());
      coilWritten.set(0);
      it.t0 = System.nanoTime();
      tank.setHolding(LEVEL, HIGH);
      Waits.until(
          Duration.ofNanos(timeout),
          POLL,
          () -> {
            scan.update(it);
            return it.raised != MISSING && it.action != MISSING && coilWritten.get() != 0;
          });
      scan.update(it);
      if (coilWritten.get() != 0) {
        it.coil = coilWritten.get() - it.t0;
      }
      tank.setHolding(LEVEL, NORMAL);
      Waits.until(
          Duration.ofNanos(timeout),
          POLL,
          () -> {
            scan.update(it);
            return it.cleared != MISSING;
          });
      tank.setCoil(INLET, true);
      boolean complete = it.raised != MISSING && it.coil != MISSING && it.cleared != MISSING;
      if (!complete) {
        incomplete++;
      }
      (k < settings.warmupIterations() ? warmup : measured).add(it);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    tank.unit().onCoilChange(null);

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("iterations", measured.size());
    out.put("warmup_iterations", warmup.size());
    out.put("incomplete_iterations", incomplete);
    out.put("run_s", Math.round(seconds * 10) / 10.0);
    out.put(
        "percentiles",
        "nearest rank over the measured iterations (with 100, p99 is the second slowest)");
    out.put("alarm", summary(measured, i -> i.raised));
    out.put("interlock", summary(measured, i -> i.coil));
    out.put("telemetry", summary(measured, i -> i.telemetry));
    out.put("alarm_after_telemetry", summary(measured, i -> diff(i.raised, i.telemetry)));
    out.put("coil_after_command", summary(measured, i -> diff(i.coil, i.command)));
    out.put("reply_after_coil", summary(measured, i -> diff(i.reply, i.coil)));
    out.put("action_after_reply", summary(measured, i -> diff(i.action, i.reply)));
    out.put("actions_ok", measured.stream().filter(i -> i.actionOk).count());
    out.put(
        "bridge_cpu_cores", Math.round((cpuNanos(bridge) - cpuBridge0) / seconds / 1e7) / 100.0);
    out.put("rules_cpu_cores", Math.round((cpuNanos(rules) - cpuRules0) / seconds / 1e7) / 100.0);
    out.put(
        "machine_busy_cores",
        Math.round(Machine.busyCores(machine0, Machine.cpuJiffies()) * 100) / 100.0);
    out.put("load_average_after", Machine.loadAverage());
    out.put("each", measured.stream().map(Iteration::toMap).toList());
    return out;
  }

  /** Reads the observer's new messages once each and fills in what an iteration waits for. */
  private static final class Scan {
    private final BusObserver bus;
    private int next;

    Scan(BusObserver bus, int from) {
      this.bus = bus;
      this.next = from;
    }

    void update(Iteration it) {
      List<BusObserver.Received> all = bus.received();
      for (; next < all.size(); next++) {
        BusObserver.Received r = all.get(next);
        long at = r.atNanos() - it.t0;
        if (at < 0) {
          continue;
        }
        if (r.topic().equals(Topics.telemetry("tank")) && it.telemetry == MISSING) {
          SampleBatch b = r.as(SampleBatch.class);
          for (Sample s : b.samples()) {
            if (s.tag().equals("level") && s.v() instanceof Number n && n.intValue() == HIGH) {
              it.telemetry = at;
            }
          }
        } else if (r.topic().equals(Topics.command("bridge", "write")) && it.command == MISSING) {
          it.command = at;
        } else if (r.topic().startsWith(REPLY_PREFIX) && it.reply == MISSING) {
          it.reply = at;
        } else if (r.topic().equals(Topics.ALARM_EVENTS)) {
          AlarmEvent e = r.as(AlarmEvent.class);
          if (!e.alarmId().equals(ALARM)) {
            continue;
          }
          switch (e.transition()) {
            case RAISED -> it.raised = it.raised == MISSING ? at : it.raised;
            case ACTION -> {
              if (it.action == MISSING) {
                it.action = at;
                it.actionOk = Boolean.TRUE.equals(e.detail().get("ok"));
              }
            }
            case CLEARED -> it.cleared = it.cleared == MISSING ? at : it.cleared;
            case ACKNOWLEDGED, RESET -> {}
          }
        }
      }
    }
  }

  private interface Stage {
    long of(Iteration it);
  }

  /** p50, p99 and max in ms over the iterations where the stage came; how many did not. */
  private static Map<String, Object> summary(List<Iteration> iterations, Stage stage) {
    List<Long> values = new ArrayList<>();
    int missing = 0;
    for (Iteration it : iterations) {
      long v = stage.of(it);
      if (v == MISSING) {
        missing++;
      } else {
        values.add(v);
      }
    }
    values.sort(null);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("n", values.size());
    m.put("missing", missing);
    m.put("min_ms", values.isEmpty() ? null : ms(values.getFirst()));
    m.put("p50_ms", rank(values, 0.50));
    m.put("p90_ms", rank(values, 0.90));
    m.put("p99_ms", rank(values, 0.99));
    m.put("max_ms", values.isEmpty() ? null : ms(values.getLast()));
    return m;
  }

  /** Nearest-rank percentile in ms, or null without values. */
  private static Double rank(List<Long> sorted, double q) {
    if (sorted.isEmpty()) {
      return null;
    }
    int index = (int) Math.ceil(q * sorted.size()) - 1;
    return ms(sorted.get(Math.max(0, index)));
  }

  /** The time between two stages (negative when the second came first), or {@link #MISSING}. */
  private static long diff(long later, long earlier) {
    return later == MISSING || earlier == MISSING ? MISSING : later - earlier;
  }

  private static Double ms(long nanos) {
    return nanos == MISSING ? null : Math.round(nanos / 1e4) / 100.0;
  }

  private static long cpuNanos(ServiceProcess p) {
    return ProcessHandle.of(p.pid())
        .flatMap(h -> h.info().totalCpuDuration())
        .map(Duration::toNanos)
        .orElse(0L);
  }
}
