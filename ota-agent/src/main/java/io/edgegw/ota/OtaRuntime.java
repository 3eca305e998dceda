package io.edgegw.ota;

import io.edgegw.bundle.BundleVerifier;
import io.edgegw.bundle.Keys;
import io.edgegw.bundle.RegistryClient;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.DeadLetter;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.PayloadException;
import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.edgegw.ota.artifact.ArtifactDistribution;
import io.edgegw.ota.artifact.DeviceTable;
import io.edgegw.ota.artifact.ListenAddress;
import io.edgegw.ota.bundle.RegistryBundles;
import io.edgegw.ota.bus.AgentBus;
import io.edgegw.ota.command.OtaCommands;
import io.edgegw.ota.health.GatewayHealth;
import io.edgegw.ota.health.HostMetrics;
import io.edgegw.ota.health.ServiceProbes;
import io.edgegw.ota.health.StatusBoard;
import io.edgegw.ota.stack.PodmanStack;
import io.edgegw.ota.stack.ProcessRunner;
import io.edgegw.ota.stack.Stack;
import io.edgegw.ota.update.FirstBoot;
import io.edgegw.ota.update.HealthGate;
import io.edgegw.ota.update.InstalledBundle;
import io.edgegw.ota.update.RetryBackoff;
import io.edgegw.ota.update.StateStore;
import io.edgegw.ota.update.UpdateFlow;
import io.edgegw.ota.update.VersionPolicy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Wires the ota-agent: the update flow with podman, the local bus (commands in, replies and the
 * retained {@code gw/v1/status/ota} and {@code gw/v1/status/gateway} out), recovery of an update a
 * killed agent left, the periodic gateway health aggregate, and the device artifacts ({@code
 * artifact} verb, OT-side download server, retained {@code gw/v1/status/artifacts}).
 */
@ApplicationScoped
public class OtaRuntime {
  private static final Logger LOG = Logger.getLogger(OtaRuntime.class);

  /** How long a first-boot install may take, the registry's retries included. */
  private static final long FIRST_BOOT_DEADLINE = java.time.Duration.ofHours(1).toMillis();

  static final String COMPONENT = "ota";

  @Inject OtaConfig config;
  @Inject MeterRegistry registry;
  @Inject InstantSource clock;

  @ConfigProperty(name = "quarkus.application.version", defaultValue = "0.0.0")
  String version;

  private final PayloadCodec codec = new PayloadCodec();
  private final StatusBoard board = new StatusBoard();
  private final Map<String, Object> activity = new ConcurrentHashMap<>();
  private StateStore store;
  private Stack stack;
  private UpdateFlow updates;
  private OtaCommands commands;
  private ArtifactDistribution artifacts;
  private HostMetrics host;
  private AgentBus bus;
  private ExecutorService worker;
  private ScheduledExecutorService ticker;
  private Counter rejectedCommands;
  private long started;
  private volatile Status lastHealth;

