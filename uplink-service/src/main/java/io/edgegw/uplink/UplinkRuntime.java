package io.edgegw.uplink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agroal.api.AgroalDataSource;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.edgegw.uplink.cloud.CloudMessage;
import io.edgegw.uplink.cloud.CloudSession;
import io.edgegw.uplink.cloud.CloudSettings;
import io.edgegw.uplink.cloud.LocalBus;
import io.edgegw.uplink.command.CommandGate;
import io.edgegw.uplink.command.CommandRelay;
import io.edgegw.uplink.outbox.DeliveryLedger;
import io.edgegw.uplink.outbox.DeliveryScheduler;
import io.edgegw.uplink.outbox.MessageCodec;
import io.edgegw.uplink.outbox.OutboxDelivery;
import io.edgegw.uplink.outbox.OutboxReader;
import io.edgegw.uplink.outbox.Slice;
import io.edgegw.uplink.state.LinkState;
import io.edgegw.uplink.state.OutageSummary;
import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Wires uplink-service: the cloud session, delivery from the outbox on one {@link DeliveryLoop}
 * thread, the link state as the retained {@code gw/v1/status/uplink} and as gauges, and the relay
 * of cloud commands to the local bus.
 */
@ApplicationScoped
public class UplinkRuntime {
  private static final Logger LOG = Logger.getLogger(UplinkRuntime.class);
  static final String COMPONENT = "uplink";

  /** ota-agent's gateway health aggregate, relayed to the cloud. */
  static final String GATEWAY_HEALTH = Topics.status("gateway");

  private static final int MAX_COMMAND_BYTES = 64 * 1024;
  private static final Duration RATE_HALF_LIFE = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  @Inject UplinkConfig config;
  @Inject AgroalDataSource dataSource;
  @Inject MeterRegistry registry;
  @Inject InstantSource clock;

  @ConfigProperty(name = "quarkus.application.version", defaultValue = "0")
  String version;

  private final PayloadCodec codec = new PayloadCodec();
  private CloudSession cloud;
  private LocalBus bus;
  private CommandRelay relay;
  private DeliveryLoop loop;
  private Thread loopThread;
  private long started;
  private String topicRoot;
  private volatile LinkState.Snapshot snapshot =
      new LinkState.Snapshot(LinkState.Mode.OFFLINE, 0, Duration.ZERO, 0, Optional.empty());

  void onStart(@Observes StartupEvent event) {
    started = clock.millis();
    CloudSettings settings = CloudSettings.from(config.gatewayId(), config.cloud());
    topicRoot = settings.topicPrefix() + "/" + settings.gatewayId();
    cloud = new CloudSession(settings, clock);

    UplinkConfig.Bus b = config.bus();
    bus =
        new LocalBus(
            new LocalBus.Settings(b.host(), b.port(), b.clientId(), b.username(), b.password()),
            this::onLocalMessage,
            this::publishStatus,
            Topics.status(COMPONENT),
            codec.encode(status(LinkState.Mode.OFFLINE, Status.State.OFFLINE)));
    bus.subscribeOnConnect(Topics.REPLY_ALL);
    bus.subscribeOnConnect(GATEWAY_HEALTH);

    UplinkConfig.Commands c = config.commands();
    CommandGate gate =
        new CommandGate(
            settings.topicPrefix(),
            settings.gatewayId(),
            new HashSet<>(c.allowed()),
            c.perSecond(),
            c.burst(),
            TimeMeter.SYSTEM_NANOTIME,
            clock::millis,
            MAX_COMMAND_BYTES);
    relay =
        new CommandRelay(
            gate,
            settings.topicPrefix(),
            settings.gatewayId(),
            (topic, payload) -> bus.publish(topic, payload, false),
            (topic, payload) ->
                cloud.publish(
                    CloudMessage.atLeastOnce(topic, payload)
                        .withProperties("application/json", Map.of())),
            target -> c.longRunning().contains(target) ? c.longReplyTimeout() : c.replyTimeout(),
            clock::millis);
    cloud.subscribe(relay.filter(), relay::onCloudCommand);

    OutboxReader reader = new OutboxReader(dataSource);
    DeliveryLedger ledger = new DeliveryLedger(dataSource, config.outbox().consumer());
    DeliveryScheduler scheduler =
        new DeliveryScheduler(
            config.outbox().inFlight(),
            config.backfill().messagesPerSecond(),
            config.backfill().bytesPerSecond(),
            TimeMeter.SYSTEM_NANOTIME);
    OutboxDelivery delivery =
        new OutboxDelivery(
            reader,
            ledger,
            scheduler,
            new MessageCodec(config.backfill().compressAbove()),
            new OutboxDelivery.Settings(
                settings.gatewayId(),
                config.outbox().liveSamplesPerMessage(),
                config.backfill().samplesPerMessage()));
    LinkState link =
        new LinkState(clock, System::nanoTime, config.offline().after(), RATE_HALF_LIFE);
    loop =
        new DeliveryLoop(
            cloud,
            delivery,
            scheduler,
            reader,
            ledger,
            link,
            System::nanoTime,
            config.outbox().consumer(),
            topicRoot,
            config.outbox().livePollInterval(),
            config.status().interval(),
            new Events());
    cloud.addListener(loop.listener());
    registerGauges();

    loopThread = Thread.ofPlatform().name("uplink-delivery").daemon().unstarted(loop);
    loopThread.start();
    bus.start();
    cloud.start();
  }

