package io.edgegw.rules;

import io.edgegw.config.ConfigException;
import io.edgegw.contracts.AlarmEvent;
import io.edgegw.contracts.AlarmState;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.DeadLetter;
import io.edgegw.contracts.Payload;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.PayloadException;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.edgegw.rules.config.Action;
import io.edgegw.rules.config.DeviceCatalog;
import io.edgegw.rules.config.RuleSet;
import io.edgegw.rules.config.RulesConfigLoader;
import io.edgegw.rules.engine.Outcome;
import io.edgegw.rules.engine.RuleEngine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Wires rules.yaml, the engine and the bus together.
 *
 * <p>Start-up: the rule file is validated first (a bad file stops the service, exit code 2, with
 * every problem at its {@code file:line}). Then the alarm states retained on {@code gw/v1/alarm/+}
 * are restored before any sample is evaluated, so an alarm active before a restart is not raised
 * again and one that cleared meanwhile clears. The end of the retained messages is found with a
 * marker: after subscribing, the service publishes its STARTING status carrying a fresh token, and
 * the broker delivers that after every retained message queued by the subscription.
 *
 * <p>Only then does it subscribe to telemetry, its commands and the bridge's replies.
 */
@ApplicationScoped
public class RulesRuntime {
  private static final Logger LOG = Logger.getLogger(RulesRuntime.class);
  static final String COMPONENT = "rules";
  static final int EXIT_CONFIG = 2;
  private static final String ALARM_PREFIX = Topics.ROOT + "/alarm";
  private static final String TELEMETRY_PREFIX = Topics.ROOT + "/telemetry";
  private static final String REPLY_PREFIX = Topics.ROOT + "/reply";
  private static final String COMMAND_PREFIX = Topics.ROOT + "/cmd/" + COMPONENT;

  @Inject RulesConfig config;
  @Inject MeterRegistry registry;
  @Inject InstantSource clock;

  @ConfigProperty(name = "quarkus.application.version")
  String version;

  private PayloadCodec codec;
  private final PayloadCodec small = new PayloadCodec();
  private volatile RuleEngine engine;
  private volatile RulesBus bus;
  private volatile Interlocks interlocks;
  private ScheduledExecutorService ticker;
  private volatile String configError;
  private volatile boolean restored;
  private final Set<String> restoredIds = new HashSet<>();
  private final String session = UUID.randomUUID().toString();
  private long started;
  private Timer batchTimer;
  private Counter batches;
  private int faultsPublished;

