package io.edgegw.ota.artifact;

import io.edgegw.bundle.BundleVerifier;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.Status;
import io.edgegw.ota.update.RetryBackoff;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Device artifacts in the agent: the {@code artifact} verb (pull, verify, store, on its own worker
 * so a slow registry does not hold up a bundle update), the OT-side download server, the per-device
 * download status (retained on {@code gw/v1/status/artifacts}, summarised in the gateway health)
 * and its metrics. Built by the agent's runtime; holds no framework types.
 */
public final class ArtifactDistribution implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ArtifactDistribution.class);

  /** The component name of the retained status. */
  public static final String COMPONENT = "artifacts";

  /**
   * What the distribution needs from its settings.
   *
   * @param root the store's directory
   * @param keep versions kept per name
   * @param maxBytes largest accepted artifact
   * @param listen the OT interface address, or empty when the server is off
   * @param devices the known devices
   * @param maxConcurrent downloads served at once
   * @param responseTimeout longest one response may take
   */
  public record Settings(
      Path root,
      int keep,
      int maxBytes,
      Optional<ListenAddress> listen,
      DeviceTable devices,
      int maxConcurrent,
      Duration responseTimeout) {}

  private final ArtifactStore store;
  private final ArtifactIntake intake;
  private final DeviceTable devices;
  private final DownloadLedger ledger;
  private final InstantSource clock;
  private final BiConsumer<String, CommandResult> reply;
  private final Consumer<Map<String, Object>> statusOut;
  private final ExecutorService worker;
  private final MeterRegistry meters;
  private final AtomicInteger active = new AtomicInteger();
  private final Optional<ListenAddress> listen;
  private ArtifactServer server;

  /**
   * Opens the store and starts the server (when a listen address is set).
   *
   * @param settings the settings
   * @param puller pulls from the registry
   * @param verifier the trust anchors
   * @param backoff registry retry delays
   * @param retryFor how long an unreachable registry is retried
   * @param clock time
   * @param meters metrics
   * @param reply publishes a command result on a reply topic
   * @param statusOut publishes the status detail (retained) whenever it changes
   */
  public static ArtifactDistribution start(
      Settings settings,
      ArtifactIntake.Puller puller,
      BundleVerifier verifier,
      RetryBackoff backoff,
      Duration retryFor,
      InstantSource clock,
      MeterRegistry meters,
      BiConsumer<String, CommandResult> reply,
      Consumer<Map<String, Object>> statusOut)
      throws IOException {
    ArtifactStore store = new ArtifactStore(settings.root(), settings.keep());
    ArtifactIntake intake =
        new ArtifactIntake(
            puller,
            verifier,
            store,
            settings.maxBytes(),
            backoff,
            retryFor,
            clock,
            d -> Thread.sleep(d));
    ArtifactDistribution d =
        new ArtifactDistribution(store, intake, settings, clock, meters, reply, statusOut);
    if (settings.listen().isPresent()) {
      d.server =
          ArtifactServer.start(
              settings.listen().get(),
              settings.maxConcurrent(),
              settings.responseTimeout(),
              store,
              settings.devices(),
              d.ledger);
    } else {
      LOG.info("ota.artifacts.listen is not set: artifacts are stored but not served");
    }
    return d;
  }

  private ArtifactDistribution(
      ArtifactStore store,
      ArtifactIntake intake,
      Settings settings,
      InstantSource clock,
      MeterRegistry meters,
      BiConsumer<String, CommandResult> reply,
      Consumer<Map<String, Object>> statusOut) {
    this.store = store;
    this.intake = intake;
    this.devices = settings.devices();
    this.listen = settings.listen();
    this.clock = clock;
    this.meters = meters;
    this.reply = reply;
    this.statusOut = statusOut;
    this.ledger = new DownloadLedger(clock, this::onDownload);
    this.worker =
        Executors.newSingleThreadExecutor(Thread.ofPlatform().name("ota-artifacts").factory());
    Gauge.builder("ota_artifact_downloads_active", active, AtomicInteger::get)
        .description("artifact downloads being served now")
        .register(meters);
  }

  /** Accepts an {@code artifact} command; its result goes to its {@code replyTo}. */
  public void accept(Command c) {
    String repository = text(c.args().get("repository"));
    String reference = text(c.args().get("reference"));
    if (repository.isEmpty() || reference.isEmpty()) {
      refuse(c, "artifact needs args 'repository' and 'reference' (tag or digest)");
      return;
    }
    List<String> targets;
    try {
      targets = deviceList(c.args().get("devices"));
    } catch (IllegalArgumentException e) {
      refuse(c, e.getMessage());
      return;
    }
    worker.execute(
        () -> bring(c, new ArtifactIntake.Request(repository, reference, targets, c.deadline())));
  }

  private List<String> deviceList(Object value) {
    List<String> ids = new ArrayList<>();
    if (value == null) {
      return ids;
    }
    if (value instanceof List<?> list) {
      list.forEach(v -> ids.add(text(v)));
    } else {
      for (String part : value.toString().split(",")) {
        ids.add(part.strip());
      }
    }
    ids.removeIf(String::isEmpty);
    List<String> unknown = ids.stream().filter(id -> !devices.knows(id)).toList();
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          "unknown device(s) "
              + unknown
              + " in 'devices'; this gateway knows "
              + devices.ids()
              + " (ota.artifacts.devices); nothing stored");
    }
    return ids.stream().distinct().sorted().toList();
  }

  private void bring(Command c, ArtifactIntake.Request request) {
    try {
      ArtifactIntake.Outcome o = intake.bring(request, (step, detail) -> progress(c, step, detail));
      Counter.builder("ota_artifact_intakes")
          .description("artifact commands by outcome (stored, unchanged or why not)")
          .tag("result", o.ok() ? (o.unchanged() ? "unchanged" : "stored") : o.code())
          .register(meters)
          .increment();
      Map<String, Object> result = new LinkedHashMap<>();
      if (o.ok()) {
        StoredArtifact s = o.stored();
        result.put("name", s.name());
        result.put("digest", s.digest());
        result.put("size", s.size());
        result.put("contentSha256", s.contentSha256());
        result.put("mediaType", s.mediaType());
        result.put("devices", s.devices());
        result.put("path", "/artifacts/" + s.name());
        result.put("served", server != null);
        result.put("unchanged", o.unchanged());
        result.put("final", true);
        reply.accept(c.replyTo(), CommandResult.ok(c.id(), clock.millis(), result));
        publishStatus();
      } else {
        result.put("code", o.code());
        result.put("final", true);
        reply.accept(
            c.replyTo(),
            new CommandResult(
                CommandResult.SCHEMA_VERSION, c.id(), false, o.reason(), clock.millis(), result));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.errorf(e, "artifact command %s failed", c.id());
      refuse(c, "artifact failed: " + e + "; the previous version is still served");
    }
  }

  private void progress(Command c, String step, Map<String, Object> detail) {
    Map<String, Object> result = new LinkedHashMap<>(detail);
    result.put("step", step);
    result.put("final", false);
    reply.accept(c.replyTo(), CommandResult.ok(c.id(), clock.millis(), result));
  }

  private void refuse(Command c, String reason) {
    reply.accept(
        c.replyTo(),
        new CommandResult(
            CommandResult.SCHEMA_VERSION,
            c.id(),
            false,
            reason,
            clock.millis(),
            Map.of("code", "BAD_REQUEST", "final", true)));
  }

  private void onDownload(DownloadLedger.Entry e) {
    if (e.state() == DownloadLedger.State.IN_PROGRESS) {
      active.incrementAndGet();
    } else {
      active.decrementAndGet();
      Counter.builder("ota_artifact_downloads")
          .description("artifact downloads by how they ended")
          .tag("state", e.state().name())
          .register(meters)
          .increment();
      Counter.builder("ota_artifact_sent_bytes")
          .description("artifact bytes written to OT devices")
          .register(meters)
          .increment(e.bytes());
    }
    publishStatus();
  }

  /** Publishes the full status (also called on the agent's health tick). */
  public void publishStatus() {
    try {
      statusOut.accept(detail());
    } catch (RuntimeException e) {
      LOG.debugf("artifact status not published: %s", e.getMessage());
    }
  }

  /** The full status detail: the server, the served artifacts, every device's downloads. */
  public Map<String, Object> detail() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("listen", server == null ? "off" : listen.map(ListenAddress::toString).orElse("off"));
    try {
      List<StoredArtifact> served = store.currentAll();
      Map<String, Object> artifacts = new LinkedHashMap<>();
      for (StoredArtifact a : served) {
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("digest", a.digest());
        one.put("size", a.size());
        one.put("mediaType", a.mediaType());
        one.put("storedAt", a.storedAt());
        one.put("source", a.source());
        one.put("devices", a.devices());
        artifacts.put(a.name(), one);
      }
      d.put("artifacts", artifacts);
      d.put("downloads", ledger.snapshot(served));
    } catch (IOException e) {
      d.put("storeError", e.getMessage());
    }
    return d;
  }

  /** The compact section of the gateway health aggregate. */
  public Map<String, Object> summary() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("listen", server == null ? "off" : listen.map(ListenAddress::toString).orElse("off"));
    try {
      d.put("served", ledger.summary(store.currentAll()));
    } catch (IOException e) {
      d.put("storeError", e.getMessage());
    }
    return d;
  }

  /** The status state: DEGRADED when the store cannot be read. */
  public Status.State state(Map<String, Object> detail) {
    return detail.containsKey("storeError") ? Status.State.DEGRADED : Status.State.ONLINE;
  }

  /** The download server's bound address, when it runs. */
  public Optional<java.net.InetSocketAddress> serverAddress() {
    return Optional.ofNullable(server).map(ArtifactServer::address);
  }

  @Override
  public void close() {
    worker.shutdownNow();
    if (server != null) {
      server.close();
    }
  }

  private static String text(Object value) {
    return value == null ? "" : value.toString().strip();
  }
}