  void onStop(@Observes ShutdownEvent event) {
    if (loop != null) {
      loop.stop();
      try {
        loopThread.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (cloud != null) {
      cloud.close();
    }
    if (bus != null) {
      if (bus.isConnected()) {
        try {
          bus.publish(
                  Topics.status(COMPONENT),
                  codec.encode(status(LinkState.Mode.OFFLINE, Status.State.OFFLINE)),
                  true)
              .get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
          LOG.debugf("the OFFLINE status was not acknowledged: %s", e.toString());
        }
      }
      bus.close();
    }
  }

  private void onLocalMessage(String topic, byte[] payload) {
    if (topic.equals(GATEWAY_HEALTH)) {
      relayHealth(payload);
      return;
    }
    if (!relay.onLocalReply(payload)) {
      LOG.debugf("a reply on %s answers no relayed command", topic);
    }
  }

  /**
   * The ota-agent's gateway health aggregate goes to {@code {prefix}/{gatewayId}/health}, retained,
   * as it is: the fleet's dashboards read it there. While the cloud is away it is not kept: the
   * next one (every health interval) replaces it.
   */
  private void relayHealth(byte[] payload) {
    cloud
        .publish(
            CloudMessage.atLeastOnce(topicRoot + "/health", payload)
                .retained()
                .withProperties("application/json", Map.of()))
        .whenComplete((x, err) -> {
          if (err != null) {
            LOG.debugf("gateway health not relayed: %s", err.getMessage());
          }
        });
  }

  /** Whether the edge store answers; for readiness. */
  boolean databaseReachable() {
    try (Connection c = dataSource.getConnection()) {
      return c.isValid(2);
    } catch (Exception e) {
      return false;
    }
  }

  /** Whether the local bus session is up; for readiness. */
  boolean busConnected() {
    return bus != null && bus.isConnected();
  }

  /** The last reported state of the cloud link. */
  LinkState.Snapshot snapshot() {
    return snapshot;
  }

  private void publishStatus() {
    if (bus == null || !bus.isConnected()) {
      return;
    }
    LinkState.Snapshot s = snapshot;
    Status.State state =
        switch (s.mode()) {
          case ONLINE, BACKFILLING -> Status.State.ONLINE;
          // The service works (it buffers and counts), but the cloud does not answer.
          case OFFLINE -> Status.State.DEGRADED;
        };
    bus.publish(Topics.status(COMPONENT), codec.encode(status(s.mode(), state)), true)
        .whenComplete((x, err) -> {
          if (err != null) {
            LOG.debugf("status not published: %s", err.getMessage());
          }
        });
  }

  private Status status(LinkState.Mode mode, Status.State state) {
    LinkState.Snapshot s = snapshot;
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("link", mode.name());
    detail.put("backlogRows", s.backlogRows());
    detail.put("oldestUnsentAgeSeconds", s.oldestUnsentAge().toSeconds());
    detail.put("backfillRate", Math.round(s.backfillRowsPerSecond() * 10) / 10.0);
    s.eta().ifPresent(eta -> detail.put("etaSeconds", eta.toSeconds()));
    if (cloud != null) {
      cloud.lastError().ifPresent(e -> detail.put("lastError", e));
    }
    return Status.of(COMPONENT, state, version, started, clock.millis(), detail);
  }

  private void registerGauges() {
    for (LinkState.Mode mode : LinkState.Mode.values()) {
      Gauge.builder("uplink_link_state", this, r -> r.snapshot.mode() == mode ? 1 : 0)
          .description("1 for the cloud link's current state")
          .tag("state", mode.name())
          .register(registry);
    }
    Gauge.builder("uplink_backlog_rows", this, r -> r.snapshot.backlogRows())
        .description("samples the cloud has not acknowledged")
        .register(registry);
    Gauge.builder(
            "uplink_oldest_unsent_age_seconds", this, r -> r.snapshot.oldestUnsentAge().toSeconds())
        .description("age of the oldest sample the cloud has not acknowledged")
        .register(registry);
    Gauge.builder("uplink_backfill_rows_per_second", this, r -> r.snapshot.backfillRowsPerSecond())
        .description("acknowledged backfill rows per second (EWMA)")
        .register(registry);
    Gauge.builder(
            "uplink_backfill_eta_seconds",
            this,
            r -> r.snapshot.eta().map(Duration::toSeconds).orElse(-1L))
        .description("time to drain the backlog at the backfill rate; -1 when unknown")
        .register(registry);
  }

  /** The loop's reports, on the loop thread. */
  private final class Events implements DeliveryLoop.Events {
    private final Map<String, Counter> published = new LinkedHashMap<>();
    private final Map<String, Counter> acked = new LinkedHashMap<>();
    private final Counter samples =
        Counter.builder("uplink_samples_acked")
            .description("samples acknowledged by the cloud")
            .register(registry);

    private Counter counter(Map<String, Counter> counters, String name, Slice.Kind kind) {
      return counters.computeIfAbsent(
          name + kind,
          k ->
              Counter.builder(name)
                  .tag("kind", kind.name().toLowerCase(Locale.ROOT))
                  .register(registry));
    }

    @Override
    public void published(OutboxDelivery.Outgoing message) {
      counter(published, "uplink_messages_published", message.slice().kind()).increment();
    }

    @Override
    public void acknowledged(OutboxDelivery.Outgoing message) {
      counter(acked, "uplink_messages_acked", message.slice().kind()).increment();
      if (message.slice().kind() == Slice.Kind.TELEMETRY) {
        samples.increment(message.slice().rows());
      }
    }

    @Override
    public void state(LinkState.Snapshot s) {
      snapshot = s;
      publishStatus();
    }

    @Override
    public void outage(OutageSummary outage) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("v", 1);
      body.put("gateway", config.gatewayId());
      body.put("start", outage.start().toEpochMilli());
      body.put("end", outage.end().toEpochMilli());
      body.put("durationSeconds", outage.duration().toSeconds());
      body.put("rowsBackfilled", outage.rowsBackfilled());
      body.put("backlogAtEnd", outage.backlogAtEnd());
      LOG.infof(
          "cloud link outage over: %d s, %d rows backfilled",
          outage.duration().toSeconds(), outage.rowsBackfilled());
      byte[] payload;
      try {
        payload = JSON.writeValueAsBytes(body);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("cannot encode an outage summary", e);
      }
      CompletableFuture<Void> sent =
          cloud.publish(
              CloudMessage.atLeastOnce(topicRoot + "/outage", payload)
                  .withProperties("application/json", Map.of()));
      sent.whenComplete((x, err) -> {
        if (err != null) {
          LOG.warnf("the outage summary was not acknowledged: %s", err.getMessage());
        }
      });
    }
  }
}