  void onStart(@Observes StartupEvent event) throws IOException {
    started = clock.millis();
    store = new StateStore(config.stateDir(), config.historySize());
    Map<String, String> env = new LinkedHashMap<>();
    Path conf = config.stack().containersConf();
    if (Files.isRegularFile(conf)) {
      env.put("CONTAINERS_CONF", conf.toString());
    } else {
      LOG.warnf("no containers.conf at %s; podman uses its own configuration", conf);
    }
    ProcessRunner runner = new ProcessRunner(env, config.stack().commandTimeout());
    stack =
        new PodmanStack(
            runner,
            config.stack().podman(),
            config.stack().podmanCompose(),
            config.stack().project(),
            certDirectory());
    RegistryClient registryClient = registryClient();
    List<PublicKey> anchors = trustAnchors();
    RegistryBundles bundles = new RegistryBundles(registryClient, anchors);
    OtaConfig.HealthGate g = config.healthGate();
    HealthGate.Pause pause = d -> Thread.sleep(d);
    updates =
        new UpdateFlow(
            store,
            bundles,
            bundles,
            new VersionPolicy(bundles::compareVersions, version),
            stack,
            new HealthGate(clock, pause, g.window(), g.timeout(), g.interval()),
            new ServiceProbes(stack, board),
            new RetryBackoff(config.registry().retryInitial(), config.registry().retryMax()),
            config.registry().retryFor(),
            clock,
            pause);
    host = new HostMetrics(config.health().proc(), config.health().disk());
    rejectedCommands =
        Counter.builder("ota_commands_rejected")
            .description("commands on gw/v1/cmd/ota/+ that could not be read")
            .register(registry);
    worker = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("ota-worker").factory());
    artifacts = startArtifacts(registryClient, anchors);
    commands =
        new OtaCommands(
            updates,
            stack,
            new ProcessRunner(Map.of(), Duration.ofMinutes(1)),
            config.reboot().command(),
            clock,
            worker,
            this::reply,
            this::activity,
            c -> artifacts.accept(c));
    OtaConfig.Bus b = config.bus();
    bus =
        new AgentBus(
            new AgentBus.Settings(b.host(), b.port(), b.clientId(), b.username(), b.password()),
            this::onMessage,
            this::publishStatus,
            Topics.status(COMPONENT),
            codec.encode(status(Status.State.OFFLINE)));
    bus.subscribeOnConnect(Topics.commandsTo(COMPONENT));
    bus.subscribeOnConnect(Topics.ROOT + "/status/+");
    bus.start();
    activity.put("idle", true);
    // Recovery first, on the worker, so that no command runs before the stack is consistent.
    worker.execute(this::recover);
    Optional<FirstBoot> firstBoot = FirstBoot.due(config.bootstrap(), store.installed());
    firstBoot.ifPresent(install -> worker.execute(() -> firstBoot(install)));
    ticker =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("ota-health").daemon().factory());
    long period = config.health().interval().toMillis();
    ticker.scheduleAtFixedRate(this::publishHealth, 0, period, TimeUnit.MILLISECONDS);
  }

  void onStop(@Observes ShutdownEvent event) {
    if (artifacts != null) {
      artifacts.close();
    }
    if (ticker != null) {
      ticker.shutdownNow();
    }
    if (worker != null) {
      worker.shutdownNow();
    }
    if (bus != null) {
      if (bus.isConnected()) {
        try {
          bus.publish(Topics.status(COMPONENT), codec.encode(status(Status.State.OFFLINE)), true)
              .get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
          LOG.debugf("the OFFLINE status was not acknowledged: %s", e.toString());
        }
      }
      bus.close();
    }
  }

  /**
   * Installs the first-boot bundle through the update flow. Its progress and result go to the
   * agent's status (there is no command to reply to).
   */
  private void firstBoot(FirstBoot b) {
    String id = "first-boot-" + clock.millis();
    LOG.infof("first boot: installing %s:%s", b.repository(), b.reference());
    try {
      UpdateFlow.Outcome o =
          updates.deploy(
              new UpdateFlow.Request(
                  id, "", b.repository(), b.reference(), clock.millis() + FIRST_BOOT_DEADLINE),
              (step, detail) -> activity(Map.of("command", id, "step", step)));
      commands.report(o);
      if (o.ok()) {
        LOG.infof("first boot: %s:%s installed", b.repository(), b.reference());
      } else {
        LOG.errorf(
            "first boot: installing %s:%s failed: %s", b.repository(), b.reference(), o.result());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      activity.remove("step");
      publishStatus();
    }
  }

  private void recover() {
    try {
      activity.put("step", "recovering");
      updates.recover((step, detail) -> activity(Map.of("step", step))).ifPresent(commands::report);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      activity.remove("step");
      publishStatus();
    }
  }

  private void onMessage(String topic, byte[] payload) {
    if (topic.startsWith(Topics.ROOT + "/status/")) {
      if (payload.length == 0) {
        return;
      }
      try {
        board.update(codec.decode(payload, Status.class));
      } catch (PayloadException e) {
        LOG.debugf("unreadable status on %s: %s", topic, e.getMessage());
      }
      return;
    }
    Command c;
    try {
      c = codec.decode(payload, Command.class);
    } catch (PayloadException e) {
      rejectedCommands.increment();
      LOG.warnf("unreadable command on %s: %s", topic, e.getMessage());
      bus.publish(
          Topics.deadLetters(COMPONENT),
          codec.encode(DeadLetter.of(COMPONENT, topic, e.getMessage(), clock.millis(), payload)),
          false);
      return;
    }
    String verb = Topics.lastLevel(topic, Topics.ROOT + "/cmd/" + COMPONENT);
    if (!verb.equals(c.verb()) || !COMPONENT.equals(c.target())) {
      reply(
          c.replyTo(),
          CommandResult.failed(
              c.id(),
              clock.millis(),
              "command for " + c.target() + "/" + c.verb() + " arrived on " + topic));
      return;
    }
    commands.accept(c);
  }

  private void reply(String topic, CommandResult result) {
    if (bus == null || topic == null || topic.isBlank()) {
      return;
    }
    bus.publish(topic, codec.encode(result), false)
        .whenComplete((x, err) -> {
          if (err != null) {
            LOG.warnf("reply on %s not acknowledged: %s", topic, err.getMessage());
          }
        });
  }

  private void activity(Map<String, Object> now) {
    if (now.containsKey("idle")) {
      activity.clear();
    } else {
      activity.remove("idle");
    }
    activity.putAll(now);
    publishStatus();
  }

  private void publishStatus() {
    if (bus == null || !bus.isConnected()) {
      return;
    }
    bus.publish(Topics.status(COMPONENT), codec.encode(status(Status.State.ONLINE)), true);
  }

  private Status status(Status.State state) {
    Map<String, Object> detail = new LinkedHashMap<>(activity);
    try {
      InstalledBundle current = store == null ? null : store.installed().current();
      if (current != null) {
        detail.put("bundleVersion", current.version());
        detail.put("bundleDigest", current.digest());
      }
    } catch (IOException e) {
      detail.put("stateError", e.getMessage());
    }
    return Status.of(COMPONENT, state, version, started, clock.millis(), detail);
  }

  private void publishHealth() {
    try {
      StateStore.Installed installed = store.installed();
      List<String> expected = new ArrayList<>();
      if (installed.current() != null) {
        try {
          expected.addAll(stack.services().keySet());
        } catch (IOException e) {
          LOG.debugf("cannot list services: %s", e.getMessage());
        }
      }
      Status report =
          GatewayHealth.report(
              board.all(),
              expected,
              host.sample(),
              installed.current(),
              version,
              started,
              clock.millis());
      report = GatewayHealth.withSection(report, "artifacts", artifacts.summary());
      lastHealth = report;
      artifacts.publishStatus();
      if (bus != null && bus.isConnected()) {
        bus.publish(Topics.status(GatewayHealth.COMPONENT), codec.encode(report), true);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warnf("gateway health not published: %s", e.getMessage());
    }
  }

  /** The latest gateway health report, for the management page. */
  public Optional<Status> health() {
    return Optional.ofNullable(lastHealth);
  }

  /** The installed bundle and history, for the management page. */
  public StateStore.Installed installed() throws IOException {
    return store.installed();
  }

  /** The agent's current activity, for the management page. */
  public Map<String, Object> activity() {
    return Map.copyOf(activity);
  }

  /** Runs a restart as if it came from the bus, for the management page. */
  public void restart(String commandId, String service, String replyTo) {
    Map<String, Object> args =
        service == null || service.isBlank() ? Map.of() : Map.of("service", service);
    commands.accept(
        new Command(
            Command.SCHEMA_VERSION,
            commandId,
            COMPONENT,
            "restart",
            args,
            replyTo,
            clock.millis() + 60_000));
  }

  /**
   * Device artifacts: the served versions and every device's downloads, for the management page.
   */
  public Map<String, Object> artifacts() {
    return artifacts == null ? Map.of() : artifacts.detail();
  }

  private ArtifactDistribution startArtifacts(RegistryClient client, List<PublicKey> anchors)
      throws IOException {
    OtaConfig.Artifacts a = config.artifacts();
    long max = a.maxSize().asLongValue();
    if (max < 1 || max > Integer.MAX_VALUE - 1024) {
      throw new IllegalStateException(
          "ota.artifacts.max-size must be between 1 and 2047M (artifacts are held in memory), got "
              + max);
    }
    ArtifactDistribution.Settings settings;
    try {
      settings =
          new ArtifactDistribution.Settings(
              config.stateDir().resolve("artifacts"),
              a.keep(),
              (int) max,
              a.listen().map(l -> ListenAddress.parse("ota.artifacts.listen", l)),
              new DeviceTable(a.devices(), "ota.artifacts.devices"),
              a.maxConcurrent(),
              a.responseTimeout());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    return ArtifactDistribution.start(
        settings,
        client::pullArtifact,
        new BundleVerifier(anchors),
        new RetryBackoff(config.registry().retryInitial(), config.registry().retryMax()),
        config.registry().retryFor(),
        clock,
        registry,
        this::reply,
        detail -> {
          if (bus != null && bus.isConnected()) {
            Status s =
                Status.of(
                    ArtifactDistribution.COMPONENT,
                    artifacts == null ? Status.State.ONLINE : artifacts.state(detail),
                    version,
                    started,
                    clock.millis(),
                    detail);
            bus.publish(Topics.status(ArtifactDistribution.COMPONENT), codec.encode(s), true);
          }
        });
  }

  /** Whether the local bus session is up; for readiness. */
  boolean busConnected() {
    return bus != null && bus.isConnected();
  }

  private RegistryClient registryClient() {
    URI url = URI.create(config.registry().url());
    if (!"https".equals(url.getScheme())) {
      throw new IllegalStateException(
          "ota.registry.url must be https:// (got '"
              + url
              + "'); for a local registry configure its CA in ota.registry.ca-file");
    }
    HttpClient.Builder http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NORMAL);
    Optional<Path> ca = config.registry().caFile();
    if (ca.isPresent()) {
      http.sslContext(sslContextTrusting(ca.get()));
    }
    return new RegistryClient(url, http.build(), Duration.ofSeconds(60));
  }

  private static SSLContext sslContextTrusting(Path caFile) {
    try (var in = Files.newInputStream(caFile)) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca-" + i++, (X509Certificate) cert);
      }
      if (i == 0) {
        throw new IllegalStateException("ota.registry.ca-file " + caFile + " holds no certificate");
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read ota.registry.ca-file " + caFile, e);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("ota.registry.ca-file " + caFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * podman's {@code --cert-dir}: a directory with the registry CA as {@code ca.crt}, made in the
   * state directory from {@code ota.registry.ca-file}.
   */
  private Optional<Path> certDirectory() throws IOException {
    Optional<Path> ca = config.registry().caFile();
    if (ca.isEmpty()) {
      return Optional.empty();
    }
    Path dir = config.stateDir().resolve("registry-certs");
    Files.createDirectories(dir);
    Files.copy(ca.get(), dir.resolve("ca.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return Optional.of(dir);
  }

  private List<PublicKey> trustAnchors() {
    List<PublicKey> keys = new ArrayList<>();
    for (Path file : config.trust().keys()) {
      try {
        keys.add(Keys.readPublicKey(file));
      } catch (IOException e) {
        throw new IllegalStateException("ota.trust.keys: " + e.getMessage(), e);
      }
    }
    if (keys.isEmpty()) {
      throw new IllegalStateException("ota.trust.keys names no key; the agent would trust nothing");
    }
    return keys;
  }
}
