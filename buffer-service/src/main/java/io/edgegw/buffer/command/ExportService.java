package io.edgegw.buffer.command;

import io.agroal.api.AgroalDataSource;
import io.edgegw.buffer.BufferConfig;
import io.edgegw.buffer.ingest.BusIngest;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.InstantSource;

/** Wires the bus export ({@code buffer.export}) to the store and to its bus session. */
@ApplicationScoped
public class ExportService {

  @Inject BufferConfig config;
  @Inject AgroalDataSource dataSource;
  @Inject InstantSource clock;

  private volatile ExportCommands exports;
  private volatile CommandBus bus;

  void onStart(@Observes StartupEvent event) {
    BufferConfig.Bus b = config.bus();
    BufferConfig.Export e = config.export();
    // The session hands commands to the exports, which answer through the session.
    bus =
        new CommandBus(
            new BusIngest.Settings(
                b.host(), b.port(), e.clientId(), b.username(), b.password(), b.keepAlive()),
            (topic, payload) -> exports.onCommand(topic, payload));
    exports =
        new ExportCommands(
            dataSource,
            new ExportCommands.Settings(
                (int) Math.min(Integer.MAX_VALUE, e.partBytes().asLongValue()),
                e.partRows(),
                e.maxRows(),
                e.maxParts(),
                e.concurrent(),
                e.ackTimeout(),
                e.defaultRange(),
                config.api().fetchSize(),
                config.api().statementTimeout()),
            bus::publish,
            clock);
    bus.start();
  }

  void onStop(@Observes ShutdownEvent event) {
    if (exports != null) {
      exports.close();
    }
    if (bus != null) {
      bus.close();
    }
  }
}
