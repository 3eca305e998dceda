package io.edgegw.bridge;

import io.edgegw.bridge.config.DevicesConfigLoader;
import io.edgegw.bridge.modbus.ModbusConnector;
import io.edgegw.bridge.modbus.ModbusFault;
import io.edgegw.bridge.poll.Backoff;
import io.edgegw.bridge.poll.DevicePoller;
import io.edgegw.bridge.poll.Pacer;
import io.edgegw.bridge.poll.PollMetrics;
import io.edgegw.bridge.publish.BusPublisher;
import io.edgegw.config.ConfigException;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Starts the bridge: loads and validates {@code devices.yaml} (a bad file stops the service with
 * its located errors, before anything connects), then connects the bus publisher and starts one
 * poller per device on its own virtual thread.
 */
@ApplicationScoped
public class BridgeRuntime {
  private static final Logger LOG = Logger.getLogger(BridgeRuntime.class);

  /** Exit status for a configuration error (sysexits EX_CONFIG). */
  static final int EXIT_CONFIG = 78;

  private final BridgeConfig config;
  private final MeterRegistry registry;
  private final InstantSource clock;
  private final String version;
  private final long started;
  private final PayloadCodec codec = new PayloadCodec();
  private final Map<String, DevicePoller> pollers = new LinkedHashMap<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile DevicesConfig devices;
  private volatile String configError;
  private ModbusConnector connector;
  private BusPublisher publisher;

  BridgeRuntime(
      BridgeConfig config,
      MeterRegistry registry,
      InstantSource clock,
      @ConfigProperty(name = "quarkus.application.version") Optional<String> version) {
    this.config = config;
    this.registry = registry;
    this.clock = clock;
    this.version = version.orElse("dev");
    this.started = clock.millis();
  }

  void onStart(@Observes StartupEvent event) {
    try {
      devices = DevicesConfigLoader.load(config.devicesFile());
    } catch (ConfigException e) {
      configError = e.getMessage();
      LOG.errorf("bridge not started: invalid device configuration%n%s", e.getMessage());
      Quarkus.asyncExit(EXIT_CONFIG);
      return;
    }
    publisher =
        new BusPublisher(
            new BusPublisher.Settings(
                config.bus().host(),
                config.bus().port(),
                config.bus().clientId(),
                config.bus().username(),
                config.bus().password(),
                config.bus().keepAlive(),
                config.bus().inflight(),
                config.queue().maxSize().asLongValue()),
            codec,
            this::status,
            registry);
    publisher.start();
    connector = new ModbusConnector(devices);
    PollMetrics metrics = new MicrometerPollMetrics(registry);
    Random seeds = new Random();
    int index = 0;
    int count = devices.devices().size();
    for (DeviceSpec device : devices.devices()) {
      // Spread the devices over the interval: 100 devices due at the same instant would queue
      // for the CPU and start late together.
      double phase = (double) index++ / count;
      DevicePoller poller =
          new DevicePoller(
              device,
              devices.pollGroups(),
              connector.open(device),
              clock,
              Pacer.parking(clock),
              new Backoff(
                  config.retry().initial(),
                  config.retry().max(),
                  config.retry().jitter(),
                  new Random(seeds.nextLong())),
              publisher,
              metrics,
              phase);
      pollers.put(device.id(), poller);
      threads.add(Thread.ofVirtual().name("poll-" + device.id()).start(poller));
    }
    // Loading a large device map (7 MB of YAML for 100k tags) peaks far above the steady heap.
    // One full collection now lets the JVM give that memory back (MaxHeapFreeRatio) instead of
    // holding it for the life of the process.
    System.gc();
    // The birth status went out on connect, before the pollers existed; refresh it now.
    publisher.publishStatus();
    LOG.infof(
        "bridge polling %d device(s), %d request(s) per full cycle, from %s",
        pollers.size(),
        pollers.values().stream().mapToInt(DevicePoller::requestsPerCycle).sum(),
        config.devicesFile());
  }