  void onStart(@Observes StartupEvent event) {
    started = clock.millis();
    RuleSet rules;
    try {
      rules = RulesConfigLoader.load(config.rulesFile(), DeviceCatalog.load(config.devicesFile()));
    } catch (ConfigException e) {
      configError = e.getMessage();
      LOG.errorf("rules not started: invalid rule configuration%n%s", e.getMessage());
      Quarkus.asyncExit(EXIT_CONFIG);
      return;
    }
    codec = new PayloadCodec(config.bus().maxPayload());
    engine = new RuleEngine(rules, started);
    LOG.infof("%d rules loaded from %s", engine.size(), config.rulesFile());
    batchTimer =
        Timer.builder("rules.batch.processing")
            .description("From a telemetry batch's arrival to its alarms handed to the client")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(1_000))
            .maximumExpectedValue(Duration.ofSeconds(1))
            .register(registry);
    batches = registry.counter("rules.batches");
    // Gauges are computed when scraped, never on the evaluation path.
    registry.gauge("rules.alarms.active", this, RulesRuntime::activeCount);
    registry.gauge("rules.faulted", this, RulesRuntime::faultedCount);
    registry.gauge("rules.loaded", engine, RuleEngine::size);
    RulesConfig.Bus b = config.bus();
    bus =
        new RulesBus(
            new RulesBus.Settings(
                b.host(), b.port(), b.clientId(), b.username(), b.password(), b.keepAlive()),
            this::onMessage,
            this::onConnected,
            Topics.status(COMPONENT),
            small.encode(status(Status.State.OFFLINE)));
    ticker =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "rules-tick");
          t.setDaemon(true);
          return t;
        });
    long tickMs = Math.max(10, config.tickInterval().toMillis());
    ticker.scheduleAtFixedRate(this::safeTick, tickMs, tickMs, TimeUnit.MILLISECONDS);
    interlocks =
        new Interlocks(
            (topic, payload) -> bus.publish(topic, payload, false), small, clock, registry);
    bus.start();
  }

  private void safeTick() {
    try {
      tick();
    } catch (RuntimeException e) {
      // A defect; the next tick tries again (an exception would end the scheduled task).
      LOG.errorf(e, "evaluating delays and stale tags failed");
    }
  }

  void onStop(@Observes ShutdownEvent event) {
    if (ticker != null) {
      ticker.shutdownNow();
    }
    RulesBus b = bus;
    if (b != null && b.isConnected()) {
      try {
        b.publish(Topics.status(COMPONENT), small.encode(status(Status.State.OFFLINE)), true)
            .get(2, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.debugf("final status: %s", e.toString());
      }
    }
    if (b != null) {
      b.close();
    }
  }

  private void onConnected() {
    try {
      subscribeAfterConnect();
    } catch (RuntimeException e) {
      LOG.errorf(e, "setting up the session failed");
    }
  }

  private void subscribeAfterConnect() {
    if (!restored) {
      bus.subscribe(List.of(Topics.ALARM_ALL, Topics.status(COMPONENT)))
          .thenCompose(
              x -> bus.publish(Topics.status(COMPONENT), small.encode(startingMarker()), true))
          .whenComplete((x, err) -> {
            if (err != null) {
              LOG.errorf("restoring alarm states failed: %s", err.getMessage());
            }
          });
    } else {
      // A new session (clean session): subscribe again, and publish every state again, in case
      // a transition's publish was lost with the old connection.
      subscribeLive();
      synchronized (this) {
        for (AlarmState s : engine.states()) {
          bus.publish(Topics.alarm(s.alarmId()), small.encode(s), true);
        }
      }
    }
  }

  private Status startingMarker() {
    return Status.of(
        COMPONENT,
        Status.State.STARTING,
        version,
        started,
        clock.millis(),
        Map.of("session", session, "phase", "restoring alarm states"));
  }

  private void subscribeLive() {
    bus.subscribe(List.of(Topics.TELEMETRY_ALL, Topics.commandsTo(COMPONENT), Topics.REPLY_ALL))
        .whenComplete((x, err) -> {
          if (err != null) {
            LOG.errorf("subscription failed: %s", err.getMessage());
          } else {
            publishStatus();
          }
        });
  }

  /** Every message, on the client's thread, in the broker's order. */
  private void onMessage(String topic, byte[] payload) {
    try {
      if (topic.startsWith(TELEMETRY_PREFIX + "/")) {
        onTelemetry(topic, payload);
      } else if (topic.startsWith(REPLY_PREFIX + "/")) {
        onReply(topic, payload);
      } else if (topic.startsWith(COMMAND_PREFIX + "/")) {
        onCommand(topic, payload);
      } else if (topic.startsWith(ALARM_PREFIX + "/")) {
        onRetainedAlarm(topic, payload);
      } else if (topic.equals(Topics.status(COMPONENT))) {
        onOwnStatus(payload);
      }
    } catch (RuntimeException e) {
      // A defect, not bad input (bad input is rejected below). Report it and keep the session.
      LOG.errorf(e, "handling a message on %s failed", topic);
      deadLetter(topic, "rules failed to handle this message: " + e, payload, "defect");
    }
  }

  private void onTelemetry(String topic, byte[] payload) {
    long arrived = System.nanoTime();
    SampleBatch batch;
    try {
      batch = codec.decode(payload, SampleBatch.class);
      String device = Topics.lastLevel(topic, TELEMETRY_PREFIX);
      if (!device.equals(batch.device())) {
        throw new PayloadException(
            "the batch names device '" + batch.device() + "' but came on " + topic);
      }
    } catch (PayloadException | IllegalArgumentException e) {
      deadLetter(topic, e.getMessage(), payload, "malformed");
      return;
    }
    List<Outcome> outcomes = new ArrayList<>(0);
    synchronized (this) {
      if (!restored) {
        return; // not subscribed before the restore; a leftover of an earlier session
      }
      engine.onBatch(batch, clock.millis(), outcomes::add);
      publish(outcomes);
      if (engine.faultedCount() != faultsPublished) {
        // A rule became FAULTED or recovered: tell the operator now, not at the next refresh.
        faultsPublished = engine.faultedCount();
        LOG.warnf("%d rule(s) FAULTED: %s", faultsPublished, engine.faulted());
        publishStatus();
      }
    }
    batches.increment();
    batchTimer.record(System.nanoTime() - arrived, TimeUnit.NANOSECONDS);
  }

  /**
   * On- and off-delays and stale tags between samples. Its own thread: Quarkus' scheduler does not
   * run jobs more often than once a second.
   */
  void tick() {
    RuleEngine e = engine;
    if (e == null || !restored) {
      return;
    }
    List<Outcome> outcomes = new ArrayList<>(0);
    synchronized (this) {
      e.tick(clock.millis(), outcomes::add);
      publish(outcomes);
    }
  }

  /** Publishes transitions (state, then event) and starts their actions. Holds the lock. */
  private void publish(List<Outcome> outcomes) {
    if (outcomes.isEmpty()) {
      return;
    }
    for (Outcome o : outcomes) {
      bus.publish(Topics.alarm(o.state().alarmId()), small.encode(o.state()), true);
      bus.publish(Topics.ALARM_EVENTS, small.encode(o.event()), false);
      registry
          .counter("rules.transitions", "transition", o.event().transition().name())
          .increment();
      runActions(o);
    }
  }

  private void runActions(Outcome o) {
    List<CompletableFuture<Map<String, Object>>> writes = new ArrayList<>();
    for (Action a : o.rule().actions()) {
      if (a.on() != o.event().transition()) {
        continue;
      }
      switch (a) {
        case Action.Event ev -> {
          Map<String, Object> detail = new LinkedHashMap<>(o.event().detail());
          detail.put("event", ev.name());
          AlarmEvent custom =
              new AlarmEvent(
                  Payload.SCHEMA_VERSION,
                  o.event().alarmId(),
                  o.event().transition(),
                  o.event().severity(),
                  o.event().value(),
                  o.event().t(),
                  o.event().message(),
                  detail);
          bus.publish(Topics.event(ev.name()), small.encode(custom), false);
        }
        case Action.Interlock il -> writes.add(interlocks.run(il));
      }
    }
    if (writes.isEmpty()) {
      return;
    }
    CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
        .thenRun(() -> {
          List<Map<String, Object>> results = writes.stream().map(CompletableFuture::join).toList();
          boolean ok = results.stream().allMatch(r -> Boolean.TRUE.equals(r.get("ok")));
          if (!ok) {
            LOG.warnf("interlock of alarm %s failed: %s", o.event().alarmId(), results);
          }
          AlarmEvent action =
              new AlarmEvent(
                  Payload.SCHEMA_VERSION,
                  o.event().alarmId(),
                  AlarmEvent.Transition.ACTION,
                  o.event().severity(),
                  o.event().value(),
                  clock.millis(),
                  o.event().message(),
                  Map.of(
                      "for", o.event().transition().name(),
                      "ok", ok,
                      "interlocks", results));
          bus.publish(Topics.ALARM_EVENTS, small.encode(action), false);
        });
  }

  private void onReply(String topic, byte[] payload) {
    try {
      interlocks.onReply(small.decode(payload, CommandResult.class));
    } catch (PayloadException e) {
      // Replies to other components' commands are not ours to judge; only log.
      LOG.debugf("unreadable reply on %s: %s", topic, e.getMessage());
    }
  }

  private void onCommand(String topic, byte[] payload) {
    Command command;
    try {
      command = small.decode(payload, Command.class);
    } catch (PayloadException e) {
      deadLetter(topic, e.getMessage(), payload, "malformed_command");
      return;
    }
    long now = clock.millis();
    CommandResult result;
    if (now > command.deadline()) {
      result = CommandResult.failed(command.id(), now, "deadline passed before it arrived");
    } else if (!"ack".equals(command.verb())
        || !topic.equals(Topics.command(COMPONENT, command.verb()))) {
      result =
          CommandResult.failed(
              command.id(), now, "rules-service has no verb '" + command.verb() + "' (only ack)");
    } else if (!(command.args().get("alarmId") instanceof String alarmId)) {
      result = CommandResult.failed(command.id(), now, "ack needs the text argument 'alarmId'");
    } else {
      synchronized (this) {
        switch (engine.acknowledge(alarmId, now)) {
          case RuleEngine.AckResult.Done d -> {
            publish(List.of(d.outcome()));
            result =
                CommandResult.ok(
                    command.id(),
                    now,
                    Map.of(
                        "alarmId", alarmId, "transition", d.outcome().event().transition().name()));
          }
          case RuleEngine.AckResult.Refused r ->
              result = CommandResult.failed(command.id(), now, r.reason());
        }
      }
    }
    registry
        .counter("rules.commands", "verb", command.verb(), "ok", String.valueOf(result.ok()))
        .increment();
    bus.publish(command.replyTo(), small.encode(result), false);
  }

  private void onRetainedAlarm(String topic, byte[] payload) {
    if (restored || payload.length == 0) {
      return;
    }
    try {
      AlarmState s = small.decode(payload, AlarmState.class);
      synchronized (this) {
        if (engine.restore(s)) {
          restoredIds.add(s.alarmId());
        } else {
          // The rule is gone from rules.yaml: remove its retained state, or dashboards would show
          // it for ever.
          LOG.infof(
              "alarm %s is no longer in the rule set; its retained state is removed", s.alarmId());
          bus.publish(topic, new byte[0], true);
        }
      }
    } catch (PayloadException e) {
      LOG.warnf(
          "retained alarm state on %s is unreadable and is ignored: %s", topic, e.getMessage());
    }
  }

  private void onOwnStatus(byte[] payload) {
    if (restored) {
      return;
    }
    try {
      Status s = small.decode(payload, Status.class);
      if (!session.equals(s.detail().get("session"))) {
        return; // the status retained from before the restart
      }
    } catch (PayloadException e) {
      return;
    }
    synchronized (this) {
      restored = true;
      // States of rules that had none retained (new rules) are published now, so that every
      // alarm of the rule set has its topic.
      for (AlarmState s : engine.states()) {
        if (!restoredIds.contains(s.alarmId())) {
          bus.publish(Topics.alarm(s.alarmId()), small.encode(s), true);
        }
      }
    }
    LOG.infof("%d alarm states restored; evaluating", restoredIds.size());
    // The service's own state publishes would come back on these; it needs them no longer.
    bus.unsubscribe(List.of(Topics.ALARM_ALL, Topics.status(COMPONENT)));
    subscribeLive();
  }

  private void deadLetter(String topic, String reason, byte[] payload, String kind) {
    registry.counter("rules.dlq", "reason", kind).increment();
    LOG.warnf("dead letter (%s) from %s: %s", kind, topic, reason);
    bus.publish(
        Topics.deadLetters(COMPONENT),
        small.encode(DeadLetter.of(COMPONENT, topic, reason, clock.millis(), payload)),
        false);
  }

  /** Refreshes the retained status. */
  @Scheduled(every = "${rules.status.interval}")
  void publishStatus() {
    RulesBus b = bus;
    if (b != null && b.isConnected() && restored) {
      b.publish(Topics.status(COMPONENT), small.encode(status(null)), true);
    }
  }

  /** The current status; {@code forced} overrides the computed state. */
  synchronized Status status(Status.State forced) {
    Map<String, Object> detail = new LinkedHashMap<>();
    Status.State state = forced;
    if (engine != null) {
      detail.put("rules", engine.size());
      detail.put("activeAlarms", engine.activeCount());
      Map<String, String> faulted = engine.faulted();
      if (!faulted.isEmpty()) {
        detail.put("faulted", faulted);
      }
      if (state == null) {
        state = faulted.isEmpty() ? Status.State.ONLINE : Status.State.DEGRADED;
      }
    }
    if (configError != null) {
      detail.put("problem", configError);
    }
    if (interlocks != null) {
      detail.put("interlocksPending", interlocks.pending());
    }
    return Status.of(
        COMPONENT,
        state == null ? Status.State.STARTING : state,
        version,
        started,
        clock.millis(),
        detail);
  }

  /** Why the rules are not evaluating (readiness), or null. */
  public String problem() {
    if (configError != null) {
      return "invalid rule configuration";
    }
    if (bus == null || !bus.isConnected()) {
      return "not connected to the local bus";
    }
    if (!restored) {
      return "restoring alarm states";
    }
    return null;
  }

  private synchronized double activeCount() {
    return engine == null ? 0 : engine.activeCount();
  }

  private synchronized double faultedCount() {
    return engine == null ? 0 : engine.faultedCount();
  }

  /** The engine, for the status endpoint and tests. */
  public synchronized Map<String, String> faulted() {
    return engine == null ? Map.of() : engine.faulted();
  }

  /** Every alarm's state now. */
  public synchronized List<AlarmState> states() {
    return engine == null ? List.of() : engine.states();
  }
}
