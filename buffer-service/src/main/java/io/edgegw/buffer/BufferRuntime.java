package io.edgegw.buffer;

import io.agroal.api.AgroalDataSource;
import io.edgegw.buffer.ingest.BusIngest;
import io.edgegw.buffer.ingest.IngestWriter;
import io.edgegw.buffer.ingest.MessageDecoder;
import io.edgegw.buffer.maintenance.StoreMaintenance;
import io.edgegw.buffer.store.DayPartitions;
import io.edgegw.buffer.store.DeviceUnits;
import io.edgegw.buffer.store.SeriesRegistry;
import io.edgegw.buffer.store.StoreMode;
import io.edgegw.buffer.store.StoreWriter;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Wires the store, the ingest loop, the bus session and maintenance together, and reports status.
 * Flyway has migrated the schema before this starts ({@code quarkus.flyway.migrate-at-start}).
 */
@ApplicationScoped
public class BufferRuntime {
  private static final Logger LOG = Logger.getLogger(BufferRuntime.class);
  static final String COMPONENT = "buffer";

  @Inject BufferConfig config;
  @Inject AgroalDataSource dataSource;
  @Inject MeterRegistry registry;
  @Inject InstantSource clock;

  @ConfigProperty(name = "quarkus.application.version")
  String version;

  private final PayloadCodec codec = new PayloadCodec();
  private volatile StoreMode mode;
  private volatile IngestWriter writer;
  private volatile BusIngest bus;
  private volatile StoreMaintenance maintenance;
  private volatile String maintenanceProblem;
  private long started;

  void onStart(@Observes StartupEvent event) throws SQLException {
    started = clock.millis();
    try (Connection c = dataSource.getConnection()) {
      mode = StoreMode.detect(c);
      if (mode == StoreMode.TIMESCALEDB) {
        applyTimescalePolicies(c);
      }
    }
    registry.gauge("buffer_store_mode", Tags.of("mode", mode.label()), 1);
    LOG.infof("store mode: %s", mode.label());
    DayPartitions partitions = new DayPartitions();
    SeriesRegistry series = new SeriesRegistry(DeviceUnits.load(config.devicesFile()));
    StoreWriter store = new StoreWriter(dataSource, mode, series, partitions);
    BufferConfig.Store s = config.store();
    maintenance =
        new StoreMaintenance(
            dataSource,
            mode,
            partitions,
            new StoreMaintenance.Settings(
                s.retention(),
                s.quota().asLongValue(),
                s.quotaDropStep(),
                s.daysAhead(),
                s.deliveredBy()),
            registry);
    maintain();
    BufferConfig.Bus b = config.bus();
    BufferConfig.Ingest in = config.ingest();
    writer =
        new IngestWriter(
            store,
            letter -> bus.publish(Topics.deadLetters(COMPONENT), codec.encode(letter), false),
            new IngestWriter.Settings(in.batchRows(), in.maxDelay(), in.queueMessages()),
            clock,
            registry);
    MessageDecoder decoder =
        new MessageDecoder(
            new PayloadCodec((int) Math.min(Integer.MAX_VALUE, in.maxPayload().asLongValue())),
            s.retention(),
            in.maxFutureSkew());
    bus =
        new BusIngest(
            new BusIngest.Settings(
                b.host(), b.port(), b.clientId(), b.username(), b.password(), b.keepAlive()),
            decoder,
            writer,
            clock,
            Topics.status(COMPONENT),
            codec.encode(status(Status.State.OFFLINE)));
    writer.start();
    bus.start();
  }

  private void applyTimescalePolicies(Connection c) throws SQLException {
    String compress = config.store().compressAfter().toSeconds() + " seconds";
    // A backstop one day behind the service's own, recorded retention (see StoreMaintenance).
    String retain = config.store().retention().plusDays(1).toSeconds() + " seconds";
    String[] statements = {
      "SELECT remove_compression_policy('sample', if_exists => true)",
      "SELECT add_compression_policy('sample', compress_after => ?::interval)",
      "SELECT remove_retention_policy('sample', if_exists => true)",
      "SELECT add_retention_policy('sample', drop_after => ?::interval)"
    };
    String[] args = {null, compress, null, retain};
    for (int i = 0; i < statements.length; i++) {
      try (PreparedStatement ps = c.prepareStatement(statements[i])) {
        if (args[i] != null) {
          ps.setString(1, args[i]);
        }
        ps.execute();
      }
    }
    LOG.infof("TimescaleDB policies: compress after %s, drop after %s", compress, retain);
  }

  void onStop(@Observes ShutdownEvent event) {
    if (bus != null && bus.isConnected()) {
      try {
        bus.publish(Topics.status(COMPONENT), codec.encode(status(Status.State.OFFLINE)), true)
            .get(2, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.debugf("final status: %s", e.toString());
      }
    }
    if (writer != null) {
      writer.close();
    }
    if (bus != null) {
      bus.close();
    }
  }

  /** Retention and quota, on the configured interval. */
  @Scheduled(
      every = "${buffer.store.maintenance-interval}",
      delayed = "${buffer.store.maintenance-interval}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  void maintain() {
    StoreMaintenance m = maintenance;
    if (m == null) {
      return;
    }
    try {
      m.run(clock.instant());
      maintenanceProblem = null;
    } catch (SQLException e) {
      maintenanceProblem = "retention/quota could not run: " + e.getMessage();
      LOG.warn(maintenanceProblem);
    }
  }

  /** Refreshes the retained status. */
  @Scheduled(every = "${buffer.status.interval}")
  void publishStatus() {
    BusIngest b = bus;
    if (b != null && b.isConnected()) {
      Status s = status(null);
      b.publish(Topics.status(COMPONENT), codec.encode(s), true);
    }
  }

  /** The current status; {@code forced} overrides the computed state. */
  Status status(Status.State forced) {
    Map<String, Object> detail = new LinkedHashMap<>();
    String problem = statusProblem();
    if (mode != null) {
      detail.put("mode", mode.label());
    }
    if (maintenance != null) {
      detail.put("storeBytes", maintenance.storeBytes());
      StoreMaintenance.Drop drop = maintenance.lastDrop();
      if (drop != null) {
        detail.put(
            "lastDataDropped",
            drop.rows() + " rows " + drop.from() + ".." + drop.to() + " (" + drop.reason() + ")");
      }
    }
    detail.put("quotaBytes", config.store().quota().asLongValue());
    if (writer != null) {
      detail.put("queued", writer.queued());
      detail.put("lastCommit", writer.lastCommit());
    }
    if (problem != null) {
      detail.put("problem", problem);
    }
    Status.State state =
        forced != null ? forced : problem == null ? Status.State.ONLINE : Status.State.DEGRADED;
    return Status.of(COMPONENT, state, version, started, clock.millis(), detail);
  }

  /** Why ingest is not working (the readiness check), or null. */
  public String problem() {
    if (writer != null && writer.storeProblem() != null) {
      return writer.storeProblem();
    }
    if (bus != null && !bus.isConnected()) {
      return "not connected to the local bus";
    }
    return null;
  }

  /**
   * What an operator should look at (the status): ingest problems, and a retention or quota run
   * that failed (e.g. a long export held the lock it needed; the next run tries again).
   */
  String statusProblem() {
    String p = problem();
    return p != null ? p : maintenanceProblem;
  }

  /** The store mode, once started. */
  public StoreMode mode() {
    return mode;
  }

  /** The maintenance job, for tests and the health check. */
  public StoreMaintenance maintenance() {
    return maintenance;
  }
}