  void onStop(@Observes ShutdownEvent event) {
    threads.forEach(Thread::interrupt);
    for (Thread t : threads) {
      try {
        t.join(Duration.ofSeconds(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (publisher != null) {
      publisher.close();
    }
    if (connector != null) {
      connector.close();
    }
  }

  @Scheduled(every = "${bridge.status.interval:15s}", delayed = "1s")
  void refreshStatus() {
    if (publisher != null) {
      publisher.publishStatus();
    }
  }

  /** The loaded configuration, or empty while not (or not validly) loaded. */
  public Optional<DevicesConfig> devices() {
    return Optional.ofNullable(devices);
  }

  /** Why the configuration was refused, if it was. */
  public Optional<String> configError() {
    return Optional.ofNullable(configError);
  }

  /** The poller of a device. */
  public Optional<DevicePoller> poller(String deviceId) {
    return Optional.ofNullable(pollers.get(deviceId));
  }

  /** Whether the bus session is up. */
  public boolean busConnected() {
    return publisher != null && publisher.connected();
  }

  /** Current status of the bridge. */
  public Status status() {
    Map<String, Object> detail = new LinkedHashMap<>();
    long down = pollers.values().stream().filter(p -> !p.reachable()).count();
    detail.put("devices", pollers.size());
    detail.put("devicesUnreachable", down);
    if (publisher != null) {
      detail.put("queueBytes", publisher.queue().bytes());
      detail.put("queueDepth", publisher.queue().depth());
      detail.put("queueDroppedBatches", publisher.queue().refused());
    }
    List<String> unreachable =
        pollers.values().stream().filter(p -> !p.reachable()).map(p -> p.device().id()).toList();
    if (!unreachable.isEmpty()) {
      detail.put("unreachable", String.join(",", unreachable));
    }
    Status.State state =
        down > 0 || (publisher != null && publisher.queue().refused() > 0)
            ? Status.State.DEGRADED
            : Status.State.ONLINE;
    return Status.of("bridge", state, version, started, clock.millis(), detail);
  }

  /** Poll metrics over Micrometer. */
  private static final class MicrometerPollMetrics implements PollMetrics {
    private final MeterRegistry registry;
    private final Map<String, Timer> duration = new ConcurrentHashMap<>();
    private final Map<String, Timer> lateness = new ConcurrentHashMap<>();
    private final Map<String, Counter> requests = new ConcurrentHashMap<>();
    private final Map<String, Counter> errors = new ConcurrentHashMap<>();
    private final Map<String, Counter> overruns = new ConcurrentHashMap<>();

    MicrometerPollMetrics(MeterRegistry registry) {
      this.registry = registry;
    }

    @Override
    public void polled(String device, long durationNanos, long lateNanos) {
      duration
          .computeIfAbsent(
              device,
              d ->
                  Timer.builder("bridge.poll.duration")
                      .description("Time to poll one group of one device")
                      .tag("device", d)
                      .publishPercentileHistogram()
                      .register(registry))
          .record(Duration.ofNanos(durationNanos));
      lateness
          .computeIfAbsent(
              device,
              d ->
                  Timer.builder("bridge.poll.start.delay")
                      .description("How late a poll started against its schedule (jitter)")
                      .tag("device", d)
                      .publishPercentileHistogram()
                      .register(registry))
          .record(Duration.ofNanos(lateNanos));
    }

    @Override
    public void request(String device) {
      requests
          .computeIfAbsent(device, d -> registry.counter("bridge.requests", "device", d))
          .increment();
    }

    @Override
    public void error(String device, ModbusFault.Kind kind) {
      errors
          .computeIfAbsent(
              device + "/" + kind,
              k -> registry.counter("bridge.errors", "device", device, "kind", kind.name()))
          .increment();
    }

    @Override
    public void overrun(String device) {
      overruns
          .computeIfAbsent(device, d -> registry.counter("bridge.poll.overruns", "device", d))
          .increment();
    }
  }
}
